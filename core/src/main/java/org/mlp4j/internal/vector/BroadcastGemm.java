package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * {@code C[i, j] (+)= sum_k L(i, k) * R[k, j]} in broadcast form: L values are broadcast, R rows are read
 * as contiguous vectors, and an MR x NR block of C (4 rows x 3 vectors) lives in 12 vector registers for the
 * whole k loop, with no horizontal reductions. L is addressed through strides, so the same code computes
 * {@code dA = dZ W} (L = dZ) and {@code dW += dZ^T A} (L = dZ transposed, read in place).
 *
 * <p>Loops: column panels of {@code NR * LANES} outermost, then row blocks, then k in chunks of
 * {@value #KC}. Measured on the MNIST shapes: a single pass over k (C written once, never re-read) beats
 * smaller chunks that keep the R panel in L1; L2 streams the panel fast enough.
 */
final class BroadcastGemm {
    private static final int MR = 4;
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
                for (; i + MR <= m; i += MR) {
                    block4x3(kc, l, lk + i * lsi, lsi, lsk, r, rk + j, rStride, c, cOff + i * cStride + j, cStride, acc);
                }
                for (; i < m; i++) {
                    for (int jj = j; jj < j + panel; jj += LANES) {
                        block1x1(kc, l, lk + i * lsi, lsk, r, rk + jj, rStride, c, cOff + i * cStride + jj, acc);
                    }
                }
            }
            for (; j + LANES <= n; j += LANES) {
                for (int i = 0; i < m; i++) {
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
