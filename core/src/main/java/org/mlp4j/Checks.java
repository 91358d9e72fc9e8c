package org.mlp4j;

/** Argument checks whose messages name the argument, the expectation and the value seen. */
final class Checks {
    private Checks() {
    }

    static int positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": expected a positive value, got " + value);
        }
        return value;
    }

    static double nonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + ": expected a finite value >= 0, got " + value);
        }
        return value;
    }

    static double positive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + ": expected a finite value > 0, got " + value);
        }
        return value;
    }

    /** {@code 0 <= value < 1}. */
    static double unitInterval(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + ": expected a value in [0, 1), got " + value);
        }
        return value;
    }

    static void length(String name, float[] array, long expected) {
        if (array == null) {
            throw new NullPointerException(name);
        }
        if (array.length != expected) {
            throw new IllegalArgumentException(name + ": expected length " + expected + ", got " + array.length);
        }
    }

    static void minLength(String name, float[] array, long expected) {
        if (array == null) {
            throw new NullPointerException(name);
        }
        if (array.length < expected) {
            throw new IllegalArgumentException(name + ": expected length >= " + expected + ", got " + array.length);
        }
    }

    /** {@code a[off, off+len)} lies inside {@code a}. */
    static void range(String name, float[] a, int off, int len) {
        if (a == null) {
            throw new NullPointerException(name);
        }
        if (off < 0 || (long) off + len > a.length) {
            throw new IllegalArgumentException(name + ": expected " + len + " values from offset " + off
                    + ", but the array has length " + a.length);
        }
    }

    /** Every value in {@code a[off, off+len)} is finite, else names the first bad index. */
    static void finite(String name, float[] a, int off, int len) {
        for (int i = 0; i < len; i++) {
            float v = a[off + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(name + ": expected finite values, got " + v + " at index " + i);
            }
        }
    }
}
