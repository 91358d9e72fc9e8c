package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;

/**
 * The one-sample forward from {@link Kernels#alignedPackedCopy} and {@link Kernels#alignedPackedCopyBf16} (the
 * vector kernels' 64-byte aligned copies of the float and bfloat16 panels, JDK 22+) gives the bits of the
 * forward from the heap panels, which the other kernel tests hold
 * to the scalar twin: every panel shape (narrow layers, one and two vectors per panel, 1-4 panels per pass, a
 * partial last panel), inputs with and without zero stretches, every activation, layers at an offset of the
 * packed array as a served model has them.
 */
class AlignedPackedCopyTest {
    private static final int[] ROWS = {1, 5, 10, 16, 17, 33, 64, 100, 129, 256};
    private static final int[] COLS = {1, 7, 31, 64, 511, 512, 784, 1001};

    @Test
    void theVectorKernelsHaveAnAlignedCopyExactlyFromJdk22() throws Exception {
        assertNull(KernelProvider.scalar().alignedPackedCopy(new float[64]));
        assertNull(KernelProvider.scalar().alignedPackedCopyBf16(new short[64]));
        Kernels v = KernelPropertyTest.vectorOrSkip();
        Object copy = v.alignedPackedCopy(new float[64]);
        if (Runtime.version().feature() >= 22 && !"false".equals(System.getProperty("mlp4j.alignedPanels"))) {
            assertNotNull(copy, "JDK " + Runtime.version().feature() + " has java.lang.foreign");
            Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
            assertTrue(segment.isInstance(copy), copy.getClass().getName());
            // each copy in an arena of its own, freed with it: a shared automatic arena frees nothing until it is
            // unreachable itself (every published version's panels would stay)
            Object other = v.alignedPackedCopy(new float[64]);
            java.lang.reflect.Method scope = segment.getMethod("scope");
            assertTrue(!scope.invoke(copy).equals(scope.invoke(other)), "two copies share an arena");
            long address = (long) segment.getMethod("address").invoke(copy);
            assertTrue(address % 64 == 0, "address " + address);
            Object copy16 = v.alignedPackedCopyBf16(new short[64]);
            assertTrue(segment.isInstance(copy16) && (long) segment.getMethod("address").invoke(copy16) % 64 == 0);
        } else {
            assertNull(copy);
            assertNull(v.alignedPackedCopyBf16(new short[64]));
        }
    }

    @Test
    void oneSampleFromTheAlignedCopyEqualsTheHeapPanelsBitForBit() {
        Kernels v = KernelPropertyTest.vectorOrSkip();
        assumeTrue(v.alignedPackedCopy(new float[16]) != null, "no aligned copies on this JDK");
        SplittableRandom rnd = new SplittableRandom(2026_12_04);
        int checked = 0;
        for (int rows : ROWS) {
            for (int cols : COLS) {
                float[] w = new float[rows * cols + rows];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) rnd.nextDouble(-1, 1);
                }
                int len = v.packedWeightsLength(rows, cols);
                int off = 16 * (1 + rnd.nextInt(4)); // a later layer of a served model: a multiple of 16 floats
                float[] packed = new float[off + len + rnd.nextInt(3)];
                v.packWeights(w, 0, rows * cols, rows, cols, packed, off);
                Object aligned = v.alignedPackedCopy(packed);
                int len16 = v.packedBf16Length(rows, cols);
                int off16 = 32 * (1 + rnd.nextInt(4)); // a later layer: a multiple of 32 shorts
                short[] packed16 = new short[off16 + len16 + rnd.nextInt(3)];
                float[] bias16 = new float[5 + v.packedBf16BiasLength(rows)];
                v.packWeightsBf16(w, 0, rows * cols, rows, cols, packed16, off16, bias16, 5);
                Object aligned16 = v.alignedPackedCopyBf16(packed16);
                for (int input = 0; input < 3; input++) {
                    float[] x = new float[cols + 5];
                    for (int k = 0; k < cols; k++) { // dense; MNIST-like blank stretches; zeros but a few
                        boolean zero = input == 1 ? (k / 24) % 3 != 1 : input == 2 && k % 97 != 3;
                        x[3 + k] = zero ? 0f : (float) rnd.nextDouble(-2, 2);
                    }
                    for (Activation act : Activation.values()) {
                        float[] want = new float[rows + 2];
                        float[] got = new float[rows + 2];
                        v.gemmForwardPacked(x, 3, 1, packed, off, rows, cols, null, 0, want, 1, act, 0.01f);
                        v.gemmForwardPackedOne(x, 3, aligned, packed, off, rows, cols, got, 1, act, 0.01f);
                        int r = rows;
                        int c = cols;
                        assertArrayEquals(bits(want), bits(got), () -> rows(r, c, act));
                        float[] want16 = new float[rows + 2];
                        float[] got16 = new float[rows + 2];
                        v.gemmForwardPackedBf16(x, 3, 1, packed16, off16, bias16, 5, rows, cols, null, 0, want16, 1,
                                act, 0.01f);
                        v.gemmForwardPackedBf16One(x, 3, aligned16, packed16, off16, bias16, 5, rows, cols, got16, 1,
                                act, 0.01f);
                        assertArrayEquals(bits(want16), bits(got16), () -> "bf16 " + rows(r, c, act));
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked == ROWS.length * COLS.length * 3 * Activation.values().length, "checked " + checked);
    }

    private static String rows(int rows, int cols, Activation act) {
        return rows + "x" + cols + " " + act;
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }
}
