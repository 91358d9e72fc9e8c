package org.mlp4j.internal.kernel;

import org.mlp4j.Activation;

/**
 * Plain-Java kernels: the reference every vector kernel is tested against, and the fallback when the
 * Vector API is unavailable. Loops are written in the simplest order that is still cache-friendly.
 */
public final class ScalarKernels implements Kernels {

    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    @Override
    public String name() {
        return "scalar";
    }






    @Override
    public void denseBackwardInput(float[] w, int wOff, int rows, int cols, float[] delta, int deltaOff,
                                   float[] dx, int dxOff) {
        java.util.Arrays.fill(dx, dxOff, dxOff + cols, 0f);
        for (int r = 0; r < rows; r++) {
            float d = delta[deltaOff + r];
            int row = wOff + r * cols;
            for (int c = 0; c < cols; c++) {
                dx[dxOff + c] = Math.fma(d, w[row + c], dx[dxOff + c]);
            }
        }
    }

    @Override
    public void accumulateOuterProduct(float[] g, int gOff, int gbOff, int rows, int cols, float[] delta,
                                       int deltaOff, float[] x, int xOff) {
        for (int r = 0; r < rows; r++) {
            float d = delta[deltaOff + r];
            int row = gOff + r * cols;
            for (int c = 0; c < cols; c++) {
                g[row + c] = Math.fma(d, x[xOff + c], g[row + c]);
            }
            g[gbOff + r] += d;
        }
    }

    @Override
    public int packedWeightsLength(int rows, int cols) {
        return rows * (cols + 1);
    }

    /** Panels one row wide: each weight row followed by its bias. */
    @Override
    public void packWeights(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff) {
        packWeightRows(w, wOff, bOff, rows, cols, dst, dstOff, 0, rows);
    }

    @Override
    public int packedRowGroup(int rows) {
        return 1;
    }

    @Override
    public void packWeightRows(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff,
                               int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            System.arraycopy(w, wOff + r * cols, dst, dstOff + r * (cols + 1), cols);
            dst[dstOff + r * (cols + 1) + cols] = w[bOff + r];
        }
    }

    @Override
    public void gemmForwardPacked(float[] a, int aOff, int batch, float[] packed, int pOff, int rows, int cols,
                                  float[] z, int zOff, float[] act, int actOff, Activation activation, float slope) {
        boolean narrow = rows <= NARROW_ROWS;
        for (int b = 0; b < batch; b++) {
            int x = aOff + b * cols;
            for (int r = 0; r < rows; r++) {
                int row = pOff + r * (cols + 1);
                float s;
                if (narrow) {
                    s = narrowDot(a, x, packed, row, cols);
                } else {
                    s = 0f;
                    for (int c = 0; c < cols; c++) {
                        s = Math.fma(a[x + c], packed[row + c], s);
                    }
                }
                float zr = s + packed[row + cols];
                if (z != null) {
                    z[zOff + b * rows + r] = zr;
                }
                act[actOff + b * rows + r] = ActivationMath.apply(activation, zr, slope);
            }
        }
    }


    /**
     * The narrow sum order of {@link Kernels#gemmForwardPacked} (no bias): partial sum {@code p[j]} is the FMA
     * chain over {@code c = j, j + 16, ...} from zero; the 16 are folded in halves ({@code p[j] + p[j + 8]},
     * then {@code + 4}, {@code + 2}, {@code + 1}). Vector kernels compute the same with the chains in lanes
     * (tails padded with zeros, which leave a chain unchanged: a chain started at +0 is never -0).
     */
    public static float narrowDot(float[] a, int ai, float[] w, int wi, int cols) {
        return narrowSum(a, ai, w, null, wi, cols);
    }

    /** {@link #narrowDot} over bfloat16 weights, each widened exactly to float. */
    public static float narrowDotBf16(float[] a, int ai, short[] w, int wi, int cols) {
        return narrowSum(a, ai, null, w, wi, cols);
    }

    /** {@link #narrowDot} over float weights {@code w}, or bfloat16 weights {@code w16} when {@code w} is null. */
    private static float narrowSum(float[] a, int ai, float[] w, short[] w16, int wi, int cols) {
        float t0 = chain(a, ai, w, w16, wi, cols, 0) + chain(a, ai, w, w16, wi, cols, 8);
        float t1 = chain(a, ai, w, w16, wi, cols, 1) + chain(a, ai, w, w16, wi, cols, 9);
        float t2 = chain(a, ai, w, w16, wi, cols, 2) + chain(a, ai, w, w16, wi, cols, 10);
        float t3 = chain(a, ai, w, w16, wi, cols, 3) + chain(a, ai, w, w16, wi, cols, 11);
        float t4 = chain(a, ai, w, w16, wi, cols, 4) + chain(a, ai, w, w16, wi, cols, 12);
        float t5 = chain(a, ai, w, w16, wi, cols, 5) + chain(a, ai, w, w16, wi, cols, 13);
        float t6 = chain(a, ai, w, w16, wi, cols, 6) + chain(a, ai, w, w16, wi, cols, 14);
        float t7 = chain(a, ai, w, w16, wi, cols, 7) + chain(a, ai, w, w16, wi, cols, 15);
        float u0 = t0 + t4;
        float u1 = t1 + t5;
        float u2 = t2 + t6;
        float u3 = t3 + t7;
        return (u0 + u2) + (u1 + u3);
    }

    private static float chain(float[] a, int ai, float[] w, short[] w16, int wi, int cols, int j) {
        float s = 0f;
        for (int c = j; c < cols; c += DOT_CHUNK) {
            s = Math.fma(a[ai + c], w != null ? w[wi + c] : Bf16.toFloat(w16[wi + c]), s);
        }
        return s;
    }

    @Override
    public int packedBf16Length(int rows, int cols) {
        return rows * cols;
    }

    @Override
    public int packedBf16BiasLength(int rows) {
        return rows;
    }

    /** Row-major bfloat16 weights and the bias as it is. */
    @Override
    public void packWeightsBf16(float[] w, int wOff, int bOff, int rows, int cols, short[] dst, int dstOff,
                                float[] bias, int biasOff) {
        for (int i = 0; i < rows * cols; i++) {
            dst[dstOff + i] = Bf16.fromFloat(w[wOff + i]);
        }
        System.arraycopy(w, bOff, bias, biasOff, rows);
    }

    @Override
    public void gemmForwardPackedBf16(float[] a, int aOff, int batch, short[] packed, int pOff, float[] bias,
                                      int biasOff, int rows, int cols, float[] z, int zOff, float[] act, int actOff,
                                      Activation activation, float slope) {
        for (int b = 0; b < batch; b++) {
            int x = aOff + b * cols;
            for (int r = 0; r < rows; r++) {
                int row = pOff + r * cols;
                float s;
                if (rows <= NARROW_ROWS) {
                    s = narrowDotBf16(a, x, packed, row, cols);
                } else {
                    s = 0f;
                    for (int c = 0; c < cols; c++) {
                        s = Math.fma(a[x + c], Bf16.toFloat(packed[row + c]), s);
                    }
                }
                float zr = s + bias[biasOff + r];
                if (z != null) {
                    z[zOff + b * rows + r] = zr;
                }
                act[actOff + b * rows + r] = ActivationMath.apply(activation, zr, slope);
            }
        }
    }


    @Override
    public void gemmBackwardInput(float[] dz, int dzOff, int batch, float[] w, int wOff, int rows, int cols,
                                  float[] da, int daOff) {
        for (int b = 0; b < batch; b++) {
            denseBackwardInput(w, wOff, rows, cols, dz, dzOff + b * rows, da, daOff + b * cols);
        }
    }

    @Override
    public void gemmWeightGradient(float[] dz, int dzOff, int dzStride, int batch, float[] a, int aOff, int rows,
                                   int cols, float[] g, int gOff, int gbOff) {
        java.util.Arrays.fill(g, gOff, gOff + rows * cols, 0f);
        java.util.Arrays.fill(g, gbOff, gbOff + rows, 0f);
        for (int b = 0; b < batch; b++) {
            accumulateOuterProduct(g, gOff, gbOff, rows, cols, dz, dzOff + b * dzStride, a, aOff + b * cols);
        }
    }

    @Override
    public void activationBackward(Activation act, float slope, float[] d, float[] z, float[] a, int off, int len) {
        for (int i = off; i < off + len; i++) {
            d[i] = ActivationMath.backward(act, d[i], z[i], a[i], slope);
        }
    }

    @Override
    public void add(float[] dst, float[] src, int off, int len) {
        for (int i = off; i < off + len; i++) {
            dst[i] += src[i];
        }
    }

    @Override
    public void scale(float[] a, int off, int len, float s) {
        for (int i = off; i < off + len; i++) {
            a[i] *= s;
        }
    }

    @Override
    public boolean allFinite(float[] a, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (!Float.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public double sumOfSquares(float[] a, int off, int len) {
        double sum = 0;
        for (int i = off; i < off + len; i++) {
            sum += (double) a[i] * a[i];
        }
        return sum;
    }

    @Override
    public void sgd(float[] p, float[] g, float[] buf, int off, int len, float lr, float momentum, float dampening,
                    boolean nesterov, float weightDecay, boolean firstStep) {
        float oneMinusDampening = 1f - dampening;
        for (int i = off; i < off + len; i++) {
            p[i] = sgdElement(p, g, buf, i, lr, momentum, oneMinusDampening, nesterov, weightDecay, firstStep);
        }
    }

    /**
     * Optimizer state (momentum, Adam's moments, RMSprop's averages) is flushed to zero below
     * {@link Float#MIN_NORMAL}, as PyTorch does under {@code torch.set_flush_denormal(True)}. A dead unit's
     * momentum decays by the momentum factor every step and would otherwise spend ~150 steps in the subnormal
     * range, where each operation on it costs an Intel core a microcode assist: measured on a Xeon (AVX-512),
     * 7,100 of MNIST's 235k momentum values subnormal in steady state made the SGD update 6x slower and the
     * batch-256 step alternate between 4 and 6 ms. Such a value moves no normal parameter (|lr * b| is below
     * half an ulp of any |p| above lr * 2^-102), so the trajectories match PyTorch's on every reference case.
     */
    public static float flushSubnormal(float x) {
        return Math.abs(x) < Float.MIN_NORMAL ? 0f : x;
    }

    /** One SGD element; also used for the vector kernels' tails. Returns the new parameter value. */
    public static float sgdElement(float[] p, float[] g, float[] buf, int i, float lr, float momentum,
                                   float oneMinusDampening, boolean nesterov, float weightDecay, boolean firstStep) {
        float pi = p[i];
        float gi = g[i];
        if (weightDecay != 0f) {
            gi = gi + weightDecay * pi;
        }
        if (momentum != 0f) {
            float b = flushSubnormal(firstStep ? gi : momentum * buf[i] + oneMinusDampening * gi);
            buf[i] = b;
            gi = nesterov ? gi + momentum * b : b;
        }
        return pi - lr * gi;
    }

    @Override
    public void adam(float[] p, float[] g, float[] m, float[] v, int off, int len, float beta1, float oneMinusBeta1,
                     float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt, float weightDecay,
                     boolean decoupled, float decayFactor) {
        for (int i = off; i < off + len; i++) {
            p[i] = adamElement(p, g, m, v, i, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, bc2Sqrt,
                    weightDecay, decoupled, decayFactor);
        }
    }

    /** One Adam/AdamW element; also used for the vector kernels' tails. Returns the new parameter value. */
    public static float adamElement(float[] p, float[] g, float[] m, float[] v, int i, float beta1,
                                    float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps,
                                    float stepSize, float bc2Sqrt, float weightDecay, boolean decoupled,
                                    float decayFactor) {
        float pi = p[i];
        float gi = g[i];
        if (decoupled) {
            pi = pi * decayFactor;
        } else if (weightDecay != 0f) {
            gi = gi + weightDecay * pi;
        }
        float mi = flushSubnormal(beta1 * m[i] + oneMinusBeta1 * gi);
        float vi = flushSubnormal(beta2 * v[i] + oneMinusBeta2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
        return pi - stepSize * (mi / denom);
    }

    @Override
    public void rmsprop(float[] p, float[] g, float[] sq, float[] ga, float[] buf, int off, int len, float lr,
                        float alpha, float oneMinusAlpha, float eps, float weightDecay, float momentum) {
        for (int i = off; i < off + len; i++) {
            p[i] = rmspropElement(p, g, sq, ga, buf, i, lr, alpha, oneMinusAlpha, eps, weightDecay, momentum);
        }
    }

    /** One RMSprop element; also used for the vector kernels' tails. Returns the new parameter value. */
    public static float rmspropElement(float[] p, float[] g, float[] sq, float[] ga, float[] buf, int i, float lr,
                                       float alpha, float oneMinusAlpha, float eps, float weightDecay,
                                       float momentum) {
        float pi = p[i];
        float gi = g[i];
        if (weightDecay != 0f) {
            gi = gi + weightDecay * pi;
        }
        float s = flushSubnormal(alpha * sq[i] + oneMinusAlpha * gi * gi);
        sq[i] = s;
        float avg;
        if (ga != null) {
            float mean = flushSubnormal(alpha * ga[i] + oneMinusAlpha * gi);
            ga[i] = mean;
            avg = (float) Math.sqrt(s - mean * mean) + eps;
        } else {
            avg = (float) Math.sqrt(s) + eps;
        }
        if (momentum > 0f) {
            float b = flushSubnormal(momentum * buf[i] + gi / avg);
            buf[i] = b;
            return pi - lr * b;
        }
        return pi - lr * (gi / avg);
    }
}
