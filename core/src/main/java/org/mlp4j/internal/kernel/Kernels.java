package org.mlp4j.internal.kernel;

import org.mlp4j.Activation;

/**
 * The numeric kernels behind mlp4j, over flat {@code float[]} arrays with explicit offsets. Two
 * implementations exist: {@link ScalarKernels} (the reference) and the Vector API one in
 * {@code org.mlp4j.internal.vector}; {@link KernelProvider} picks one at startup.
 *
 * <p>Matrices are row-major. A dense layer's weight {@code W[rows][cols]} lies at
 * {@code w[wOff + r*cols + c]} and its bias at {@code w[bOff + r]}. Callers validate arguments; kernels
 * assume valid offsets and lengths.
 */
public interface Kernels {

    /**
     * Layers of at most this many outputs use the narrow (dot-form) sum order of {@link #gemmForwardPacked}. Not
     * 16: the MNIST net's 128x10 layer in dot form took 11.9 us per batch of 128 against 8.2 us in broadcast
     * form, and 173 against 170-216 ns for one sample (Zen 4, 512-bit, JDK 17, GemmBenchmark, 2026-12-02).
     */
    int NARROW_ROWS = 4;

    /** Number of partial sums in the narrow sum order: 16 floats, one 512-bit vector, two 256-bit, four 128-bit. */
    int DOT_CHUNK = 16;

    /** Short name for logs and benchmarks ("vector-256", "scalar"). */
    String name();

    // ---- single sample -------------------------------------------------------------------------------

    /** Input gradient {@code dx[c] = sum_r delta[r]*W[r,c]} (overwrites {@code dx}). */
    void denseBackwardInput(float[] w, int wOff, int rows, int cols, float[] delta, int deltaOff,
                            float[] dx, int dxOff);

    /** Outer-product accumulation {@code g[r,c] += delta[r]*x[c]} and bias {@code gb[r] += delta[r]}. */
    void accumulateOuterProduct(float[] g, int gOff, int gbOff, int rows, int cols, float[] delta, int deltaOff,
                                float[] x, int xOff);

    // ---- mini-batch (matrix) kernels ----------------------------------------------------------------

    /**
     * Length of the packed form of a {@code rows x cols} layer (weights and bias) that
     * {@link #packWeights} writes and {@link #gemmForwardPacked} reads; the layout is private to the
     * implementation (panels of output rows, k-major, zero-padded).
     */
    int packedWeightsLength(int rows, int cols);

    /**
     * Packs {@code W[rows][cols]} at {@code w[wOff]} and its bias {@code w[bOff, bOff+rows)} into
     * {@code dst[dstOff, dstOff + packedWeightsLength(rows, cols))}.
     */
    void packWeights(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff);

    /**
     * The output rows of one unit of the packed layout (a panel): {@link #packWeightRows} splits a layer at
     * multiples of it.
     */
    int packedRowGroup(int rows);

    /**
     * {@link #packWeights} for output rows {@code [rowFrom, rowTo)} only, into the same places of {@code dst}:
     * {@code rowFrom} is a multiple of {@link #packedRowGroup}, {@code rowTo} one too or {@code rows}. Disjoint
     * ranges may be packed concurrently; together they write what {@link #packWeights} writes.
     */
    void packWeightRows(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff, int rowFrom,
                        int rowTo);

    /**
     * Batched dense forward from packed weights: {@code Z[b,r] = bias[r] + sum_c A[b,c]*W[r,c]} with
     * {@code Act[b,r] = act(Z[b,r])}; A is {@code [batch][cols]}, Z and Act {@code [batch][rows]}; {@code z}
     * may be null; softmax is left to the caller. The order of the sum is fixed, so that every implementation,
     * tile shape, thread count and JIT tier gives the same bits:
     * <ul>
     * <li>layers of more than {@link #NARROW_ROWS} outputs: each {@code Z[b,r]} is one fused multiply-add chain
     * over {@code c} in increasing order, started at zero, plus the bias;</li>
     * <li>narrow layers (at most {@link #NARROW_ROWS} outputs): {@link #DOT_CHUNK} fused multiply-add chains,
     * chain {@code j} over the {@code c = j (mod DOT_CHUNK)} in increasing order, each started at zero, folded
     * in halves ({@code p[j] + p[j + 8]}, then {@code + 4}, {@code + 2}, {@code + 1}), plus the bias. One output
     * would otherwise use one lane of a broadcast-form kernel and be one chain of {@code cols} dependent FMAs;
     * this form fills the lanes along {@code c} whatever the vector width. See
     * {@link ScalarKernels#narrowDot}.</li>
     * </ul>
     */
    void gemmForwardPacked(float[] a, int aOff, int batch, float[] packed, int pOff, int rows, int cols,
                           float[] z, int zOff, float[] act, int actOff, Activation activation, float slope);

    /**
     * A copy of {@code packed} (as {@link #packWeights} wrote it, every layer at a multiple of 16 floats) for
     * {@link #gemmForwardPackedOne} to read instead, in memory that suits the one-sample kernels better (the
     * vector kernels on JDK 22+: 64-byte aligned, never moved), or null where there is no such thing. For
     * weights that no longer change: later writes to {@code packed} are not seen.
     */
    default Object alignedPackedCopy(float[] packed) {
        return null;
    }

    /**
     * {@link #alignedPackedCopy} into {@code copy}, an earlier copy of an array of {@code packed}'s length, for
     * weights that changed (nothing may read {@code copy} meanwhile); returns the copy.
     */
    default Object alignedPackedCopyInto(float[] packed, Object copy) {
        return copy;
    }

    /**
     * {@link #gemmForwardPacked} of one sample without {@code z}, reading the weights from {@code aligned} (the
     * {@link #alignedPackedCopy} of {@code packed}) where it is not null: the same bits either way.
     */
    default void gemmForwardPackedOne(float[] a, int aOff, Object aligned, float[] packed, int pOff, int rows,
                                      int cols, float[] act, int actOff, Activation activation, float slope) {
        gemmForwardPacked(a, aOff, 1, packed, pOff, rows, cols, null, 0, act, actOff, activation, slope);
    }

    /**
     * Length of the bfloat16 packed weights ({@code short[]}) of a {@code rows x cols} layer that
     * {@link #packWeightsBf16} writes and {@link #gemmForwardPackedBf16} reads; the layout is private to the
     * implementation, like {@link #packedWeightsLength}'s.
     */
    int packedBf16Length(int rows, int cols);

    /** Length of the float bias array that goes with the bfloat16 packed weights of a layer of {@code rows} outputs. */
    int packedBf16BiasLength(int rows);

    /**
     * Packs {@code W[rows][cols]} at {@code w[wOff]}, each weight rounded to bfloat16 (nearest, ties to even; see
     * {@link Bf16}), into {@code dst[dstOff, dstOff + packedBf16Length)}, and the bias {@code w[bOff, bOff+rows)}
     * unrounded into {@code bias[biasOff, biasOff + packedBf16BiasLength)}. Callers check that no weight rounds
     * to infinity.
     */
    void packWeightsBf16(float[] w, int wOff, int bOff, int rows, int cols, short[] dst, int dstOff, float[] bias,
                         int biasOff);

    /**
     * {@link #gemmForwardPacked} over bfloat16 weights: each weight is widened exactly to float in registers
     * and the arithmetic is the float one, so {@code Z[b,r]} has the bits that {@link #gemmForwardPacked}
     * gives for the weights rounded to bfloat16 (and the float bias), on every implementation.
     */
    void gemmForwardPackedBf16(float[] a, int aOff, int batch, short[] packed, int pOff, float[] bias, int biasOff,
                               int rows, int cols, float[] z, int zOff, float[] act, int actOff,
                               Activation activation, float slope);

    /** {@link #alignedPackedCopy} of bfloat16 panels (every layer at a multiple of 32 shorts), or null. */
    default Object alignedPackedCopyBf16(short[] packed) {
        return null;
    }

    /**
     * {@link #gemmForwardPackedBf16} of one sample without {@code z}, reading the weights from {@code aligned}
     * (the {@link #alignedPackedCopyBf16} of {@code packed}) where it is not null: the same bits either way.
     */
    default void gemmForwardPackedBf16One(float[] a, int aOff, Object aligned, short[] packed, int pOff,
                                          float[] bias, int biasOff, int rows, int cols, float[] act, int actOff,
                                          Activation activation, float slope) {
        gemmForwardPackedBf16(a, aOff, 1, packed, pOff, bias, biasOff, rows, cols, null, 0, act, actOff, activation,
                slope);
    }

    /** Batched input gradient {@code dA[b,c] = sum_r dZ[b,r]*W[r,c]} (overwrites dA, {@code [batch][cols]}). */
    void gemmBackwardInput(float[] dz, int dzOff, int batch, float[] w, int wOff, int rows, int cols,
                           float[] da, int daOff);

    /**
     * Batched weight gradient, overwriting: {@code G[r,c] = sum_b dZ[b,r]*A[b,c]} and
     * {@code gb[r] = sum_b dZ[b,r]} for {@code r < rows}: the sum over the batch of the outer products
     * {@code delta (x) a_prev}. dZ element {@code [b,r]} is at {@code dz[dzOff + b*dzStride + r]}, so a
     * block of rows of a wider dZ can be handled by one call; A is {@code [batch][cols]}.
     */
    void gemmWeightGradient(float[] dz, int dzOff, int dzStride, int batch, float[] a, int aOff, int rows,
                            int cols, float[] g, int gOff, int gbOff);

    /**
     * In-place activation backward for a hidden layer: {@code d[i] = dL/dz} from {@code d[i] = dL/da}, given
     * that layer's {@code z} and {@code a} at the same offsets. Softmax is not elementwise and not allowed.
     */
    void activationBackward(Activation act, float slope, float[] d, float[] z, float[] a, int off, int len);

    // ---- vector utilities ---------------------------------------------------------------------------

    /** {@code dst[i] += src[i]} over {@code [off, off+len)} of both arrays. */
    void add(float[] dst, float[] src, int off, int len);

    /** {@code a[i] *= s} over {@code [off, off+len)}. */
    void scale(float[] a, int off, int len, float s);

    /** True when every value in {@code [off, off+len)} is finite (no NaN, no infinity). */
    boolean allFinite(float[] a, int off, int len);

    /** {@code sum a[i]^2} over {@code [off, off+len)}, accumulated so that it does not overflow float. */
    double sumOfSquares(float[] a, int off, int len);

    // ---- optimizer updates, elementwise over [off, off+len) of the flat parameter array --------------

    /**
     * SGD (torch.optim.SGD): L2 term, momentum buffer (copied from the gradient on the first step,
     * {@code firstStep}), dampening, Nesterov. {@code buf} is unused when momentum is 0.
     */
    void sgd(float[] p, float[] g, float[] buf, int off, int len, float lr, float momentum, float dampening,
             boolean nesterov, float weightDecay, boolean firstStep);

    /**
     * Adam / AdamW: {@code decoupled} selects AdamW's {@code p *= decayFactor} (= 1 - lr*wd, rounded from
     * double) instead of Adam's L2 term {@code g + wd*p}. {@code stepSize = lr/bc1} and
     * {@code bc2Sqrt = sqrt(1 - beta2^t)} are computed by the caller in double.
     */
    void adam(float[] p, float[] g, float[] m, float[] v, int off, int len, float beta1, float oneMinusBeta1,
              float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt, float weightDecay,
              boolean decoupled, float decayFactor);

    /** RMSprop (torch.optim.RMSprop), optionally centered ({@code ga} non-null) and with momentum. */
    void rmsprop(float[] p, float[] g, float[] sq, float[] ga, float[] buf, int off, int len, float lr,
                 float alpha, float oneMinusAlpha, float eps, float weightDecay, float momentum);
}
