package org.mlp4j.internal.engine;

import org.mlp4j.ParameterLayout;

/**
 * Per-layer buffers for up to {@link #capacity()} samples, rows of each layer's width: activations
 * always, pre-activations and their gradients when the use needs them. The one buffer type of inference
 * (activations only), evaluation (plus pre-activations, which the loss reads) and training (plus
 * {@code dL/dz}). Not thread-safe: one per thread.
 */
public final class Buffers {
    /** What the buffers are for, i.e. which of them exist. */
    public enum Use {
        /** Activations only. */
        INFERENCE,
        /** Activations and pre-activations. */
        EVALUATION,
        /** Activations, pre-activations and their gradients. */
        TRAINING
    }

    private final int capacity;
    private final int[] widths;
    final float[][] a;
    final float[][] z;
    final float[][] dz;

    /**
     * Buffers for {@code capacity} samples of {@code layout}.
     *
     * @throws IllegalArgumentException if {@code capacity} is not positive or a layer's buffer would exceed
     *                                  the largest Java array
     */
    public Buffers(ParameterLayout layout, int capacity, Use use) {
        Checks.positive("maxBatch", capacity);
        this.capacity = maxRows("maxBatch", layout, capacity);
        this.widths = layout.widths();
        int layers = layout.layerCount();
        a = new float[layers][];
        z = use == Use.INFERENCE ? null : new float[layers][];
        dz = use == Use.TRAINING ? new float[layers][] : null;
        for (int l = 0; l < layers; l++) {
            int n = capacity * layout.outputs(l);
            a[l] = new float[n];
            if (z != null) {
                z[l] = new float[n];
            }
            if (dz != null) {
                dz[l] = new float[n];
            }
        }
    }

    /**
     * Validates that {@code rows} samples of every layer of {@code layout} fit in one Java array.
     *
     * @return {@code rows}
     * @throws IllegalArgumentException naming {@code name}, the widest layer and the largest allowed value
     */
    public static int maxRows(String name, ParameterLayout layout, int rows) {
        int widest = 0;
        for (int l = 0; l < layout.layerCount(); l++) {
            widest = Math.max(widest, layout.outputs(l));
        }
        widest = Math.max(widest, layout.inputs(0));
        int limit = Integer.MAX_VALUE / 2 / widest; // headroom below the VM's array limit
        if (rows > limit) {
            throw new IllegalArgumentException(name + ": expected at most " + limit + " samples (so that "
                    + name + " * the widest layer, " + widest + " values, fits in one array), got " + rows);
        }
        return rows;
    }

    /** Largest number of samples these buffers hold. */
    public int capacity() {
        return capacity;
    }

    /** Layer widths (input first) of the architecture these buffers were made for (a copy). */
    public int[] widths() {
        return widths.clone();
    }

    /** Activations of layer {@code l}, {@code [capacity][width]} row-major (live array). */
    public float[] activations(int l) {
        return a[l];
    }

    /** Pre-activations of layer {@code l} (live array; absent for inference buffers). */
    public float[] preActivations(int l) {
        if (z == null) {
            throw new IllegalStateException("inference buffers keep no pre-activations");
        }
        return z[l];
    }

    /**
     * True when these buffers were made for {@code layout}'s widths. Compares in place: this runs on every
     * inference call, where {@link ParameterLayout#widths()} (a copy) would allocate.
     */
    boolean matches(ParameterLayout layout) {
        if (widths.length != layout.layerCount() + 1 || widths[0] != layout.inputs(0)) {
            return false;
        }
        for (int l = 0; l < layout.layerCount(); l++) {
            if (widths[l + 1] != layout.outputs(l)) {
                return false;
            }
        }
        return true;
    }
}
