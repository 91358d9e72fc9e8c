package org.mlp4j.internal.engine;

import org.mlp4j.internal.kernel.ScalarKernels;

/**
 * Update rules without a kernel of their own (rarely used variants): plain loops with the same float
 * arithmetic as the scalar kernels' elements.
 */
public final class ScalarUpdates {
    private ScalarUpdates() {
    }

    /**
     * Adam/AdamW with AMSGrad ({@code torch.optim.Adam(amsgrad=True)}): as the Adam kernel, with
     * {@code vMax = max(vMax, v)} in the denominator.
     */
    public static void amsgrad(float[] p, float[] g, float[] m, float[] v, float[] vMax, int off, int len, float beta1,
                               float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float stepSize,
                               float bc2Sqrt, float weightDecay, boolean decoupled, float decayFactor) {
        for (int i = off; i < off + len; i++) {
            float pi = p[i];
            float gi = g[i];
            if (decoupled) {
                pi = pi * decayFactor;
            } else if (weightDecay != 0f) {
                gi = gi + weightDecay * pi;
            }
            float mi = ScalarKernels.flushSubnormal(beta1 * m[i] + oneMinusBeta1 * gi);
            float vi = ScalarKernels.flushSubnormal(beta2 * v[i] + oneMinusBeta2 * gi * gi);
            m[i] = mi;
            v[i] = vi;
            float vm = Math.max(vMax[i], vi);
            vMax[i] = vm;
            float denom = (float) Math.sqrt(vm) / bc2Sqrt + eps;
            p[i] = pi - stepSize * (mi / denom);
        }
    }
}
