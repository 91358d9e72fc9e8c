package org.mlp4j.internal.engine;

/** Argument checks whose messages name the argument, the expectation and the value seen. */
public final class Checks {
    private Checks() {
    }

    /** {@code value > 0}. */
    public static int positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": expected a positive value, got " + value);
        }
        return value;
    }

    /** A finite {@code value >= 0}. */
    public static double nonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + ": expected a finite value >= 0, got " + value);
        }
        return value;
    }

    /** A finite {@code value > 0}. */
    public static double positive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + ": expected a finite value > 0, got " + value);
        }
        return value;
    }

    /** {@code 0 <= value < 1}. */
    public static double unitInterval(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + ": expected a value in [0, 1), got " + value);
        }
        return value;
    }

    /** {@code array} is non-null with exactly {@code expected} elements. */
    public static void length(String name, float[] array, long expected) {
        if (array == null) {
            throw new NullPointerException(name);
        }
        if (array.length != expected) {
            throw new IllegalArgumentException(name + ": expected length " + expected + ", got " + array.length);
        }
    }

    /** {@code array} is non-null with at least {@code expected} elements. */
    public static void minLength(String name, float[] array, long expected) {
        if (array == null) {
            throw new NullPointerException(name);
        }
        if (array.length < expected) {
            throw new IllegalArgumentException(name + ": expected length >= " + expected + ", got " + array.length);
        }
    }

    /** {@code a[off, off+len)} lies inside {@code a}. */
    public static void range(String name, float[] a, int off, int len) {
        if (a == null) {
            throw new NullPointerException(name);
        }
        if (off < 0 || (long) off + len > a.length) {
            throw new IllegalArgumentException(name + ": expected " + len + " values from offset " + off
                    + ", but the array has length " + a.length);
        }
    }

    /** Every value in {@code a[off, off+len)} is finite, else names the first bad index. */
    public static void finite(String name, float[] a, int off, int len) {
        for (int i = 0; i < len; i++) {
            float v = a[off + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(name + ": expected finite values, got " + v + " at index " + i);
            }
        }
    }
}
