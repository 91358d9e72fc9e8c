package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;

/**
 * One sample through a wide layer skips the stretches of k whose inputs are all zero, and a block of rows of a
 * batch the stretches where all of its rows are zero (the vector {@code PackedGemm}'s segments). The scalar twin never skips, so the vector results must equal it bit for bit
 * on inputs full of zeros: MNIST-like blank runs, lone nonzeros, -0.0, subnormals, NaN among zeros, all zeros,
 * and zeros or not in the partial last block; on every panel shape (1-4 panels per pass, one or two vectors
 * per panel, a partial last panel), float and bfloat16 weights, for single samples, for the one-row
 * remainder of a batch and for blocks of rows that share their inputs or not.
 */
class ZeroSkipTest {
    private static final int[] ROWS = {5, 10, 16, 17, 33, 64, 100, 129, 256};
    private static final int[] COLS = {511, 512, 519, 784, 1001};
    /**
     * {batch, 0 = every row the same input / 1 = mixed rows}: 1 and the one-row remainder of 3 skip per sample;
     * the 8-, 6- and 4-row blocks (of 8, 6 and 13 = 8 + 4 + 1 at 512 bits; other block sizes at narrower
     * widths) skip where all of their rows are zero. 70 and 75 span two or three chunks of rows (PackedGemm's
     * chunks hold 32-64 rows at these widths), 75 ending in one single row.
     */
    private static final int[][] BATCHES = {{1, 0}, {3, 0}, {8, 0}, {13, 0}, {6, 1}, {8, 1}, {13, 1}, {70, 1},
        {75, 1}};

    @Test
    void vectorOneSampleOnSparseInputsEqualsScalarBitForBit() {
        Kernels v = KernelPropertyTest.vectorOrSkip();
        Kernels s = KernelProvider.scalar();
        SplittableRandom rnd = new SplittableRandom(2026_12_02);
        int checked = 0;
        for (int rows : ROWS) {
            for (int cols : COLS) {
                for (boolean bias : new boolean[] {true, false}) { // without bias, subnormal sums stay visible
                float[] w = new float[rows * cols + rows];
                for (int i = 0; i < rows * cols; i++) {
                    w[i] = (float) (rnd.nextDouble(-1, 1) / Math.sqrt(cols));
                }
                for (int i = rows * cols; bias && i < w.length; i++) {
                    w[i] = (float) rnd.nextDouble(-0.1, 0.1);
                }
                float[] pv = new float[v.packedWeightsLength(rows, cols)];
                float[] ps = new float[s.packedWeightsLength(rows, cols)];
                v.packWeights(w, 0, rows * cols, rows, cols, pv, 0);
                s.packWeights(w, 0, rows * cols, rows, cols, ps, 0);
                short[] hv = new short[v.packedBf16Length(rows, cols)];
                short[] hs = new short[s.packedBf16Length(rows, cols)];
                float[] bv = new float[v.packedBf16BiasLength(rows)];
                float[] bs = new float[s.packedBf16BiasLength(rows)];
                v.packWeightsBf16(w, 0, rows * cols, rows, cols, hv, 0, bv, 0);
                s.packWeightsBf16(w, 0, rows * cols, rows, cols, hs, 0, bs, 0);
                List<float[]> inputs = inputs(rnd, cols);
                for (int input = 0; input < inputs.size(); input++) {
                    for (int[] config : BATCHES) {
                        int batch = config[0];
                        float[] x = new float[batch * cols];
                        for (int b = 0; b < batch; b++) { // mixed: row b gets the b-th next input
                            System.arraycopy(inputs.get((input + b * config[1]) % inputs.size()), 0, x, b * cols,
                                    cols);
                        }
                        Activation act = checked % 2 == 0 ? Activation.IDENTITY : Activation.RELU;
                        float[] zv = new float[batch * rows];
                        float[] zs = new float[batch * rows];
                        float[] ov = new float[batch * rows];
                        float[] os = new float[batch * rows];
                        v.gemmForwardPacked(x, 0, batch, pv, 0, rows, cols, zv, 0, ov, 0, act, 0f);
                        s.gemmForwardPacked(x, 0, batch, ps, 0, rows, cols, zs, 0, os, 0, act, 0f);
                        String shape = v.name() + " rows=" + rows + " cols=" + cols + " bias=" + bias
                                + " batch=" + batch + (config[1] == 0 ? " same rows" : " mixed rows") + " input #"
                                + input;
                        assertArrayEquals(zs, zv, shape + ": Z differs from the scalar twin");
                        assertArrayEquals(os, ov, shape + ": activations differ from the scalar twin");
                        v.gemmForwardPackedBf16(x, 0, batch, hv, 0, bv, 0, rows, cols, zv, 0, ov, 0, act, 0f);
                        s.gemmForwardPackedBf16(x, 0, batch, hs, 0, bs, 0, rows, cols, zs, 0, os, 0, act, 0f);
                        assertArrayEquals(zs, zv, shape + ": bfloat16 Z differs from the scalar twin");
                        assertArrayEquals(os, ov, shape + ": bfloat16 activations differ from the scalar twin");
                        checked++;
                    }
                }
                }
            }
        }
        assertTrue(checked > 5000, "checked " + checked);
    }

    /** Inputs of {@code cols} values that exercise the zero-skipping. */
    private static List<float[]> inputs(SplittableRandom rnd, int cols) {
        List<float[]> list = new ArrayList<>();
        float[] dense = new float[cols];
        for (int i = 0; i < cols; i++) {
            dense[i] = (float) rnd.nextDouble(-1, 1);
        }
        list.add(dense);
        // MNIST-like: blank runs of random length between strokes
        float[] image = new float[cols];
        for (int i = 0; i < cols; ) {
            int blank = rnd.nextInt(1, 60);
            int ink = rnd.nextInt(1, 12);
            i += blank;
            for (int j = 0; j < ink && i < cols; j++, i++) {
                image[i] = (float) rnd.nextDouble(0.01, 1);
            }
        }
        list.add(image);
        list.add(new float[cols]); // all zero: the bias alone
        float[] negZeros = new float[cols];
        for (int i = 0; i < cols; i++) {
            negZeros[i] = rnd.nextInt(3) == 0 ? -0f : 0f;
        }
        list.add(negZeros.clone()); // only +-0
        negZeros[cols / 2] = 0.5f;
        list.add(negZeros); // one nonzero among +-0
        float[] first = new float[cols];
        first[0] = -1.25f;
        list.add(first);
        float[] last = new float[cols];
        last[cols - 1] = 2f; // in the partial last block when cols % 8 != 0
        list.add(last);
        float[] tiny = new float[cols];
        for (int i = 0; i < cols; i += 37) {
            tiny[i] = Float.MIN_VALUE * (1 + rnd.nextInt(100)); // subnormal: not zero
        }
        list.add(tiny);
        float[] nan = new float[cols];
        nan[cols / 3] = Float.NaN;
        list.add(nan);
        float[] edges = new float[cols]; // nonzeros right at block boundaries
        for (int i = 7; i < cols; i += 64) {
            edges[i] = 1f;
            if (i + 1 < cols) {
                edges[i + 1] = -1f;
            }
        }
        list.add(edges);
        float[] halfBlank = new float[cols]; // one long blank stretch in the middle
        for (int i = 0; i < cols; i++) {
            halfBlank[i] = i > cols / 4 && i < 3 * cols / 4 ? 0f : (float) rnd.nextDouble(-1, 1);
        }
        list.add(halfBlank);
        float[] relu = new float[cols]; // ReLU-like: half zero at random
        for (int i = 0; i < cols; i++) {
            relu[i] = rnd.nextBoolean() ? 0f : (float) rnd.nextDouble(0, 3);
        }
        list.add(relu);
        return list;
    }
}
