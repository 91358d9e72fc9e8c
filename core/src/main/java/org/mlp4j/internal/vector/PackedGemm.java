package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;
import org.mlp4j.Activation;
import org.mlp4j.internal.kernel.KernelProvider;

/**
 * Forward GEMM over packed weight panels, {@code Out[b, r] = act(bias[r] + sum_k A[b, k] W[r, k])}, in broadcast
 * form: no horizontal reductions anywhere.
 *
 * <p><b>Packed layout.</b> {@code W^T} is cut into panels of {@code nrf = vectors * LANES} output rows. Panel
 * {@code q} is {@code (cols + 1) * nrf} floats: for each k in order the {@code nrf} weights
 * {@code W[q*nrf + j, k]}, then the {@code nrf} biases; rows past the layer's edge are zero. A micro-kernel
 * keeps an MR x nrf block of outputs in registers, streams the panel (contiguous) and broadcasts
 * {@code A[b, k]}; the bias is added in registers before the one store, and the activation runs over the
 * block's rows right after, while they are in L1 (see {@link PackedTiles} for why not in registers).
 *
 * <p><b>Tiles</b> (the measurements behind each constant are beside it). Edges stay outside the
 * micro-kernels: sample remainders use the 4- and 1-row tiles, a partial last panel is computed into a
 * per-thread scratch tile and its valid columns copied out. A batch runs in chunks of rows (about
 * {@value #CHUNK_BYTES_DEFAULT} bytes of input), each panel by panel over all of the chunk's blocks, so that
 * neither the packed layer nor the batch has to fit in L2 ({@link #CHUNK_BYTES}); over pairs of panels a slice
 * of k at a time, so that the slice of the pair stays in L1 ({@link #SLICE_BYTES}), with the slice of the
 * chunk's rows copied to a constant stride ({@link #copySlice}). A single sample (and a 1-row remainder) reads up to
 * four panels per pass: up to eight independent FMA chains instead of one or two. One panel's chains are
 * latency-bound (one k-step per FMA latency): passing over a 64-wide layer's two panels at once took the tiny
 * net's single-sample 32x64 layer from 86 to 47-65 ns and its 64x64 layer from 134 to 100-119 ns, the whole
 * tiny net from 375 to 264-299 ns (512-bit, Zen 5, JDK 17, MatvecBenchmark / InferenceBenchmark, 2026-12-02).
 * In layers of {@value #SKIP_MIN_COLS} or more inputs one sample also leaves out the all-zero stretches of its
 * input, exactly ({@link #nonZeroSegments}, {@link PackedTiles}).
 */
final class PackedGemm {
    /**
     * Samples per register block (the tile is MR x 2 vectors; narrow layers MR x 1), by the vector registers
     * C2 can use ({@link KernelProvider#vectorRegisters}). 32 registers (AVX-512 at 512 or 256 bits, 128-bit
     * NEON): 6, over two panels per pass (6 x 2 x 2 = 24 accumulators + 4 weight vectors + 1 broadcast; until
     * 2026-12-02 it was 8 x 2 at 512 bits, see below). 256 or 128 bits with 16 registers (AVX2, SSE):
     * 4 x 2 = 8 + 3: the 6 x 2 block (15 registers on paper) spills there.
     * The system property {@value #MR_PROPERTY} (4, 6 or 8) overrides it, for measuring.
     *
     * <p>AMD Zen 4 at 512 bits ({@link KernelProvider#halfWidthVectorUnits}: one 512-bit FMA per cycle) uses 8 x 2,
     * one panel at a time, rows in place. 2026-12-06, JDK 17, one JVM per setting, alternating, best of 30
     * calls: 784x256 at B = 128 469-472 us against 495-534 with 6 x 2 x 2, at B = 256 938 against 986-999, at B = 32
     * 121-123 against 125-133; 256x128 and the tiny net's layers equal; the MNIST net's batch of 128
     * ({@code jmh/ab/BuildAB.java infer 128}, three JVMs each) 598-609 us against 634-664 us.
     *
     * <p>With 32 registers the 6-row blocks pass over two panels at once where a layer has two or more
     * ({@code s6x2p2}: 24 accumulators, 4 weight vectors, 1 broadcast; 6 broadcasts per 24 FMAs instead of 8 per
     * 16). On a 2-core Intel Xeon (AVX-512, JDK 17, 2026-12-02, standalone, 784x256, 120 rows, median of 25)
     * 8 x 2 ran at 97 GFLOP/s, 6 x 4 vectors at 133, 5 x 4 at 124, 4 x 4 at 97; the whole MNIST net, 128
     * uniform samples, went from 640 to 548 us (both builds in one JVM, alternating). ONNX Runtime ran the same
     * batch at 123 GFLOP/s there. On AMD EPYC Zen 4 (AVX-512 on 256-bit units, 32 KB L1, JDK 17, 2026-12-03, JMH
     * GemmBenchmark.gemmForward, B = 128, two forks each, alternating) 6 x 2 x 2 panels against
     * {@code -Dmlp4j.packedGemm.mr=8} (8 x 2): 784x256 505 / 519 us against 530 / 542, 256x128 100 / 100
     * against 88 / 93 (a pair of 256-input panels, 33 KB, no longer fits L1), 128x10 8.6 / 8.2 against 9.1 /
     * 8.3: the MNIST net's forward is a tie, so 6 stays. Since batches run in chunks panel by panel
     * ({@link #CHUNK_BYTES}) the two are equal there at both shapes (in one JVM, alternating: 784x256 453 / 453 us
     * min, 256x128 74 / 74). The 8 x 2 figures below are Zen 5's.
     *
     * <p>Measured 2026-12-02, JMH GemmBenchmark.gemmForward, B = 128, 1 thread, JDK 17, per-fork minimum of two
     * forks, microseconds for 784x256 / 256x128 / 128x10. Xeon (AVX-512), load ~10: MR 4: 40 / 32 GFLOP/s for
     * the first two, MR 6: 52 / 52, MR 8: 81 / 77. AMD EPYC Zen 5, quiet: {@code -XX:UseAVX=2} (AVX2 code, 16
     * ymm registers): MR 4: 673 / 111 / 6.0, MR 6: 1061 / 178 / 11.8, MR 8: 1057 / 173 / 11.5;
     * {@code -XX:MaxVectorSize=32} (256 bits, 32 registers): MR 4: 599 / 101 / 6.4, MR 6: 466 / 77 / 5.8.
     */
    static final int MR = rowsPerBlock(false);
    /**
     * The bfloat16 kernels' block height ({@link PackedGemmBf16}): {@link #MR}, except on Zen 4, where it stays 6
     * (6 x 2 x 2 panels): there the widening of each weight vector competes with the FMAs for the same units,
     * and 6 rows over two panels widen 4 vectors per 24 FMAs. Zen 4, JDK 17, 2026-12-06, {@code HeadToHead
     * mnist batch}, two JVMs per setting, alternating: the bf16 MNIST batch of 128 538-539 us with 6, 622-623
     * with 8 (fp32 in the same JVMs: 592-602 with 6, 558-560 with 8).
     */
    static final int MR_BF16 = rowsPerBlock(true);
    static final String MR_PROPERTY = "mlp4j.packedGemm.mr";

    private static final int PACK_KB = 16;


    static final int SLICE_BYTES_DEFAULT = 24 * 1024;
    /**
     * Bytes of a pair of panels per slice of k ({@link #blockChunk}): all of a chunk's blocks pass over
     * one slice while it is in L1 (96 k at 512 bits, 192 at 256), instead of streaming the pair from L2 once
     * per block: 6 rows over a pair of 784-input panels ran at 118-133 GFLOP/s standalone against 165-172 with
     * 96 inputs. Intel Xeon (family 6 model 106, AVX-512, 48 KB L1), JDK 17, 2026-12-03, both builds in one
     * JVM, alternating, min of 30 calls per round over 16-20 rounds, 784x256 at B = 128: rows in place and no
     * slices 607 us (median 652); rows packed k-major (the layout before {@link #copySlice}) 477 (526), with
     * slices of 16 / 24 / 32 KB 463 / 454 / 452 (502 / 475 / 500), with one slice of all of k 484 (533); with
     * the 4-row blocks in the slices too 438-446; with the rows copied per slice ({@link #copySlice}, the
     * version of 18:00 UTC) 406 us (454), slices of 16 KB 425. The MNIST net on 128 real test images, same
     * steps: 604 / 521 / -, 479, 481 us. 24 KB leaves room for a chunk's slice of rows (16 KB at 512 bits) in a
     * 48 KB L1; Zen 2-4 have 32 KB, not measured there. The system property
     * {@code mlp4j.packedGemm.sliceBytes} overrides it, for measuring.
     */
    static final int SLICE_BYTES = Math.max(1, Integer.getInteger("mlp4j.packedGemm.sliceBytes",
            SLICE_BYTES_DEFAULT));

    /**
     * k per slice for a pair of panels {@code nrf} floats wide: a multiple of {@value #SKIP_BLOCK}, at most
     * {@link PackedTiles#A_STRIDE}.
     */
    static int sliceLength(int nrf) {
        int k = Math.max(SKIP_BLOCK, SLICE_BYTES / (2 * nrf * 4) / SKIP_BLOCK * SKIP_BLOCK);
        return Math.min(PackedTiles.A_STRIDE, k);
    }

    static final int CHUNK_BYTES_DEFAULT = 128 * 1024;
    /**
     * Bytes of A per chunk of a batch ({@link #blockChunk}): the chunk's rows and a pair of panels stay in L2.
     * AMD EPYC Zen 4 (1 MB L2, AVX-512, JDK 17, 2026-12-03), both builds in one JVM, alternating rounds, min of
     * 30 calls per round: panel group by panel group over chunks against block by block over all panels (and
     * 4 + 4 rows for the last 8, see {@link #blockRows}): 784x256 at B = 128 0.83x the time (451 against
     * 546 us min), at B = 126 (no remainder) 0.84x by the median, B = 32 0.83-0.89x, 256x128 at B = 128 0.84x
     * (74 against 88 us), 128 real MNIST images 0.84-1.05x; bfloat16 1.00x dense, 0.88-1.2x on images from one
     * run to the next. Chunks of 128 KB, 256 KB and a whole batch of 128 measured the same there; 128 KB keeps
     * a chunk and a pair of 256-bit panels of a 784-input layer (100 KB) within the 512 KB L2 of Zen 2 and 3.
     * Caution: a rewrite of {@link #blockChunk} that moved the block list, segments and density into a
     * {@code Scratch.planChunk} helper (same work, same bits) ran 784x256 at B = 128 in 558 us against 451 in the
     * same JVM, the previous build's speed; so part of the gain is how C2 compiles this loop, and a change here
     * must be measured the same way.
     * The system property {@code mlp4j.packedGemm.chunkBytes} overrides it, for measuring.
     */
    static final int CHUNK_BYTES = Math.max(1, Integer.getInteger("mlp4j.packedGemm.chunkBytes",
            CHUNK_BYTES_DEFAULT));
    /** The fewest rows in a chunk: a few blocks, whatever the layer's width. */
    static final int CHUNK_MIN_ROWS = 24;

    /**
     * One sample skips every stretch of whole {@value #SKIP_BLOCK}-input blocks that are all zero (see
     * {@link #nonZeroSegments}); each stretch costs a tile call per pass, so single zeros are not worth it. On
     * the first 2,000 MNIST test images blocks of 4 / 8 / 16 skip 73 / 61 / 42 % of the k-steps in 22 / 19 / 7
     * segments per image; 8 took an image through the MNIST net from 6.2-6.8 to 3.4-4.2 us (Zen 5, 2026-12-02).
     * Skipping k one by one through a list of indices (no tile-call cost) was slower on dense inputs: the
     * loads at data-dependent offsets keep their bounds checks (784x256 dense 4.4 -> 6.0 us).
     */
    static final int SKIP_BLOCK = 8;

    /**
     * Layers with fewer inputs run one sample as one segment, without looking for zeros: with the search and
     * the thread-local lookup on every layer the tiny net's 32x64 layer went from 58 to 86 ns and its 64x64
     * from 95 to 140 ns, and hidden ReLU outputs (zero at random) rarely fill a whole block.
     */
    static final int SKIP_MIN_COLS = 512;

    /**
     * A block of rows of a batch leaves out only blank stretches of at least this many whole
     * {@value #SKIP_BLOCK}-input blocks (one sample leaves out every blank block). Across 8 MNIST test images
     * most blank stretches are a single block (the margins of a 28-pixel image row): skipping every one leaves
     * out 33 % of the first layer's k-steps in 13.5 segments per block of rows, at least 2 blocks 23 % in 3.1,
     * at least 3 blocks 19 % in 1.1. Each segment costs a pass over the accumulators and a restart of the
     * panel stream, so the three ran the first layer on 128 images in 0.89-0.95x / 0.87-0.91x / 0.93x the time
     * of uniform input (Xeon AVX-512, JDK 17, min of 30 in one JVM, 2026-12-02); 2 makes fewer calls. With 2,
     * the whole MNIST net on 128 images: 0.88-0.96x (before: 1.00-1.02x). Those figures were taken with segment
     * tiles that rebased their offsets inside, 22 % slower than the caller-rebased tiles of today; with these, on
     * AMD EPYC Zen 4 (AVX-512, JDK 17, 2026-12-03, JMH MnistImageBenchmark.predictBatch128, 9 forks alternating)
     * the fp32 {@code Predictor} ran 128 real images in 516-525 us with a gap of 1 against 543-580 us with 2 (5 %
     * faster in every pair) and 532-565 with 3; bf16 was bimodal across forks (568-800 us) whatever the gap. So
     * 1: every blank block is left out. The system property {@code mlp4j.packedGemm.blockMinGap} overrides it,
     * for measuring.
     */
    static final int BLOCK_MIN_GAP = Math.max(1, Integer.getInteger("mlp4j.packedGemm.blockMinGap", 1));

    /** +0 sums and +0 biases for the one-sample tiles' first and inner segments (4 panels of 2 vectors). */
    static final float[] ZEROS = new float[4 * 2 * LANES];

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * A thread's scratch: the partial-panel tile and a sample's segments of nonzero input. Created on the
     * thread's first call, the segments grown to the widest layer seen; nothing is allocated after that.
     */
    static final class Scratch {
        final float[] tile = new float[8 * 2 * LANES];
        int[] segments = new int[2];
        // a chunk's blocks' segments (block i at i * segmentsLength(cols)) and their counts
        int[] chunkSegments = new int[0];
        int[] segmentCounts = new int[0];
        // the current slice of k of a chunk's blocks of rows, A_STRIDE apart (PackedGemm.copySlice)
        float[] slices = new float[0];

        /** Room for the segments of a row of {@code cols} inputs. */
        static int segmentsLength(int cols) {
            return 2 * ((cols + SKIP_BLOCK - 1) / SKIP_BLOCK + 1);
        }

        int[] segments(int cols) {
            int need = segmentsLength(cols);
            if (segments.length < need) {
                segments = new int[need];
            }
            return segments;
        }

        float[] slices(int length) {
            if (slices.length < length) {
                slices = new float[length];
            }
            return slices;
        }

        /** Room for the segments of {@code blocks} blocks, {@code stride} ints each (and their counts). */
        int[] chunkSegments(int blocks, int stride) {
            if (segmentCounts.length < blocks) {
                segmentCounts = new int[blocks];
            }
            if (chunkSegments.length < blocks * stride) {
                chunkSegments = new int[blocks * stride];
            }
            return chunkSegments;
        }
    }

    private PackedGemm() {
    }

    private static int rowsPerBlock(boolean bf16) {
        String v = System.getProperty(MR_PROPERTY);
        if (v == null) {
            if (KernelProvider.vectorRegisters(LANES) < 32) {
                return 4;
            }
            return !bf16 && LANES >= 16 && KernelProvider.halfWidthVectorUnits() ? 8 : 6;
        }
        switch (v.trim()) {
            case "4": return 4;
            case "6": return 6;
            case "8": return 8;
            default: throw new IllegalArgumentException(MR_PROPERTY + ": expected 4, 6 or 8, got '" + v + "'");
        }
    }

    /**
     * Vectors per panel for a layer of {@code rows} outputs: one for layers of at most {@code LANES} outputs
     * (the MNIST net's 10), else two. Layers of at most {@link org.mlp4j.internal.kernel.Kernels#NARROW_ROWS}
     * outputs do not use panels at all ({@link NarrowGemm}).
     */
    static int vectors(int rows) {
        return rows <= LANES ? 1 : 2;
    }

    static int panelWidth(int rows) {
        return vectors(rows) * LANES;
    }

    static int packedLength(int rows, int cols) {
        if (NarrowGemm.narrow(rows)) {
            return NarrowGemm.packedLength(rows, cols);
        }
        int nrf = panelWidth(rows);
        int panels = (rows + nrf - 1) / nrf;
        return panels * (cols + 1) * nrf;
    }

    /**
     * Packs rows {@code [rowFrom, rowTo)} (panel boundaries) of {@code W[rows][cols]} at {@code w[wOff]} and their
     * bias at {@code w[bOff]} into their panels at {@code dst[dstOff]}.
     */
    static void pack(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff, int rowFrom,
                     int rowTo) {
        if (NarrowGemm.narrow(rows)) {
            NarrowGemm.pack(w, wOff, bOff, rows, cols, dst, dstOff, rowFrom, rowTo);
            return;
        }
        int nrf = panelWidth(rows);
        int panelSize = (cols + 1) * nrf;
        for (int r0 = rowFrom, p = dstOff + rowFrom / nrf * panelSize; r0 < rowTo; r0 += nrf, p += panelSize) {
            int n = Math.min(nrf, rows - r0);
            if (n == nrf && VectorOps.GATHER_COPIES) {
                packPanelGather(w, wOff + r0 * cols, cols, nrf, dst, p);
                for (int j = 0; j < n; j++) {
                    dst[p + cols * nrf + j] = w[bOff + r0 + j];
                }
                continue;
            }
            // Blocks of KB columns: a block's KB destination lines (KB * nrf floats) stay in L1 while the n rows
            // are read 64 bytes at a time. Row by row over all k was 3x slower at 784x256 (its 784 lines of
            // destination, 100 KB, do not fit L1).
            for (int k0 = 0; k0 < cols; k0 += PACK_KB) {
                int k1 = Math.min(cols, k0 + PACK_KB);
                for (int j = 0; j < n; j++) {
                    int src = wOff + (r0 + j) * cols;
                    for (int k = k0, d = p + k0 * nrf + j; k < k1; k++, d += nrf) {
                        dst[d] = w[src + k];
                    }
                }
            }
            for (int j = 0; j < n; j++) {
                dst[p + cols * nrf + j] = w[bOff + r0 + j];
            }
            for (int j = n; j < nrf; j++) { // zero padding of the last panel
                for (int k = 0, d = p + j; k <= cols; k++, d += nrf) {
                    dst[d] = 0f;
                }
            }
        }
    }

    /**
     * One whole panel's weights, {@code dst[p + k * nrf + j] = w[src + j * cols + k]}, a vector of rows per k
     * gathered. AMD EPYC Zen 4 (AVX-512), JDK 17, 2026-12-06, best of 50 calls, 784x256: 89-94 us against
     * 124-157 us for the scalar loop below (blocks of {@value #PACK_KB} k), 256x128 14.3 against 19.3 us.
     */
    private static void packPanelGather(float[] w, int src, int cols, int nrf, float[] dst, int p) {
        int[] map = VectorOps.strideMap(cols);
        if (nrf == 2 * LANES) {
            int src2 = src + LANES * cols;
            for (int k = 0, d = p; k < cols; k++, d += nrf) {
                FloatVector.fromArray(SPECIES, w, src + k, map, 0).intoArray(dst, d);
                FloatVector.fromArray(SPECIES, w, src2 + k, map, 0).intoArray(dst, d + LANES);
            }
        } else {
            for (int k = 0, d = p; k < cols; k++, d += nrf) {
                FloatVector.fromArray(SPECIES, w, src + k, map, 0).intoArray(dst, d);
            }
        }
    }

    static void forward(float[] a, int aOff, int batch, float[] p, int pOff, int rows, int cols, float[] z, int zOff,
                        float[] out, int oOff, Activation act, float slope) {
        if (NarrowGemm.narrow(rows)) {
            NarrowGemm.forward(a, aOff, batch, p, pOff, rows, cols, z, zOff, out, oOff, act, slope);
            return;
        }
        int v = vectors(rows);
        int nrf = v * LANES;
        int panelSize = (cols + 1) * nrf;
        float[] pre = z != null ? z : out; // the tiles store bias + sum here; the activation follows per chunk
        int preOff = z != null ? zOff : oOff;
        int chunk = chunkRows(cols);
        int b = 0;
        while (b < batch) {
            int end;
            if (blockRows(batch - b) == 1) { // one of the batch's last 1-3 rows (or a single sample)
                oneRow(v, cols, rows, a, aOff + b * cols, p, null, pOff, panelSize, pre, preOff + b * rows);
                end = b + 1;
            } else {
                end = blockChunk(a, aOff, batch, b, chunk, cols, v, rows, p, pOff, panelSize, pre, preOff);
            }
            // the chunk's rows are contiguous: one activation sweep while they are in cache
            VectorOps.activationForward(act, slope, pre, preOff + b * rows, out, oOff + b * rows, (end - b) * rows);
            b = end;
        }
    }

    /**
     * {@link #forward} of one sample ({@code z} null) with the weights read from {@code aligned}, the
     * {@link AlignedPanels#copyOf} of {@code p}: the same tiles' arithmetic, so the same bits. Narrow layers
     * (their own small layout) read {@code p}.
     */
    static void forwardOneAligned(float[] a, int aOff, Object aligned, float[] p, int pOff, int rows, int cols,
                                  float[] out, int oOff, Activation act, float slope) {
        if (NarrowGemm.narrow(rows)) {
            NarrowGemm.forward(a, aOff, 1, p, pOff, rows, cols, null, 0, out, oOff, act, slope);
            return;
        }
        int v = vectors(rows);
        oneRow(v, cols, rows, a, aOff, p, aligned, pOff, (cols + 1) * v * LANES, out, oOff);
        VectorOps.activationForward(act, slope, out, oOff, out, oOff, rows);
    }

    private static void oneSegmentAligned(int n, int v, int k0, int k1, float[] a, int ai, Object p, int pi,
                                          int ps, float[] init, int ci, float[] bias, int b0, int bs, float[] out,
                                          int oi) throws Throwable {
        if (v == 2) {
            switch (n) {
                case 4: PackedTiles.t1x2p4m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
                case 3: PackedTiles.t1x2p3m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
                case 2: PackedTiles.t1x2p2m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
                default: PackedTiles.t1x2m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            }
        }
        switch (n) {
            case 4: PackedTiles.t1x1p4m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            case 3: PackedTiles.t1x1p3m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            case 2: PackedTiles.t1x1p2m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            default: PackedTiles.t1x1m(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
        }
    }

    /**
     * Rows of A per chunk in a layer of {@code cols} inputs: about {@value #CHUNK_BYTES_DEFAULT} bytes of A, at
     * least {@value #CHUNK_MIN_ROWS} rows.
     */
    static int chunkRows(int cols) {
        return Math.max(CHUNK_MIN_ROWS, CHUNK_BYTES / (4 * cols));
    }

    /**
     * One sample over every panel: its nonzero segments (in layers of {@value #SKIP_MIN_COLS} or more inputs),
     * 2-4 panels per pass (2-8 independent chains); the weights from {@code aligned} ({@link AlignedPanels}'
     * copy of {@code p}) where it is not null, the bias rows always from {@code p}.
     */
    private static void oneRow(int v, int cols, int rows, float[] a, int ai, float[] p, Object aligned, int pOff,
                               int panelSize, float[] pre, int pi) {
        int nrf = v * LANES;
        int full = rows / nrf;
        int rem = rows - full * nrf;
        int[] seg = cols >= SKIP_MIN_COLS ? segmentScratch(cols) : null;
        int segs = seg != null ? nonZeroSegments(a, ai, 1, cols, cols, seg, 0) : -cols; // < 0: all of [0, cols)
        int q = 0;
        for (int n; (n = Math.min(4, full - q)) >= 2; q += n) {
            oneSample(n, v, seg, segs, cols, a, ai, p, aligned, pOff + q * panelSize, panelSize, pre, pi + q * nrf);
        }
        for (; q < full; q++) {
            oneSample(1, v, seg, segs, cols, a, ai, p, aligned, pOff + q * panelSize, panelSize, pre, pi + q * nrf);
        }
        if (rem > 0) { // partial last panel: into the scratch tile, then the valid columns out
            float[] scratch = SCRATCH.get().tile;
            oneSample(1, v, seg, segs, cols, a, ai, p, aligned, pOff + full * panelSize, panelSize, scratch, 0);
            System.arraycopy(scratch, 0, pre, pi + full * nrf, rem);
        }
    }

    /**
     * The blocks of rows of a batch that start in {@code [b0, b0 + chunk)} (the batch's last 1-3 single rows
     * excepted), panel group by panel group: every block of the chunk passes over one group (a pair of
     * panels, or one) before the next group starts, so a group's panels stay in L2 while the chunk's rows
     * stream past them, and the chunk's rows (about {@value #CHUNK_BYTES_DEFAULT} bytes) stay in L2 across
     * groups. Block by block over all panels streamed the whole packed layer per block instead (800 KB for
     * 784x256 at 512 bits), which shares a 1 MB L2 with the batch's rows and outputs badly: see
     * {@link #CHUNK_BYTES}. Returns the end of the chunk's last block.
     */
    private static int blockChunk(float[] a, int aOff, int batch, int b0, int chunk, int cols, int v, int rows,
                                  float[] p, int pOff, int panelSize, float[] pre, int preOff) {
        int nrf = v * LANES;
        int full = rows / nrf;
        int rem = rows - full * nrf;
        Scratch s = SCRATCH.get();
        boolean skip = cols >= SKIP_MIN_COLS;
        int stride = Scratch.segmentsLength(cols);
        int[] seg = skip ? s.chunkSegments(chunk / 4 + 1, stride) : null;
        int[] segCount = s.segmentCounts;
        // the chunk's blocks; in layers wide enough, each block's segments where not all of its rows are zero
        int nb = 0;
        int b = b0;
        for (int mr; b < b0 + chunk && (mr = blockRows(batch - b)) > 1; b += mr, nb++) {
            if (skip) {
                segCount[nb] = nonZeroSegments(a, aOff + b * cols, mr, cols, cols, seg, nb * stride);
            }
        }
        int end = b;
        // Over pairs of panels, slice by slice of k: the slice of every block's rows is copied A_STRIDE apart
        // (copySlice), then each pair of panels passes over all of the blocks while its slice is in L1.
        int pairs = MR == 6 && v == 2 ? full / 2 : 0;
        if (pairs > 0) {
            float[] sa = s.slices(nb * 6 * PackedTiles.A_STRIDE);
            int kc = sliceLength(nrf);
            for (int k0 = 0; k0 < cols; k0 += kc) {
                int k1 = Math.min(cols, k0 + kc);
                for (int i = 0, bb = b0; i < nb; i++) {
                    int mr = blockRows(batch - bb);
                    copySlice(a, aOff + bb * cols, mr, cols, k0, k1, sa, i * 6 * PackedTiles.A_STRIDE);
                    bb += mr;
                }
                for (int g = 0; g < pairs; g++) {
                    int pq = pOff + 2 * g * panelSize;
                    for (int i = 0, bb = b0; i < nb; i++) {
                        int mr = blockRows(batch - bb);
                        int pi = preOff + bb * rows + 2 * g * nrf;
                        int so = i * stride;
                        pairSlice(mr, k0, k1, skip ? seg : null, so, skip ? segCount[i] : 1, cols, sa,
                                i * 6 * PackedTiles.A_STRIDE, p, pq, panelSize, pre, pi, rows);
                        bb += mr;
                    }
                }
            }
        }
        for (int q = 2 * pairs; q < full; q++) {
            int pq = pOff + q * panelSize;
            for (int i = 0, bb = b0; i < nb; i++) { // one panel: rows in place, all of k
                int mr = blockRows(batch - bb);
                int so = i * stride;
                int segs = skip ? segCount[i] : 1;
                int ai = aOff + bb * cols;
                int pi = preOff + bb * rows + q * nrf;
                if (!skip || segs == 1 && seg[so] == 0 && seg[so + 1] == cols) {
                    tile(mr, v, cols, a, ai, p, pq, pre, pi, rows);
                } else {
                    blockSegments(mr, v, seg, so, segs, cols, a, ai, p, pq, panelSize, pre, pi, rows);
                }
                bb += mr;
            }
        }
        if (rem > 0) { // partial last panel: into the scratch tile, then the valid columns out
            float[] scratch = s.tile;
            int pq = pOff + full * panelSize;
            for (int i = 0, bb = b0; i < nb; i++) {
                int mr = blockRows(batch - bb);
                int ai = aOff + bb * cols;
                int so = i * stride;
                int segs = skip ? segCount[i] : 1;
                boolean dense = !skip || segs == 1 && seg[so] == 0 && seg[so + 1] == cols;
                if (dense) {
                    tile(mr, v, cols, a, ai, p, pq, scratch, 0, nrf);
                } else {
                    blockSegments(mr, v, seg, so, segs, cols, a, ai, p, pq, panelSize, scratch, 0, nrf);
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
     * Rows of the next register block when {@code left} rows of a batch remain: MR, then 6 and 4 as the tiles
     * allow, 1 for the last 1-3. With MR 6, 8 rows run as 4 + 4 and 9 as 4 + 4 + 1 rather than 6 + 1 + 1 (+ 1):
     * a one-row pass streams the whole packed layer for a single row, at the one-sample speed. Zen 4, JDK 17,
     * 2026-12-03, JMH gemmForward 784x256 at B = 128, three alternating pairs of forks: 585-605 us with
     * 21 x 6 + 1 + 1 rows, 484-491 with 20 x 6 + 4 + 4 (far more than the two rows' share; part of it may be this VM's
     * noise, which moves whole forks by 10 % and more).
     */
    static int blockRows(int left) {
        return blockRows(left, MR);
    }

    /** {@link #blockRows(int)} for blocks of at most {@code mr} rows. */
    static int blockRows(int left, int mr) {
        if (left >= mr) {
            return mr == 6 && (left == 8 || left == 9) ? 4 : mr;
        }
        return left >= 6 && mr > 6 ? 6 : left >= 4 ? 4 : 1;
    }

    /** This thread's scratch (the partial-panel tile, the one-sample segments), shared with PackedGemmBf16. */
    static Scratch scratch() {
        return SCRATCH.get();
    }

    /** This thread's array for {@link #nonZeroSegments} of a layer of {@code cols} inputs. */
    static int[] segmentScratch(int cols) {
        return SCRATCH.get().segments(cols);
    }

    /**
     * Writes to {@code seg} the segments {@code [seg[2i], seg[2i+1])} of k, ascending and disjoint, outside of
     * which every input of the {@code n} rows {@code a[ai + r * stride + k]} is +-0 (NaN counts as not zero),
     * and returns how many (at least one, possibly empty, so that the bias is added). A segment ends only where
     * a whole {@value #SKIP_BLOCK}-input block of zeros follows in every row, for more than one row only where
     * {@link #BLOCK_MIN_GAP} (or more) such blocks follow (leading and trailing blank blocks are always left
     * out); a dense input is one segment. A block's rows are looked at until one is not zero, so a dense batch
     * costs one row's look.
     */
    static int nonZeroSegments(float[] a, int ai, int n, int stride, int cols, int[] seg, int so) {
        int minGap = n == 1 ? 1 : BLOCK_MIN_GAP;
        int count = 0;
        int start = -1; // first k of the open segment, or -1
        int end = 0; // end of the open segment's last nonzero block
        for (int k0 = 0; k0 < cols; k0 += SKIP_BLOCK) {
            int bits = 0;
            for (int r = 0, i = ai + k0; r < n && (bits & 0x7fffffff) == 0; r++, i += stride) {
                if (k0 + SKIP_BLOCK <= cols) { // written out for SKIP_BLOCK = 8
                    bits = Float.floatToRawIntBits(a[i]) | Float.floatToRawIntBits(a[i + 1])
                            | Float.floatToRawIntBits(a[i + 2]) | Float.floatToRawIntBits(a[i + 3])
                            | Float.floatToRawIntBits(a[i + 4]) | Float.floatToRawIntBits(a[i + 5])
                            | Float.floatToRawIntBits(a[i + 6]) | Float.floatToRawIntBits(a[i + 7]);
                } else {
                    for (int k = 0; k < cols - k0; k++) {
                        bits |= Float.floatToRawIntBits(a[i + k]);
                    }
                }
            }
            if ((bits & 0x7fffffff) != 0) {
                if (start < 0) {
                    start = k0;
                } else if (k0 - end >= minGap * SKIP_BLOCK) { // a gap long enough to be worth a segment
                    seg[so + count++] = start;
                    seg[so + count++] = end;
                    start = k0;
                }
                end = Math.min(cols, k0 + SKIP_BLOCK);
            }
        }
        if (start >= 0) {
            seg[so + count++] = start;
            seg[so + count++] = end;
        }
        if (count == 0) { // all zero: one empty segment, for the bias
            seg[so + count++] = 0;
            seg[so + count++] = 0;
        }
        return count / 2;
    }

    /**
     * Copies inputs {@code [k0, k1)} of the {@code mr} (6 or 4) rows {@code a[ai + i * cols + k]} to
     * {@code dst[d + i * A_STRIDE + k - k0]}, for the strided tiles {@code s6x2p2} and {@code s4x2p2}: their
     * broadcasts then read {@code a[a0 + k]} plus a constant, one index register for all rows. With six row
     * pointers {@code cols} apart the compiled 6-row loop (C2, JDK 17, AVX-512) had 61 instructions per k-step
     * for its 24 FMAs: a mov and an add per broadcast address, loop invariants reloaded from the stack and two
     * accumulators spilled (a load and a store per k). That matters where two 512-bit FMA units leave little
     * room for scalar work (Intel Xeon, family 6 model 106, 2026-12-03): standalone, 6 rows over a pair of
     * 96-input panels in L1 ran at 165-172 GFLOP/s (87-90 % of the core's peak) with their rows packed
     * k-major, 8 floats per k, a layout that this copy replaced: the scalar transpose into it took 38 us of
     * the 784x256 layer's 440 at B = 128, where this vector copy takes a few.
     */
    static void copySlice(float[] a, int ai, int mr, int cols, int k0, int k1, float[] dst, int d) {
        int n = k1 - k0;
        for (int r = 0; r < mr; r++) {
            int src = ai + r * cols + k0;
            int o = d + r * PackedTiles.A_STRIDE;
            int j = 0;
            for (; j + LANES <= n; j += LANES) {
                FloatVector.fromArray(SPECIES, a, src + j).intoArray(dst, o + j);
            }
            for (; j < n; j++) {
                dst[o + j] = a[src + j];
            }
        }
    }

    /**
     * A block of {@code mr} (6 or 4) rows, the slice {@code [k0, k1)} of each at {@code sa[sai + i * A_STRIDE]}
     * ({@link #copySlice}), over a pair of panels, over the part of its nonzero
     * segments ({@code seg == null}: all of {@code [0, cols)}) that lies in the slice {@code [k0, k1)}. Its
     * sums start from +0 at the block's first k and from {@code out} after that, and get the bias at its last
     * k: the same chain over k, in order, as one pass over all of k.
     */
    private static void pairSlice(int mr, int k0, int k1, int[] seg, int so, int segs, int cols, float[] sa,
                                  int sai, float[] p, int pi, int ps, float[] out, int oi, int os) {
        int bias = pi + cols * 2 * LANES; // the panels' bias row, after their last k
        int first = seg == null ? 0 : seg[so];
        int last = seg == null ? cols : seg[so + 2 * segs - 1];
        for (int g = 0; g < segs; g++) {
            int s = seg == null ? 0 : seg[so + 2 * g];
            int e = seg == null ? cols : seg[so + 2 * g + 1];
            if (s >= k1) {
                break;
            }
            int lo = Math.max(s, k0);
            int hi = Math.min(e, k1);
            if (lo < hi || s == e && k0 == 0) { // (an all-zero block is one empty segment: its bias, once)
                boolean start = lo == first;
                boolean end = hi == last;
                float[] init = start ? ZEROS : out;
                int ci = start ? 0 : oi;
                int cs = start ? 0 : os;
                float[] b = end ? p : ZEROS;
                int b0 = end ? bias : 0;
                int bs = end ? ps : 0;
                int ak = sai + lo - k0;
                int pk = pi + lo * 2 * LANES;
                if (mr == 6) {
                    PackedTiles.s6x2p2(hi - lo, sa, ak, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os);
                } else {
                    PackedTiles.s4x2p2(hi - lo, sa, ak, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os);
                }
            }
        }
    }

    /**
     * A block of {@code mr} rows of a batch over one panel, segment by segment: each segment's sums start from
     * the previous one's, in {@code out}; the last adds the bias.
     */
    private static void blockSegments(int mr, int v, int[] seg, int so, int segs, int cols, float[] a, int ai,
                                      float[] p, int pi, int ps, float[] out, int oi, int os) {
        int bias = pi + cols * v * LANES; // the panel's bias row, after its last k
        for (int g = 0; g < segs; g++) {
            boolean first = g == 0;
            boolean last = g == segs - 1;
            int k0 = seg[so + 2 * g];
            int ks = seg[so + 2 * g + 1] - k0;
            int ak = ai + k0; // the tiles loop from the segment's first k (see gen_packed_tiles.py)
            int pk = pi + k0 * v * LANES;
            float[] init = first ? ZEROS : out;
            int ci = first ? 0 : oi;
            int cs = first ? 0 : os;
            float[] b = last ? p : ZEROS;
            int b0 = last ? bias : 0;
            int bs = last ? ps : 0;
            if (v == 2) {
                switch (mr) {
                    case 8: PackedTiles.s8x2(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    case 6: PackedTiles.s6x2(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    default: PackedTiles.s4x2(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                }
            } else {
                switch (mr) {
                    case 8: PackedTiles.s8x1(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    case 6: PackedTiles.s6x1(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                    default: PackedTiles.s4x1(ks, a, ak, cols, p, pk, ps, init, ci, cs, b, b0, bs, out, oi, os); break;
                }
            }
        }
    }

    /**
     * One sample over {@code n} (1-4) consecutive panels in one pass per segment: each segment's sums start
     * from the previous one's, in {@code out}; the last adds the bias.
     */
    private static void oneSample(int n, int v, int[] seg, int segs, int cols, float[] a, int ai, float[] p,
                                  Object aligned, int pi, int ps, float[] out, int oi) {
        int bias = pi + cols * v * LANES; // the panels' bias row, after their last k
        if (segs < 0) { // all of [0, cols)
            oneSegment(n, v, 0, cols, a, ai, p, aligned, pi, ps, ZEROS, 0, p, bias, ps, out, oi);
            return;
        }
        for (int g = 0; g < segs; g++) {
            boolean last = g == segs - 1;
            oneSegment(n, v, seg[2 * g], seg[2 * g + 1], a, ai, p, aligned, pi, ps, g == 0 ? ZEROS : out,
                    g == 0 ? 0 : oi, last ? p : ZEROS, last ? bias : 0, last ? ps : 0, out, oi);
        }
    }

    private static void oneSegment(int n, int v, int k0, int k1, float[] a, int ai, float[] p, Object aligned,
                                   int pi, int ps, float[] init, int ci, float[] bias, int b0, int bs, float[] out,
                                   int oi) {
        if (aligned != null) {
            try {
                oneSegmentAligned(n, v, k0, k1, a, ai, aligned, pi, ps, init, ci, bias, b0, bs, out, oi);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) { // the tiles' method handle declares Throwable; fromMemorySegment throws none
                throw new IllegalStateException(t);
            }
            return;
        }
        if (v == 2) {
            switch (n) {
                case 4: PackedTiles.t1x2p4(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
                case 3: PackedTiles.t1x2p3(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
                case 2: PackedTiles.t1x2p2(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
                default: PackedTiles.t1x2(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            }
        }
        switch (n) {
            case 4: PackedTiles.t1x1p4(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            case 3: PackedTiles.t1x1p3(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            case 2: PackedTiles.t1x1p2(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
            default: PackedTiles.t1x1(k0, k1, a, ai, p, pi, ps, init, ci, bias, b0, bs, out, oi); return;
        }
    }

    private static void tile(int mr, int v, int cols, float[] a, int ai, float[] p, int pi, float[] out, int oi,
                             int os) {
        int ps = (cols + 1) * v * LANES; // unused by one-panel tiles
        if (v == 2) {
            switch (mr) {
                case 8: PackedTiles.t8x2(cols, a, ai, cols, p, pi, ps, out, oi, os); return;
                case 6: PackedTiles.t6x2(cols, a, ai, cols, p, pi, ps, out, oi, os); return;
                default: PackedTiles.t4x2(cols, a, ai, cols, p, pi, ps, out, oi, os); return;
            }
        }
        switch (mr) {
            case 8: PackedTiles.t8x1(cols, a, ai, cols, p, pi, ps, out, oi, os); return;
            case 6: PackedTiles.t6x1(cols, a, ai, cols, p, pi, ps, out, oi, os); return;
            default: PackedTiles.t4x1(cols, a, ai, cols, p, pi, ps, out, oi, os); return;
        }
    }
}
