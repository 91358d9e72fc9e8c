package org.mlp4j;

import org.mlp4j.internal.engine.Buffers;

/**
 * Per-thread scratch buffers for inference: one activation buffer per layer, sized for up to
 * {@link #capacity()} samples. Create one per thread with {@link Network#newWorkspace(int)} and reuse it;
 * a workspace must not be used by two threads at once.
 */
public final class Workspace {
    final Buffers buffers;

    Workspace(ParameterLayout layout, int capacity) {
        this.buffers = new Buffers(layout, capacity, Buffers.Use.INFERENCE);
    }

    /**
     * Largest batch this workspace holds.
     *
     * @return the most samples one batch call may pass, {@code >= 1}
     */
    public int capacity() {
        return buffers.capacity();
    }
}
