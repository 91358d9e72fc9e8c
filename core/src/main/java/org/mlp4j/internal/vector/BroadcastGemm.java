package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * {@code C[i, j] (+)= sum_k L(i, k) * R[k, j]} in broadcast form: L values are broadcast, R rows are read
 * as contiguous vectors, and a block of C (8 or 4 rows x 3 vectors, see {@link #MR}) lives in vector registers
 * for the whole k chunk, with no horizontal reductions. Every C element is one FMA chain over k in increasing
 * order, starting from C or 0, whatever block computes it, so results match the scalar twin bit for bit. The
 * micro-kernels are {@link BroadcastTiles}. Edges: the leftover rows of a panel go through one 4-, 2- and
 * 1-row tile as needed, a last panel of fewer than 3 vectors through the 2- and 1-vector tiles of the same row
 * counts (so an edge keeps 8 to 16 independent FMA chains instead of the 1 to 4 of 1 x 1 and 4 x 1 tiles), and
 * columns past the last whole vector through a scalar loop. Row counts that are a multiple of 10 (5 on 16
 * registers) but not of MR, a 10-class output layer's dW, run in 10 x 2 (5 x 2) blocks: no row edge at all.
 * L is addressed through strides, so the same code computes {@code dA = dZ W} (L = dZ) and
 * {@code dW = dZ^T A} (L = dZ transposed); with 32 vector registers each k chunk of L is first copied to a
 * constant row stride ({@link #copyL}, {@link #COPY_L}), with 16 it is read in place.
 *
 * <p>Loops: k in chunks of {@link #KC} outermost, then column panels of {@code 3 * LANES}, then row blocks.
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
     * On Zen 5 (2026-12-02, B = 128 and 256) 8 x 2 blocks measured slower than 8 x 3 on 11 of 12 shapes (one noisy run each).
     */
    static final int MR = SPECIES.vectorBitSize() >= 512 ? 8 : 4;
    private static final int TEN = MR == 8 ? 10 : 5;
    private static final int NR = 3;
    /**
     * k per pass: at 128 an 8 x 3 block's R panel (128 k x 3 vectors, 24 KB at 512 bits) stays in Zen 5's
     * 48 KB L1 while every row block reads it; a whole k of 256 (48 KB, with L beside it) does not, and the
     * panel streams from L2. C is re-read once per extra chunk. Measured 2026-12-02, Zen 5, JMH GemmBenchmark
     * B = 256 (k = 256), best iterations, noisy shared machine: 784x256 dA 173 -> 196 GFLOP/s, dW 154 -> 199;
     * k <= 128 is unaffected. The system property {@code mlp4j.broadcastGemm.kc} overrides it (at most
     * {@link BroadcastTiles#L_STRIDE}), for measuring.
     */
    static final int KC = Math.min(BroadcastTiles.L_STRIDE, Math.max(1, Integer.getInteger("mlp4j.broadcastGemm.kc",
            128)));

    /**
     * With 32 vector registers (MR 8) the tiles read L copied to a constant row stride ({@link #copyL}); with 16
     * (MR 4) in place. Intel Xeon (family 6 model 106, AVX-512), JDK 17, 2026-12-03, both builds in one JVM,
     * alternating, min of 30 calls x 10-12 rounds, B = 128: copied against in place, dW 784x256 489 / 561 us,
     * 256x128 131 / 131, dA 784x256 397 / 422, 256x128 97 / 97; MNIST training steps (1 thread, B = 128)
     * 1654 / 1722 us, (2 threads, B = 256) 1620 / 1772 us. The same under {@code -XX:UseAVX=2} (16 ymm
     * registers, 4-row tiles): dW 784x256 906 / 845 us, dA 1619 / 1349, training B = 128 3102 / 2934 us.
     */
    static final boolean COPY_L = MR == 8;
    /**
     * Whether rows that are a multiple of 10 (5) run in 10 x 2 (5 x 2) blocks; {@code -Dmlp4j.broadcastGemm.ten=false}
     * turns it off, for measuring. Zen 4, JDK 17, 2026-12-06, dW of the 128x10 layer at B = 128, best of 2000
     * calls, two JVMs each: 3.5 us with, 4.0 us without (8 + 2 rows).
     */
    /**
     * With 32 registers, dA (L = dZ, k contiguous) with fewer than this many k (a layer of fewer outputs: the
     * 10-class output layer) reads L in place with the 4-row tiles: its copy, a scalar loop of k floats per row,
     * cost more than the copied tiles saved. Zen 4, JDK 17, 2026-12-06, best of 2000 calls, two JVMs each: dA of
     * the 128x10 layer at B = 128 4.4 us against 5.0-5.2 us copied, at B = 32 1.1 against 1.3; at k = 32
     * (256x32) copied was faster (21.1 against 22.2 us), at k = 64 equal. dW keeps its copy at every k (784x256
     * at B = 8: 42.9 us copied, 45.7 in place). {@code -Dmlp4j.broadcastGemm.shortK=0} copies always.
     */
    static final int SHORT_K = Integer.getInteger("mlp4j.broadcastGemm.shortK", 16);
    static final boolean TEN_ROWS = Boolean.parseBoolean(System.getProperty("mlp4j.broadcastGemm.ten", "true"));

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

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
        // 10-row layers (a 10-class output layer's dW) in blocks of 10 (5 on 16 registers) x 2 vectors: no row
        // edge, whose 2-row tiles have too few FMA chains to cover the FMA latency.
        int vectors = n / LANES;
        // with 32 registers L is copied (copyL), except dA's rows (k contiguous) when k is below SHORT_K: the
        // in-place tiles of 4 rows then
        boolean copy = COPY_L && vectors > 0 && !(lsk == 1 && kk < SHORT_K);
        boolean inPlace32 = COPY_L && !copy;
        boolean ten = TEN_ROWS && !inPlace32 && m % MR != 0 && m % TEN == 0;
        int mr = ten ? TEN : inPlace32 ? 4 : MR;
        int nr = ten ? 2 : NR;
        float[] lp = null;
        if (copy) {
            float[][] holder = SCRATCH.get();
            if (holder[0].length < m * BroadcastTiles.L_STRIDE) {
                holder[0] = new float[m * BroadcastTiles.L_STRIDE];
            }
            lp = holder[0];
        }
        for (int k0 = 0; k0 < kk; k0 += KC) {
            int kc = Math.min(KC, kk - k0);
            boolean acc = accumulate || k0 > 0;
            int lk = lOff + k0 * lsk;
            int rk = rOff + k0 * rStride;
            if (copy) {
                copyL(l, lk, lsi, lsk, m, kc, lp);
            }
            for (int q = 0; q < vectors; q += nr) {
                int v = Math.min(nr, vectors - q); // the last panel may be narrower: column edge
                int j = q * LANES;
                int i = 0;
                for (; i + mr <= m; i += mr) {
                    tile(copy, mr, v, kc, copy ? lp : l, copy ? i * BroadcastTiles.L_STRIDE : lk + i * lsi, lsi, lsk,
                            r, rk + j, rStride, c, cOff + i * cStride + j, cStride, acc);
                }
                for (int h = MR / 2; h >= 1; h /= 2) { // row edge: 4, 2, 1 rows (at most one of each)
                    if (i + h <= m) {
                        tile(copy, h, v, kc, copy ? lp : l, copy ? i * BroadcastTiles.L_STRIDE : lk + i * lsi, lsi,
                                lsk, r, rk + j, rStride, c, cOff + i * cStride + j, cStride, acc);
                        i += h;
                    }
                }
            }
            int j = vectors * LANES;
            if (j < n) { // column tail narrower than one vector
                for (int i = 0; i < m; i++) {
                    tail(kc, l, lk + i * lsi, lsk, r, rk, rStride, c, cOff + i * cStride, j, n, acc);
                }
            }
        }
    }

    /**
     * Copies {@code L(i, k) = l[l0 + i*lsi + k*lsk]}, i < m, k < kc, to {@code dst[i * L_STRIDE + k]}: the tiles'
     * broadcasts then read one index plus constants. Read through {@code lsi} and {@code lsk}, every broadcast
     * of the compiled 8 x 3 tile had its own address arithmetic and range check, about 60 scalar instructions per
     * k-step for 24 FMAs (C2, JDK 17, AVX-512).
     */
    private static void copyL(float[] l, int l0, int lsi, int lsk, int m, int kc, float[] dst) {
        if (lsk == 1) { // rows in place (dA: L = dZ): vector copies
            for (int i = 0; i < m; i++) {
                int src = l0 + i * lsi;
                int d = i * BroadcastTiles.L_STRIDE;
                int k = 0;
                for (; k + LANES <= kc; k += LANES) {
                    FloatVector.fromArray(SPECIES, l, src + k).intoArray(dst, d + k);
                }
                for (; k < kc; k++) {
                    dst[d + k] = l[src + k];
                }
            }
        } else if (VectorOps.GATHER_COPIES) { // transposed (dW: L = dZ^T), LANES values of k per gather
            int[] map = VectorOps.strideMap(lsk);
            int k = 0;
            for (; k + LANES <= kc; k += LANES) { // the LANES rows of L^T at k stay in L1 across i
                int src = l0 + k * lsk;
                for (int i = 0, d = k; i < m; i++, d += BroadcastTiles.L_STRIDE) {
                    FloatVector.fromArray(SPECIES, l, src + i * lsi, map, 0).intoArray(dst, d);
                }
            }
            for (; k < kc; k++) {
                int src = l0 + k * lsk;
                for (int i = 0, d = k; i < m; i++, d += BroadcastTiles.L_STRIDE) {
                    dst[d] = l[src + i * lsi];
                }
            }
        } else { // transposed (dW: L = dZ^T)
            for (int k = 0; k < kc; k++) {
                int src = l0 + k * lsk;
                for (int i = 0, d = k; i < m; i++, d += BroadcastTiles.L_STRIDE) {
                    dst[d] = l[src + i * lsi];
                }
            }
        }
    }

    private static void tile(boolean copied, int rows, int v, int kc, float[] l, int l0, int lsi, int lsk, float[] r,
                             int r0, int rs, float[] c, int c0, int cs, boolean acc) {
        if (copied) {
            switch (rows * 8 + v) {
                case 10 * 8 + 2: BroadcastTiles.c10x2(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 10 * 8 + 1: BroadcastTiles.c10x1(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 8 * 8 + 3: BroadcastTiles.c8x3(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 8 * 8 + 2: BroadcastTiles.c8x2(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 8 * 8 + 1: BroadcastTiles.c8x1(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 4 * 8 + 3: BroadcastTiles.c4x3(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 4 * 8 + 2: BroadcastTiles.c4x2(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 4 * 8 + 1: BroadcastTiles.c4x1(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 2 * 8 + 3: BroadcastTiles.c2x3(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 2 * 8 + 2: BroadcastTiles.c2x2(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 2 * 8 + 1: BroadcastTiles.c2x1(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 1 * 8 + 3: BroadcastTiles.c1x3(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 1 * 8 + 2: BroadcastTiles.c1x2(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                case 1 * 8 + 1: BroadcastTiles.c1x1(kc, l, l0, r, r0, rs, c, c0, cs, acc); return;
                default: throw new AssertionError(rows + " x " + v);
            }
        }
        switch (rows * 8 + v) {
            case 5 * 8 + 2: BroadcastTiles.t5x2(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 5 * 8 + 1: BroadcastTiles.t5x1(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 4 * 8 + 3: BroadcastTiles.t4x3(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 4 * 8 + 2: BroadcastTiles.t4x2(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 4 * 8 + 1: BroadcastTiles.t4x1(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 2 * 8 + 3: BroadcastTiles.t2x3(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 2 * 8 + 2: BroadcastTiles.t2x2(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 2 * 8 + 1: BroadcastTiles.t2x1(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 1 * 8 + 3: BroadcastTiles.t1x3(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 1 * 8 + 2: BroadcastTiles.t1x2(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            case 1 * 8 + 1: BroadcastTiles.t1x1(kc, l, l0, lsi, lsk, r, r0, rs, c, c0, cs, acc); return;
            default: throw new AssertionError(rows + " x " + v);
        }
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
