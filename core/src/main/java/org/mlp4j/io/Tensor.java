package org.mlp4j.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense float tensor: a shape and its values in row-major order, as stored in a safetensors file.
 *
 * <p>The shape is copied (it is small and validated here, so it must not change afterwards). The data array is
 * <em>not</em> copied, to avoid doubling the memory of large weight matrices: its length is fixed at
 * construction, but callers that keep a reference can still change its values.
 *
 * @param shape dimensions, each {@code >= 0}; an empty shape is a scalar holding one value
 * @param data  {@code product(shape)} values, row-major
 */
public record Tensor(int[] shape, float[] data) {
    /**
     * Validates the shape against the data and copies the shape.
     *
     * @param shape dimensions, each {@code >= 0}
     * @param data  {@code product(shape)} values, row-major (not copied)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a dimension is negative or the data length is not the product of the
     *                                  shape
     */
    public Tensor {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("data: expected length " + n + " (the product of shape "
                    + Arrays.toString(shape) + "), got " + data.length);
        }
    }

    /**
     * A tensor of shape {@code [rows, cols]}.
     *
     * @param rows number of rows
     * @param cols number of columns
     * @param data {@code rows * cols} values, row-major (not copied)
     * @return the tensor
     */
    public static Tensor matrix(int rows, int cols, float[] data) {
        return new Tensor(new int[] {rows, cols}, data);
    }

    /**
     * A tensor of shape {@code [data.length]}.
     *
     * @param data the values (not copied)
     * @return the tensor
     */
    public static Tensor vector(float[] data) {
        return new Tensor(new int[] {data.length}, data);
    }

    /**
     * A copy of the shape.
     *
     * @return the dimensions
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The backing data array (not a copy).
     *
     * @return the values, row-major
     */
    @Override
    public float[] data() {
        return data;
    }

    /**
     * Number of dimensions.
     *
     * @return the shape's length (0 for a scalar)
     */
    public int rank() {
        return shape.length;
    }

    /** Equal shapes and bitwise-equal values (so NaN equals NaN, and 0.0 differs from -0.0). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }

    /** Product of the dimensions, validating each; fails rather than overflowing. */
    static long elementCount(int[] shape) {
        boolean empty = false;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape: expected dimensions >= 0, got " + shape[i] + " at index "
                        + i + " of " + Arrays.toString(shape));
            }
            empty |= shape[i] == 0;
        }
        if (empty) {
            return 0;
        }
        long n = 1;
        for (int d : shape) {
            n *= d; // cannot overflow: n <= Integer.MAX_VALUE before each step
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape: expected at most " + Integer.MAX_VALUE
                        + " elements (a Java array), got more for " + Arrays.toString(shape));
            }
        }
        return n;
    }
}
