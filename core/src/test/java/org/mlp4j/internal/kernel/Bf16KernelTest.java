package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mlp4j.internal.kernel.KernelPropertyTest.EDGE;
import static org.mlp4j.internal.kernel.KernelPropertyTest.off;
import static org.mlp4j.internal.kernel.KernelPropertyTest.pad;
import static org.mlp4j.internal.kernel.KernelPropertyTest.randomArray;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;

/**
 * The bfloat16 forward kernels: on random and lane-boundary shapes, every activation, at random offsets, each
 * implementation's output is bit-identical to its own float kernel over the weights rounded to bfloat16 (and
 * the float bias), and the vector one to the scalar twin; packing writes only its range and the kernel changes
 * no input. The conversions are checked against the definition.
 */
class Bf16KernelTest {

    @Test
    void conversionsRoundToNearestEven() {
        assertEquals(1f, Bf16.round(1f), 0f);
        assertEquals((short) 0x3f80, Bf16.fromFloat(1f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1); just above rounds up
        assertEquals(1f, Bf16.round(1f + 0x1p-8f), 0f);
        assertEquals(1f + 0x1p-7f, Bf16.round(Math.nextUp(1f + 0x1p-8f)), 0f);
        // 1 + 3*2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (the latter)
        assertEquals(1f + 0x1p-6f, Bf16.round(1f + 3 * 0x1p-8f), 0f);
        assertEquals(-2.5f, Bf16.round(-2.5f), 0f);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Bf16.round(-0f)));
        assertEquals(Float.intBitsToFloat(0x7f7f0000), Bf16.round(Bf16.MAX_ROUNDABLE), 0f);
        assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Math.nextUp(Bf16.MAX_ROUNDABLE)), 0f);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isFinite(f) || Math.abs(f) > Bf16.MAX_ROUNDABLE) {
                continue;
            }
            float r = Bf16.round(f);
            assertEquals(0, Float.floatToRawIntBits(r) & 0xffff, "low bits of " + f);
            // no bfloat16 is nearer: the neighbours of |r| one unit (2^16 float ulps) away are not closer to |f|
            int mag = Float.floatToRawIntBits(Math.abs(r));
            double af = Math.abs((double) f);
            double err = Math.abs(Math.abs((double) r) - af);
            assertEquals(Math.signum(f), Math.signum(r) == 0 ? Math.signum(f) : Math.signum(r), 0, "sign of " + f);
            assertTrue(err <= Math.abs(Float.intBitsToFloat(mag + 0x10000) - af), "nearest of " + f);
            if (mag > 0) {
                assertTrue(err <= Math.abs(Float.intBitsToFloat(mag - 0x10000) - af), "nearest of " + f);
            }
        }
    }

    @Test
    void scalarMatchesFloatKernelOnRoundedWeights() {
        everyShape(KernelProvider.scalar(), 11);
    }

    @Test
    void vectorMatchesFloatKernelOnRoundedWeightsAndScalarTwin() {
        everyShape(KernelPropertyTest.vectorOrSkip(), 12);
    }

    private static void everyShape(Kernels k, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Activation[] acts = Activation.values();
        int n = 0;
        for (int i = 0; i < EDGE.length; i++) {
            int rows = EDGE[i];
            int cols = EDGE[(i * 5 + 3) % EDGE.length] % 130 + 1;
            for (int batch : new int[] {1, 3, 4, 5, 6, 8, 9, 15}) {
                check(k, rnd, rows, cols, batch, acts[n++ % acts.length]);
            }
        }
        for (int s = 0; s < 30; s++) {
            check(k, rnd, 1 + rnd.nextInt(140), 1 + rnd.nextInt(90), 1 + rnd.nextInt(13), acts[s % acts.length]);
        }
    }

    private static void check(Kernels k, SplittableRandom rnd, int rows, int cols, int batch, Activation act) {
        String shape = k.name() + " rows=" + rows + " cols=" + cols + " batch=" + batch + " act=" + act;
        float slope = 0.05f;
        int wOff = off(rnd);
        int bOff = wOff + rows * cols + rnd.nextInt(5);
        float[] w = randomArray(rnd, bOff + rows + pad(rnd), -1, 1);
        float[] w0 = w.clone();
        int len = k.packedBf16Length(rows, cols);
        int blen = k.packedBf16BiasLength(rows);
        assertTrue(len >= rows * cols && blen >= rows, shape + ": packed lengths too small");
        int pOff = off(rnd);
        short[] packed = new short[pOff + len + 7];
        Arrays.fill(packed, (short) 0x5555);
        int biasOff = off(rnd);
        float[] bias = new float[biasOff + blen + 5];
        Arrays.fill(bias, 42f);
        k.packWeightsBf16(w, wOff, bOff, rows, cols, packed, pOff, bias, biasOff);
        assertArrayEquals(w0, w, shape + ": packing changed w");
        for (int i = 0; i < packed.length; i++) {
            if (i < pOff || i >= pOff + len) {
                assertEquals((short) 0x5555, packed[i], shape + ": packing wrote outside its range at " + i);
            }
        }
        for (int i = 0; i < bias.length; i++) {
            if (i < biasOff || i >= biasOff + blen) {
                assertEquals(42f, bias[i], 0f, shape + ": bias packing wrote outside its range at " + i);
            }
        }
        int aOff = off(rnd);
        float[] in = randomArray(rnd, aOff + batch * cols + pad(rnd), -2, 2);
        float[] in0 = in.clone();
        short[] packed0 = packed.clone();
        int oOff = off(rnd);
        float[] out = randomArray(rnd, oOff + batch * rows + pad(rnd), -9, 9);
        float[] outBefore = out.clone();
        int zOff = off(rnd);
        float[] z = new float[zOff + batch * rows + 3];
        k.gemmForwardPackedBf16(in, aOff, batch, packed, pOff, bias, biasOff, rows, cols, z, zOff, out, oOff, act,
                slope);
        assertArrayEquals(in0, in, shape + ": changed A");
        assertArrayEquals(packed0, packed, shape + ": changed the packed weights");
        for (int i = 0; i < out.length; i++) {
            if (i < oOff || i >= oOff + batch * rows) {
                assertEquals(outBefore[i], out[i], 0f, shape + ": wrote outside the output at " + i);
            }
        }
        float[] outNoZ = new float[batch * rows];
        k.gemmForwardPackedBf16(in, aOff, batch, packed, pOff, bias, biasOff, rows, cols, null, 0, outNoZ, 0, act,
                slope);
        assertArrayEquals(Arrays.copyOfRange(out, oOff, oOff + batch * rows), outNoZ, shape + ": z == null differs");

        // the float kernels over the rounded weights give the same bits
        float[] rounded = w.clone();
        for (int i = 0; i < rows * cols; i++) {
            rounded[wOff + i] = Bf16.round(w[wOff + i]);
        }
        float[] fp = new float[k.packedWeightsLength(rows, cols)];
        k.packWeights(rounded, wOff, bOff, rows, cols, fp, 0);
        float[] expectedZ = new float[batch * rows];
        float[] expected = new float[batch * rows];
        k.gemmForwardPacked(in, aOff, batch, fp, 0, rows, cols, expectedZ, 0, expected, 0, act, slope);
        assertArrayEquals(expected, outNoZ, shape + ": differs from the float kernel over rounded weights");
        assertArrayEquals(expectedZ, Arrays.copyOfRange(z, zOff, zOff + batch * rows), shape + ": Z differs");

        // and the scalar twin gives the same bits
        Kernels s = KernelProvider.scalar();
        if (k != s) {
            short[] sp = new short[s.packedBf16Length(rows, cols)];
            float[] sb = new float[s.packedBf16BiasLength(rows)];
            s.packWeightsBf16(w, wOff, bOff, rows, cols, sp, 0, sb, 0);
            float[] twin = new float[batch * rows];
            s.gemmForwardPackedBf16(in, aOff, batch, sp, 0, sb, 0, rows, cols, null, 0, twin, 0, act, slope);
            assertArrayEquals(twin, outNoZ, shape + ": vector differs from the scalar twin");
        }
    }
}
