package org.mlp4j.internal.engine;

import org.mlp4j.internal.kernel.Kernels;

/**
 * What an optimizer gives the training step: per-step setup, the elementwise update of a parameter range
 * (ranges may run in parallel, each exactly once per step) and the end of the step.
 */
public interface Update {
    /**
     * Prepares one step over {@code parameterCount} parameters: validates combined settings, allocates state
     * on the first step, computes the step's scalars (bias corrections).
     */
    void begin(int parameterCount);

    /** Updates {@code p[off, off+len)} from the gradient {@code g[off, off+len)} and the state there. */
    void apply(Kernels kernels, float[] p, float[] g, int off, int len);

    /** Ends the step (counts it). */
    void end();

    /** True when the optimizer ascends: the gradient is negated before the update (PyTorch's {@code maximize}). */
    boolean maximize();
}
