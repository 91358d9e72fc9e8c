package org.mlp4j.internal.vector;

import static org.mlp4j.internal.kernel.Kernels.DOT_CHUNK;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.mlp4j.Activation;
import org.mlp4j.internal.kernel.Kernels;

/**
 * The forward GEMM of narrow layers (at most {@link Kernels#NARROW_ROWS} outputs, such as a regression or
 * binary head) in dot form, fp32 and bfloat16: the {@link Kernels#DOT_CHUNK} partial sums of the narrow order
 * ({@link org.mlp4j.internal.kernel.ScalarKernels#narrowDot}) live in the lanes of one 512-bit accumulator, two
 * 256-bit or four 128-bit ones, and are folded with lane shuffles in the fixed order, so every vector width
 * gives the scalar twin's bits.
 *
 * <p>Why: in the broadcast form of {@link PackedGemm} a 1-output layer uses one lane of sixteen and is one
 * chain of {@code cols} dependent FMAs per sample. The tiny net's 64x1 output layer took 3.9 us of a 22 us
 * batch of 128 (Zen 4, 512-bit, JDK 17, GemmBenchmark / InferenceBenchmark, 2026-12-02) and, for one sample,
 * a 64-FMA chain (~256 cycles of FMA latency) where this form has 4 FMAs and a 4-step fold.
 *
 * <p>Packed layout (fp32): each weight row padded with zeros to a multiple of 16 floats, the rows one after
 * another, then the {@code rows} biases. bfloat16: the same rows as 16-bit weights; the bias stays float in its
 * own array. A row's tail chunk multiplies the zero padding by a zero-padded copy of the input's tail.
 */
final class NarrowGemm {
    /** The preferred species, at most 512 bits: 16 / lanes accumulators hold one chunk. */
    static final VectorSpecies<Float> S =
            VectorShape.LANES > DOT_CHUNK ? FloatVector.SPECIES_512 : VectorShape.SPECIES;
    private static final int L = S.length();

    /** Samples per kernel call in batches: 4 independent chains hide the FMA and shuffle latency. */
    private static final int SAMPLES = 4;

    /**
     * The input tails (cols mod 16 floats) of up to {@link #SAMPLES} samples, each zero-padded to a whole chunk.
     */
    private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[SAMPLES * DOT_CHUNK]);

    private NarrowGemm() {
    }

    static boolean narrow(int rows) {
        return rows <= Kernels.NARROW_ROWS;
    }

    static int paddedCols(int cols) {
        return (cols + DOT_CHUNK - 1) / DOT_CHUNK * DOT_CHUNK;
    }

    static int packedLength(int rows, int cols) {
        return rows * paddedCols(cols) + rows;
    }

    static void pack(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff, int rowFrom,
                     int rowTo) {
        int cp = paddedCols(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            System.arraycopy(w, wOff + r * cols, dst, dstOff + r * cp, cols);
            Arrays.fill(dst, dstOff + r * cp + cols, dstOff + (r + 1) * cp, 0f);
            dst[dstOff + rows * cp + r] = w[bOff + r];
        }
    }

    static int packedLengthBf16(int rows, int cols) {
        return rows * paddedCols(cols);
    }

    static void packBf16(float[] w, int wOff, int bOff, int rows, int cols, short[] dst, int dstOff, float[] bias,
                         int biasOff) {
        int cp = paddedCols(cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                dst[dstOff + r * cp + c] = org.mlp4j.internal.kernel.Bf16.fromFloat(w[wOff + r * cols + c]);
            }
            Arrays.fill(dst, dstOff + r * cp + cols, dstOff + (r + 1) * cp, (short) 0);
            bias[biasOff + r] = w[bOff + r];
        }
    }

    static void forward(float[] a, int aOff, int batch, float[] p, int pOff, int rows, int cols, float[] z, int zOff,
                        float[] out, int oOff, Activation act, float slope) {
        run(a, aOff, batch, p, null, pOff, p, pOff + rows * paddedCols(cols), rows, cols, z, zOff, out, oOff, act,
                slope);
    }

    static void forwardBf16(float[] a, int aOff, int batch, short[] p, int pOff, float[] bias, int bOff, int rows,
                            int cols, float[] z, int zOff, float[] out, int oOff, Activation act, float slope) {
        run(a, aOff, batch, null, p, pOff, bias, bOff, rows, cols, z, zOff, out, oOff, act, slope);
    }

    /** Both weight types: float weights {@code p}, or bfloat16 weights {@code p16} when {@code p} is null. */
    private static void run(float[] a, int aOff, int batch, float[] p, short[] p16, int pOff, float[] bias, int bOff,
                            int rows, int cols, float[] z, int zOff, float[] out, int oOff, Activation act,
                            float slope) {
        int cp = paddedCols(cols);
        int full = cols / DOT_CHUNK * DOT_CHUNK;
        float[] tail = full < cols ? TAIL.get() : null;
        float[] pre = z != null ? z : out;
        int preOff = z != null ? zOff : oOff;
        for (int b = 0; b < batch; ) {
            int n = batch - b >= SAMPLES ? SAMPLES : 1;
            int ai = aOff + b * cols;
            if (tail != null) {
                copyTails(a, ai, cols, full, n, tail);
            }
            for (int r = 0; r < rows; r++) {
                int wi = pOff + r * cp;
                int oi = preOff + b * rows + r;
                float br = bias[bOff + r];
                if (p != null) {
                    tile(n, a, ai, cols, full, tail, p, wi, br, pre, oi, rows);
                } else {
                    tileBf16(n, a, ai, cols, full, tail, p16, wi, br, pre, oi, rows);
                }
            }
            b += n;
        }
        VectorOps.activationForward(act, slope, pre, preOff, out, oOff, batch * rows);
    }

    private static void tile(int n, float[] a, int ai, int as, int full, float[] tail, float[] w, int wi, float br,
                             float[] out, int oi, int os) {
        if (n == SAMPLES) {
            switch (L) {
                case 16: NarrowTiles.d4x16(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
                case 8: NarrowTiles.d4x8(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
                default: NarrowTiles.d4x4(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
            }
        }
        switch (L) {
            case 16: NarrowTiles.d1x16(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
            case 8: NarrowTiles.d1x8(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
            default: NarrowTiles.d1x4(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
        }
    }

    private static void tileBf16(int n, float[] a, int ai, int as, int full, float[] tail, short[] w, int wi,
                                 float br, float[] out, int oi, int os) {
        if (n == SAMPLES) {
            switch (L) {
                case 16: NarrowTiles.d4x16b(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
                case 8: NarrowTiles.d4x8b(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
                default: NarrowTiles.d4x4b(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
            }
        }
        switch (L) {
            case 16: NarrowTiles.d1x16b(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
            case 8: NarrowTiles.d1x8b(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
            default: NarrowTiles.d1x4b(a, ai, as, full, tail, w, wi, br, out, oi, os); return;
        }
    }

    /** Sample s's input tail {@code a[.., full..cols)} to {@code tail[16 s ..]}, zero-padded to 16 floats. */
    private static void copyTails(float[] a, int ai, int cols, int full, int n, float[] tail) {
        for (int s = 0; s < n; s++) {
            System.arraycopy(a, ai + s * cols + full, tail, s * DOT_CHUNK, cols - full);
            Arrays.fill(tail, s * DOT_CHUNK + cols - full, (s + 1) * DOT_CHUNK, 0f);
        }
    }
}
