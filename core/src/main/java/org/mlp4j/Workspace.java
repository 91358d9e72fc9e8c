package org.mlp4j;

/**
 * Per-thread scratch buffers for inference: one activation buffer per layer, sized for up to
 * {@link #capacity()} samples. Create one per thread with {@link Network#newWorkspace(int)} and reuse it;
 * a workspace must not be used by two threads at once.
 */
public final class Workspace {
    final float[][] activations;
    private final int capacity;
    private final int[] widths;
    private final ParameterLayout layout;

    Workspace(ParameterLayout layout, int capacity) {
        Checks.positive("maxBatch", capacity);
        this.capacity = capacity;
        this.widths = layout.widths();
        this.layout = layout;
        this.activations = new float[layout.layerCount()][];
        for (int l = 0; l < activations.length; l++) {
            activations[l] = new float[Math.multiplyExact(capacity, layout.outputs(l))];
        }
    }

    /** Largest batch this workspace holds. */
    public int capacity() {
        return capacity;
    }

    void checkFits(ParameterLayout layout, int batch) {
        if (layout != this.layout && !java.util.Arrays.equals(widths, layout.widthsView())) {
            throw new IllegalArgumentException("ws: expected a workspace made by this network's architecture "
                    + java.util.Arrays.toString(layout.widthsView()) + ", got one for "
                    + java.util.Arrays.toString(widths));
        }
        if (batch > capacity) {
            throw new IllegalArgumentException("batch: expected at most the workspace capacity " + capacity
                    + ", got " + batch);
        }
    }
}
