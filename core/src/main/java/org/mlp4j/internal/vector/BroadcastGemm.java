package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * {@code C[i, j] (+)= sum_k L(i, k) * R[k, j]} in broadcast form: L values are broadcast, R rows are read
 * as contiguous vectors, and an MR x NR block of C (8 or 4 rows x 3 vectors, see {@link #MR}) lives in
 * vector registers for the whole k loop, with no horizontal reductions. Every C element is one FMA chain over
 * k in increasing order, starting from C or 0, whatever block computes it, so results match the scalar twin
 * bit for bit. Edges stay outside the micro-kernel: leftover rows of a panel go through 4 x 3 then 1 x 1,
 * leftover column vectors (fewer than NR) through 4 x 1 (four independent chains instead of one). L is addressed through strides, so the same code computes
 * {@code dA = dZ W} (L = dZ) and {@code dW += dZ^T A} (L = dZ transposed, read in place).
 *
 * <p>Loops: column panels of {@code NR * LANES} outermost, then row blocks, then k in chunks of
 * {@value #KC}. Measured on the MNIST shapes: a single pass over k (C written once, never re-read) beats
 * smaller chunks that keep the R panel in L1; L2 streams the panel fast enough.
 */
final class BroadcastGemm {
    /**
     * 512-bit species means AVX-512 (or SVE-512): 32 vector registers, room for an 8 x 3 block (24
     * accumulators + 3 R vectors + 1 broadcast). Narrower species keep 4 x 3 (12 + 3 + 1 = 16 registers, AVX2).
     * Measured (JMH GemmBenchmark, vector kernels, batch 128, Xeon with AVX-512, 16 lanes; shared machine, so
     * four runs alternated with four of the old 4 x 3 code, so the spread is wide): 784x256 dA 584-723 us ->
     * 446-610 us, dW 573-623 us -> 424-510 us; 256x128 dA 85-116 -> 65-78 us, dW 124-135 -> 72-83 us;
     * 128x10 dA 4.7-5.9 -> 3.4-4.5 us, dW 9.6-10.7 -> 6.1-7.6 us. A 6 x 4 block (also 24 accumulators) measured
     * 476 / 464 / 67 / 77 / 2.9 / 9.3 us in the same order: no better, and 8 rows divide the usual widths.
     * The numbers include the column edge moving from 1 x 1 to 4 x 1 (784 = 49 vectors leaves one).
     * KC stays 256: at batch 128 every k here is at most 256, so it does not come into play.
     */
    private static final boolean WIDE = SPECIES.vectorBitSize() >= 512;
    private static final int MR = WIDE ? 8 : 4;
    private static final int NR = 3;
    private static final int KC = 256;

    private BroadcastGemm() {
    }

    static void run(int m, int n, int kk, float[] l, int lOff, int lsi, int lsk, float[] r, int rOff, int rStride,
                    float[] c, int cOff, int cStride, boolean accumulate) {
        if (kk == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * cStride, cOff + i * cStride + n, 0f);
                }
            }
            return;
        }
        int panel = NR * LANES;
        for (int k0 = 0; k0 < kk; k0 += KC) {
            int kc = Math.min(KC, kk - k0);
            boolean acc = accumulate || k0 > 0;
            int lk = lOff + k0 * lsk;
            int rk = rOff + k0 * rStride;
            int j = 0;
            for (; j + panel <= n; j += panel) {
                int i = 0;
                if (MR == 8) {
                    for (; i + 8 <= m; i += 8) {
                        block8x3(kc, l, lk + i * lsi, lsi, lsk, r, rk + j, rStride, c, cOff + i * cStride + j, cStride, acc);
                    }
                }
                for (; i + 4 <= m; i += 4) { // row edge of the 8 x 3 block, or the whole panel on 256/128 bits
                    block4x3(kc, l, lk + i * lsi, lsi, lsk, r, rk + j, rStride, c, cOff + i * cStride + j, cStride, acc);
                }
                for (; i < m; i++) {
                    for (int jj = j; jj < j + panel; jj += LANES) {
                        block1x1(kc, l, lk + i * lsi, lsk, r, rk + jj, rStride, c, cOff + i * cStride + jj, acc);
                    }
                }
            }
            for (; j + LANES <= n; j += LANES) { // column edge: fewer than NR vectors left
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    block4x1(kc, l, lk + i * lsi, lsi, lsk, r, rk + j, rStride, c, cOff + i * cStride + j, cStride, acc);
                }
                for (; i < m; i++) {
                    block1x1(kc, l, lk + i * lsi, lsk, r, rk + j, rStride, c, cOff + i * cStride + j, acc);
                }
            }
            if (j < n) { // column tail narrower than one vector
                for (int i = 0; i < m; i++) {
                    tail(kc, l, lk + i * lsi, lsk, r, rk, rStride, c, cOff + i * cStride, j, n, acc);
                }
            }
        }
    }

    private static void block8x3(int kc, float[] l, int l0, int lsi, int lsk, float[] r, int r0, int rStride,
                                 float[] c, int c0, int cStride, boolean accumulate) {
        int c1 = c0 + cStride;
        int c2 = c1 + cStride;
        int c3 = c2 + cStride;
        int c4 = c3 + cStride;
        int c5 = c4 + cStride;
        int c6 = c5 + cStride;
        int c7 = c6 + cStride;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector c00 = accumulate ? FloatVector.fromArray(SPECIES, c, c0) : zero;
        FloatVector c01 = accumulate ? FloatVector.fromArray(SPECIES, c, c0 + LANES) : zero;
        FloatVector c02 = accumulate ? FloatVector.fromArray(SPECIES, c, c0 + 2 * LANES) : zero;
        FloatVector c10 = accumulate ? FloatVector.fromArray(SPECIES, c, c1) : zero;
        FloatVector c11 = accumulate ? FloatVector.fromArray(SPECIES, c, c1 + LANES) : zero;
        FloatVector c12 = accumulate ? FloatVector.fromArray(SPECIES, c, c1 + 2 * LANES) : zero;
        FloatVector c20 = accumulate ? FloatVector.fromArray(SPECIES, c, c2) : zero;
        FloatVector c21 = accumulate ? FloatVector.fromArray(SPECIES, c, c2 + LANES) : zero;
        FloatVector c22 = accumulate ? FloatVector.fromArray(SPECIES, c, c2 + 2 * LANES) : zero;
        FloatVector c30 = accumulate ? FloatVector.fromArray(SPECIES, c, c3) : zero;
        FloatVector c31 = accumulate ? FloatVector.fromArray(SPECIES, c, c3 + LANES) : zero;
        FloatVector c32 = accumulate ? FloatVector.fromArray(SPECIES, c, c3 + 2 * LANES) : zero;
        FloatVector c40 = accumulate ? FloatVector.fromArray(SPECIES, c, c4) : zero;
        FloatVector c41 = accumulate ? FloatVector.fromArray(SPECIES, c, c4 + LANES) : zero;
        FloatVector c42 = accumulate ? FloatVector.fromArray(SPECIES, c, c4 + 2 * LANES) : zero;
        FloatVector c50 = accumulate ? FloatVector.fromArray(SPECIES, c, c5) : zero;
        FloatVector c51 = accumulate ? FloatVector.fromArray(SPECIES, c, c5 + LANES) : zero;
        FloatVector c52 = accumulate ? FloatVector.fromArray(SPECIES, c, c5 + 2 * LANES) : zero;
        FloatVector c60 = accumulate ? FloatVector.fromArray(SPECIES, c, c6) : zero;
        FloatVector c61 = accumulate ? FloatVector.fromArray(SPECIES, c, c6 + LANES) : zero;
        FloatVector c62 = accumulate ? FloatVector.fromArray(SPECIES, c, c6 + 2 * LANES) : zero;
        FloatVector c70 = accumulate ? FloatVector.fromArray(SPECIES, c, c7) : zero;
        FloatVector c71 = accumulate ? FloatVector.fromArray(SPECIES, c, c7 + LANES) : zero;
        FloatVector c72 = accumulate ? FloatVector.fromArray(SPECIES, c, c7 + 2 * LANES) : zero;
        int li = l0;
        int ri = r0;
        for (int k = 0; k < kc; k++, li += lsk, ri += rStride) {
            FloatVector r0v = FloatVector.fromArray(SPECIES, r, ri);
            FloatVector r1v = FloatVector.fromArray(SPECIES, r, ri + LANES);
            FloatVector r2v = FloatVector.fromArray(SPECIES, r, ri + 2 * LANES);
            FloatVector lv = FloatVector.broadcast(SPECIES, l[li]);
            c00 = r0v.fma(lv, c00);
            c01 = r1v.fma(lv, c01);
            c02 = r2v.fma(lv, c02);
            lv = FloatVector.broadcast(SPECIES, l[li + lsi]);
            c10 = r0v.fma(lv, c10);
            c11 = r1v.fma(lv, c11);
            c12 = r2v.fma(lv, c12);
            lv = FloatVector.broadcast(SPECIES, l[li + 2 * lsi]);
            c20 = r0v.fma(lv, c20);
            c21 = r1v.fma(lv, c21);
            c22 = r2v.fma(lv, c22);
            lv = FloatVector.broadcast(SPECIES, l[li + 3 * lsi]);
            c30 = r0v.fma(lv, c30);
            c31 = r1v.fma(lv, c31);
            c32 = r2v.fma(lv, c32);
            lv = FloatVector.broadcast(SPECIES, l[li + 4 * lsi]);
            c40 = r0v.fma(lv, c40);
            c41 = r1v.fma(lv, c41);
            c42 = r2v.fma(lv, c42);
            lv = FloatVector.broadcast(SPECIES, l[li + 5 * lsi]);
            c50 = r0v.fma(lv, c50);
            c51 = r1v.fma(lv, c51);
            c52 = r2v.fma(lv, c52);
            lv = FloatVector.broadcast(SPECIES, l[li + 6 * lsi]);
            c60 = r0v.fma(lv, c60);
            c61 = r1v.fma(lv, c61);
            c62 = r2v.fma(lv, c62);
            lv = FloatVector.broadcast(SPECIES, l[li + 7 * lsi]);
            c70 = r0v.fma(lv, c70);
            c71 = r1v.fma(lv, c71);
            c72 = r2v.fma(lv, c72);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c02.intoArray(c, c0 + 2 * LANES);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + LANES);
        c12.intoArray(c, c1 + 2 * LANES);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + LANES);
        c22.intoArray(c, c2 + 2 * LANES);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + LANES);
        c32.intoArray(c, c3 + 2 * LANES);
        c40.intoArray(c, c4);
        c41.intoArray(c, c4 + LANES);
        c42.intoArray(c, c4 + 2 * LANES);
        c50.intoArray(c, c5);
        c51.intoArray(c, c5 + LANES);
        c52.intoArray(c, c5 + 2 * LANES);
        c60.intoArray(c, c6);
        c61.intoArray(c, c6 + LANES);
        c62.intoArray(c, c6 + 2 * LANES);
        c70.intoArray(c, c7);
        c71.intoArray(c, c7 + LANES);
        c72.intoArray(c, c7 + 2 * LANES);
    }

    private static void block4x1(int kc, float[] l, int l0, int lsi, int lsk, float[] r, int r0, int rStride,
                                 float[] c, int c0, int cStride, boolean accumulate) {
        int c1 = c0 + cStride;
        int c2 = c1 + cStride;
        int c3 = c2 + cStride;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector c00 = accumulate ? FloatVector.fromArray(SPECIES, c, c0) : zero;
        FloatVector c10 = accumulate ? FloatVector.fromArray(SPECIES, c, c1) : zero;
        FloatVector c20 = accumulate ? FloatVector.fromArray(SPECIES, c, c2) : zero;
        FloatVector c30 = accumulate ? FloatVector.fromArray(SPECIES, c, c3) : zero;
        int li = l0;
        int ri = r0;
        for (int k = 0; k < kc; k++, li += lsk, ri += rStride) {
            FloatVector r0v = FloatVector.fromArray(SPECIES, r, ri);
            FloatVector lv = FloatVector.broadcast(SPECIES, l[li]);
            c00 = r0v.fma(lv, c00);
            lv = FloatVector.broadcast(SPECIES, l[li + lsi]);
            c10 = r0v.fma(lv, c10);
            lv = FloatVector.broadcast(SPECIES, l[li + 2 * lsi]);
            c20 = r0v.fma(lv, c20);
            lv = FloatVector.broadcast(SPECIES, l[li + 3 * lsi]);
            c30 = r0v.fma(lv, c30);
        }
        c00.intoArray(c, c0);
        c10.intoArray(c, c1);
        c20.intoArray(c, c2);
        c30.intoArray(c, c3);
    }

    private static void block4x3(int kc, float[] l, int l0, int lsi, int lsk, float[] r, int r0, int rStride,
                                 float[] c, int c0, int cStride, boolean accumulate) {
        // Accumulators start at zero, or at C when accumulating, so the epilogue is a plain store: no
        // helper call taking vectors (a call C2 declines to inline boxes its vector arguments).
        int c1 = c0 + cStride;
        int c2 = c1 + cStride;
        int c3 = c2 + cStride;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector c00 = accumulate ? FloatVector.fromArray(SPECIES, c, c0) : zero;
        FloatVector c01 = accumulate ? FloatVector.fromArray(SPECIES, c, c0 + LANES) : zero;
        FloatVector c02 = accumulate ? FloatVector.fromArray(SPECIES, c, c0 + 2 * LANES) : zero;
        FloatVector c10 = accumulate ? FloatVector.fromArray(SPECIES, c, c1) : zero;
        FloatVector c11 = accumulate ? FloatVector.fromArray(SPECIES, c, c1 + LANES) : zero;
        FloatVector c12 = accumulate ? FloatVector.fromArray(SPECIES, c, c1 + 2 * LANES) : zero;
        FloatVector c20 = accumulate ? FloatVector.fromArray(SPECIES, c, c2) : zero;
        FloatVector c21 = accumulate ? FloatVector.fromArray(SPECIES, c, c2 + LANES) : zero;
        FloatVector c22 = accumulate ? FloatVector.fromArray(SPECIES, c, c2 + 2 * LANES) : zero;
        FloatVector c30 = accumulate ? FloatVector.fromArray(SPECIES, c, c3) : zero;
        FloatVector c31 = accumulate ? FloatVector.fromArray(SPECIES, c, c3 + LANES) : zero;
        FloatVector c32 = accumulate ? FloatVector.fromArray(SPECIES, c, c3 + 2 * LANES) : zero;
        int li = l0;
        int ri = r0;
        for (int k = 0; k < kc; k++, li += lsk, ri += rStride) {
            FloatVector r0v = FloatVector.fromArray(SPECIES, r, ri);
            FloatVector r1v = FloatVector.fromArray(SPECIES, r, ri + LANES);
            FloatVector r2v = FloatVector.fromArray(SPECIES, r, ri + 2 * LANES);
            FloatVector lv = FloatVector.broadcast(SPECIES, l[li]);
            c00 = r0v.fma(lv, c00);
            c01 = r1v.fma(lv, c01);
            c02 = r2v.fma(lv, c02);
            lv = FloatVector.broadcast(SPECIES, l[li + lsi]);
            c10 = r0v.fma(lv, c10);
            c11 = r1v.fma(lv, c11);
            c12 = r2v.fma(lv, c12);
            lv = FloatVector.broadcast(SPECIES, l[li + 2 * lsi]);
            c20 = r0v.fma(lv, c20);
            c21 = r1v.fma(lv, c21);
            c22 = r2v.fma(lv, c22);
            lv = FloatVector.broadcast(SPECIES, l[li + 3 * lsi]);
            c30 = r0v.fma(lv, c30);
            c31 = r1v.fma(lv, c31);
            c32 = r2v.fma(lv, c32);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c02.intoArray(c, c0 + 2 * LANES);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + LANES);
        c12.intoArray(c, c1 + 2 * LANES);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + LANES);
        c22.intoArray(c, c2 + 2 * LANES);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + LANES);
        c32.intoArray(c, c3 + 2 * LANES);
    }

    private static void block1x1(int kc, float[] l, int l0, int lsk, float[] r, int r0, int rStride,
                                 float[] c, int c0, boolean accumulate) {
        FloatVector acc = accumulate ? FloatVector.fromArray(SPECIES, c, c0) : FloatVector.zero(SPECIES);
        int li = l0;
        int ri = r0;
        for (int k = 0; k < kc; k++, li += lsk, ri += rStride) {
            acc = FloatVector.fromArray(SPECIES, r, ri).fma(FloatVector.broadcast(SPECIES, l[li]), acc);
        }
        acc.intoArray(c, c0);
    }

    private static void tail(int kc, float[] l, int l0, int lsk, float[] r, int rk, int rStride, float[] c, int cRow,
                             int from, int to, boolean accumulate) {
        for (int j = from; j < to; j++) {
            float s = accumulate ? c[cRow + j] : 0f;
            int li = l0;
            int ri = rk + j;
            for (int k = 0; k < kc; k++, li += lsk, ri += rStride) {
                s = Math.fma(r[ri], l[li], s);
            }
            c[cRow + j] = s;
        }
    }
}
