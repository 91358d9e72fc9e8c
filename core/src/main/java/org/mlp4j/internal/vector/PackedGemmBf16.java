package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;

import org.mlp4j.Activation;
import org.mlp4j.internal.kernel.Bf16;

/**
 * The forward GEMM of {@link PackedGemm} over bfloat16 weights, for serving: half the bytes of weights to
 * stream per sample. The panels are {@link PackedGemm}'s ({@code nrf} output rows, k-major, zero-padded) with
 * 16-bit weights and without the bias row; the bias stays float, in its own array padded to whole panels.
 * Within a two-vector panel the two vectors' weights are interleaved ({@link #position}).
 *
 * <p>Widening on JDK 17's Vector API: a two-vector k-row is one full-width load of shorts reinterpreted as
 * ints, the even shorts shifted left 16 and the odd ones masked to their high half; a one-vector k-row is
 * {@code LANES} shorts sign-extended to ints ({@code S2I}) and shifted left 16. Each gives the exact float of
 * the bfloat16. The arithmetic after that is {@link PackedGemm}'s (one FMA chain over k from zero, then the
 * bias), so the outputs are bit-identical to the float kernels over the weights rounded to bfloat16, and to
 * the scalar twin in {@code ScalarKernels}.
 *
 * <p>Tiles ({@link PackedTilesBf16}, generated): the float GEMM's shapes and block sizes, MR (6 or 4; 8 when
 * set), 6, 4 and 1 samples x 1 or 2 vectors for batches (6 samples over 2 panels per pass), segment tiles that
 * leave out blank input, and 1 sample over 4 panels per pass (the serving case, 4 or 8 independent FMA chains).
 */
final class PackedGemmBf16 {
    /**
     * Samples per register block ({@link PackedGemm#MR_BF16}: 6 with 32 vector registers, 4 with 16).
     */
    private static final int MR = PackedGemm.MR_BF16;

    private PackedGemmBf16() {
    }

    static int packedLength(int rows, int cols) {
        if (NarrowGemm.narrow(rows)) {
            return NarrowGemm.packedLengthBf16(rows, cols);
        }
        int nrf = PackedGemm.panelWidth(rows);
        return (rows + nrf - 1) / nrf * cols * nrf;
    }

    static int biasLength(int rows) {
        if (NarrowGemm.narrow(rows)) {
            return rows;
        }
        int nrf = PackedGemm.panelWidth(rows);
        return (rows + nrf - 1) / nrf * nrf;
    }

    static void pack(float[] w, int wOff, int bOff, int rows, int cols, short[] dst, int dstOff, float[] bias,
                     int biasOff) {
        if (NarrowGemm.narrow(rows)) {
            NarrowGemm.packBf16(w, wOff, bOff, rows, cols, dst, dstOff, bias, biasOff);
            return;
        }
        int nrf = PackedGemm.panelWidth(rows);
        int panelSize = cols * nrf;
        for (int r0 = 0, p = dstOff; r0 < rows; r0 += nrf, p += panelSize) {
            int n = Math.min(nrf, rows - r0);
            for (int j = 0; j < nrf; j++) {
                int at = position(j, nrf);
                if (j < n) {
                    int src = wOff + (r0 + j) * cols;
                    for (int k = 0, d = p + at; k < cols; k++, d += nrf) {
                        dst[d] = Bf16.fromFloat(w[src + k]);
                    }
                    bias[biasOff + r0 + j] = w[bOff + r0 + j];
                } else { // zero padding of the last panel
                    for (int k = 0, d = p + at; k < cols; k++, d += nrf) {
                        dst[d] = 0;
                    }
                    bias[biasOff + r0 + j] = 0f;
                }
            }
        }
    }

    /**
     * Where panel row {@code j} (of {@code nrf}) lies within a k-row of the panel: in order for one-vector
     * panels; interleaved for two-vector panels (row j of vector 0 at 2j, of vector 1 at 2j+1), so that one
     * full-width load reinterpreted as ints yields both vectors with one shift or mask each, instead of two
     * half-width loads, two sign extensions and two shifts.
     */
    static int position(int j, int nrf) {
        if (nrf == LANES) {
            return j;
        }
        return j < LANES ? 2 * j : 2 * (j - LANES) + 1;
    }

    static void forward(float[] a, int aOff, int batch, short[] p, int pOff, float[] bias, int bOff, int rows,
                        int cols, float[] z, int zOff, float[] out, int oOff, Activation act, float slope) {
        if (NarrowGemm.narrow(rows)) {
            NarrowGemm.forwardBf16(a, aOff, batch, p, pOff, bias, bOff, rows, cols, z, zOff, out, oOff, act, slope);
            return;
        }
        int v = PackedGemm.vectors(rows);
        int nrf = v * LANES;
        int panelSize = cols * nrf;
        float[] pre = z != null ? z : out;
        int preOff = z != null ? zOff : oOff;
        int chunk = PackedGemm.chunkRows(cols);
        int b = 0;
        while (b < batch) {
            int end;
            if (PackedGemm.blockRows(batch - b, MR) == 1) { // one of the batch's last 1-3 rows (or a single sample)
                oneRow(v, cols, rows, a, aOff + b * cols, p, null, pOff, panelSize, bias, bOff, pre,
                        preOff + b * rows);
                end = b + 1;
            } else {
                end = blockChunk(a, aOff, batch, b, chunk, cols, v, rows, p, pOff, panelSize, bias, bOff, pre,
                        preOff);
            }
            VectorOps.activationForward(act, slope, pre, preOff + b * rows, out, oOff + b * rows, (end - b) * rows);
            b = end;
        }
    }

    /**
     * {@link #forward} of one sample ({@code z} null) with the weights read from {@code aligned}, the
     * {@link AlignedPanels#copyOf(short[])} of {@code p}: the same bits. Narrow layers read {@code p}.
     */
    static void forwardOneAligned(float[] a, int aOff, Object aligned, short[] p, int pOff, float[] bias, int bOff,
                                  int rows, int cols, float[] out, int oOff, Activation act, float slope) {
        if (NarrowGemm.narrow(rows)) {
            NarrowGemm.forwardBf16(a, aOff, 1, p, pOff, bias, bOff, rows, cols, null, 0, out, oOff, act, slope);
            return;
        }
        int v = PackedGemm.vectors(rows);
        oneRow(v, cols, rows, a, aOff, p, aligned, pOff, cols * v * LANES, bias, bOff, out, oOff);
        VectorOps.activationForward(act, slope, out, oOff, out, oOff, rows);
    }

    private static void oneSegmentAligned(int n, int v, int k0, int k1, float[] a, int ai, Object p, int pi,
                                          int ps, float[] init, int ci, float[] bias, int bi, float[] out, int oi)
            throws Throwable {
        if (v == 2) {
            switch (n) {
                case 4: PackedTilesBf16.t1x2p4m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
                case 3: PackedTilesBf16.t1x2p3m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
                case 2: PackedTilesBf16.t1x2p2m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
                default: PackedTilesBf16.t1x2m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            }
        }
        switch (n) {
            case 4: PackedTilesBf16.t1x1p4m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            case 3: PackedTilesBf16.t1x1p3m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            case 2: PackedTilesBf16.t1x1p2m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            default: PackedTilesBf16.t1x1m(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
        }
    }

    /**
     * One sample: its nonzero segments, 2-4 panels per pass (see {@link PackedGemm}); the weights from
     * {@code aligned} ({@link AlignedPanels}' copy of {@code p}) where it is not null.
     */
    private static void oneRow(int v, int cols, int rows, float[] a, int ai, short[] p, Object aligned, int pOff,
                               int panelSize, float[] bias, int bOff, float[] pre, int pi) {
        int nrf = v * LANES;
        int full = rows / nrf;
        int rem = rows - full * nrf;
        int[] seg = cols >= PackedGemm.SKIP_MIN_COLS ? PackedGemm.segmentScratch(cols) : null;
        int segs = seg != null ? PackedGemm.nonZeroSegments(a, ai, 1, cols, cols, seg, 0) : -cols;
        int q = 0;
        for (int n; (n = Math.min(4, full - q)) >= 2; q += n) {
            oneSample(n, v, seg, segs, cols, a, ai, p, aligned, pOff + q * panelSize, panelSize, bias,
                    bOff + q * nrf, pre, pi + q * nrf);
        }
        for (; q < full; q++) {
            oneSample(1, v, seg, segs, cols, a, ai, p, aligned, pOff + q * panelSize, panelSize, bias,
                    bOff + q * nrf, pre, pi + q * nrf);
        }
        if (rem > 0) { // partial last panel: into the scratch tile, then the valid columns out
            float[] scratch = PackedGemm.scratch().tile;
            oneSample(1, v, seg, segs, cols, a, ai, p, aligned, pOff + full * panelSize, panelSize, bias,
                    bOff + full * nrf, scratch, 0);
            System.arraycopy(scratch, 0, pre, pi + full * nrf, rem);
        }
    }

    /** A chunk of blocks of rows, panel group by panel group, as in {@link PackedGemm}; returns its end. */
    private static int blockChunk(float[] a, int aOff, int batch, int b0, int chunk, int cols, int v, int rows,
                                  short[] p, int pOff, int panelSize, float[] bias, int bOff, float[] pre,
                                  int preOff) {
        int nrf = v * LANES;
        int full = rows / nrf;
        int rem = rows - full * nrf;
        PackedGemm.Scratch s = PackedGemm.scratch();
        boolean skip = cols >= PackedGemm.SKIP_MIN_COLS;
        int stride = PackedGemm.Scratch.segmentsLength(cols);
        int[] seg = skip ? s.chunkSegments(chunk / 4 + 1, stride) : null;
        int[] segCount = s.segmentCounts;
        int nb = 0;
        int b = b0;
        for (int mr; b < b0 + chunk && (mr = PackedGemm.blockRows(batch - b, MR)) > 1; b += mr, nb++) {
            if (skip) {
                segCount[nb] = PackedGemm.nonZeroSegments(a, aOff + b * cols, mr, cols, cols, seg, nb * stride);
            }
        }
        int end = b;
        for (int q = 0; q < full; ) {
            int np = MR == 6 && v == 2 && q + 1 < full ? 2 : 1; // 6-row blocks pass over two panels
            for (int i = 0, bb = b0; i < nb; i++) {
                int mr = PackedGemm.blockRows(batch - bb, MR);
                int ai = aOff + bb * cols;
                int pi = preOff + bb * rows + q * nrf;
                int so = i * stride;
                int segs = skip ? segCount[i] : 1;
                boolean dense = !skip || segs == 1 && seg[so] == 0 && seg[so + 1] == cols;
                int pq = pOff + q * panelSize;
                int bq = bOff + q * nrf;
                if (np == 2 && mr == 6) {
                    if (dense) {
                        PackedTilesBf16.t6x2p2(cols, a, ai, cols, p, pq, panelSize, bias, bq, pre, pi, rows);
                    } else {
                        blockSegments(mr, v, 2, seg, so, segs, cols, a, ai, p, pq, panelSize, bias, bq, pre, pi,
                                rows);
                    }
                } else {
                    for (int j = 0; j < np; j++, pq += panelSize, bq += nrf, pi += nrf) {
                        if (dense) {
                            tile(mr, v, cols, a, ai, p, pq, bias, bq, pre, pi, rows);
                        } else {
                            blockSegments(mr, v, 1, seg, so, segs, cols, a, ai, p, pq, panelSize, bias, bq, pre,
                                    pi, rows);
                        }
                    }
                }
                bb += mr;
            }
            q += np;
        }
        if (rem > 0) { // partial last panel: into the scratch tile, then the valid columns out
            float[] scratch = s.tile;
            int pq = pOff + full * panelSize;
            int bq = bOff + full * nrf;
            for (int i = 0, bb = b0; i < nb; i++) {
                int mr = PackedGemm.blockRows(batch - bb, MR);
                int ai = aOff + bb * cols;
                int so = i * stride;
                int segs = skip ? segCount[i] : 1;
                boolean dense = !skip || segs == 1 && seg[so] == 0 && seg[so + 1] == cols;
                if (dense) {
                    tile(mr, v, cols, a, ai, p, pq, bias, bq, scratch, 0, nrf);
                } else {
                    blockSegments(mr, v, 1, seg, so, segs, cols, a, ai, p, pq, panelSize, bias, bq, scratch, 0,
                            nrf);
                }
                for (int r = 0; r < mr; r++) {
                    System.arraycopy(scratch, r * nrf, pre, preOff + (bb + r) * rows + full * nrf, rem);
                }
                bb += mr;
            }
        }
        return end;
    }

    /**
     * One sample over {@code n} (1-4) consecutive panels, one pass per segment of {@code seg} (or over all of k
     * when {@code segs < 0}), as in {@link PackedGemm}: each segment continues the previous one's sums in
     * {@code out}, the last adds the bias.
     */
    private static void oneSample(int n, int v, int[] seg, int segs, int cols, float[] a, int ai, short[] p,
                                  Object aligned, int pi, int ps, float[] bias, int bi, float[] out, int oi) {
        float[] zeros = PackedGemm.ZEROS;
        if (segs < 0) {
            oneSegment(n, v, 0, cols, a, ai, p, aligned, pi, ps, zeros, 0, bias, bi, out, oi);
            return;
        }
        for (int g = 0; g < segs; g++) {
            boolean last = g == segs - 1;
            oneSegment(n, v, seg[2 * g], seg[2 * g + 1], a, ai, p, aligned, pi, ps, g == 0 ? zeros : out,
                    g == 0 ? 0 : oi, last ? bias : zeros, last ? bi : 0, out, oi);
        }
    }

    private static void oneSegment(int n, int v, int k0, int k1, float[] a, int ai, short[] p, Object aligned,
                                   int pi, int ps, float[] init, int ci, float[] bias, int bi, float[] out, int oi) {
        if (aligned != null) {
            try {
                oneSegmentAligned(n, v, k0, k1, a, ai, aligned, pi, ps, init, ci, bias, bi, out, oi);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) { // the tiles' method handle declares Throwable; fromMemorySegment throws none
                throw new IllegalStateException(t);
            }
            return;
        }
        if (v == 2) {
            switch (n) {
                case 4: PackedTilesBf16.t1x2p4(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
                case 3: PackedTilesBf16.t1x2p3(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
                case 2: PackedTilesBf16.t1x2p2(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
                default: PackedTilesBf16.t1x2(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            }
        }
        switch (n) {
            case 4: PackedTilesBf16.t1x1p4(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            case 3: PackedTilesBf16.t1x1p3(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            case 2: PackedTilesBf16.t1x1p2(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
            default: PackedTilesBf16.t1x1(k0, k1, a, ai, p, pi, ps, init, ci, bias, bi, out, oi); return;
        }
    }

    /** A block of {@code mr} rows over {@code np} (1 or 2) panels, segment by segment, as in {@link PackedGemm}. */
    private static void blockSegments(int mr, int v, int np, int[] seg, int so, int segs, int cols, float[] a,
                                      int ai, short[] p, int pi, int ps, float[] bias, int bi, float[] out, int oi,
                                      int os) {
        for (int g = 0; g < segs; g++) {
            boolean first = g == 0;
            boolean last = g == segs - 1;
            int k0 = seg[so + 2 * g];
            int ks = seg[so + 2 * g + 1] - k0;
            int ak = ai + k0; // the tiles loop from the segment's first k (see gen_packed_tiles.py)
            int pk = pi + k0 * v * LANES;
            float[] init = first ? PackedGemm.ZEROS : out;
            int ci = first ? 0 : oi;
            int cs = first ? 0 : os;
            float[] b = last ? bias : PackedGemm.ZEROS;
            int b0 = last ? bi : 0;
            int bs = last ? v * LANES : 0;
            if (np == 2) {
                PackedTilesBf16.s6x2p2(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os);
            } else if (v == 2) {
                switch (mr) {
                    case 8: PackedTilesBf16.s8x2(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    case 6: PackedTilesBf16.s6x2(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    default: PackedTilesBf16.s4x2(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                }
            } else {
                switch (mr) {
                    case 8: PackedTilesBf16.s8x1(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    case 6: PackedTilesBf16.s6x1(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    default: PackedTilesBf16.s4x1(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                }
            }
        }
    }

    private static void tile(int mr, int v, int cols, float[] a, int ai, short[] p, int pi, float[] bias, int bi,
                             float[] out, int oi, int os) {
        if (v == 2) {
            switch (mr) {
                case 8: PackedTilesBf16.t8x2(cols, a, ai, cols, p, pi, 0, bias, bi, out, oi, os); return;
                case 6: PackedTilesBf16.t6x2(cols, a, ai, cols, p, pi, 0, bias, bi, out, oi, os); return;
                default: PackedTilesBf16.t4x2(cols, a, ai, cols, p, pi, 0, bias, bi, out, oi, os); return;
            }
        }
        switch (mr) {
            case 8: PackedTilesBf16.t8x1(cols, a, ai, cols, p, pi, 0, bias, bi, out, oi, os); return;
            case 6: PackedTilesBf16.t6x1(cols, a, ai, cols, p, pi, 0, bias, bi, out, oi, os); return;
            default: PackedTilesBf16.t4x1(cols, a, ai, cols, p, pi, 0, bias, bi, out, oi, os); return;
        }
    }
}
