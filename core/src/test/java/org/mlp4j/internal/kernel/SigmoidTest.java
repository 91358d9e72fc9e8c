package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;

/**
 * The float sigmoid ({@link ActivationMath#sigmoid}): its accuracy against the double-precision formula, its
 * limits, and the vector kernels repeating it bit for bit (the vector form is a separate sequence of lane
 * operations, so it is tested on extreme and subnormal values, not only on the property tests' ranges).
 */
class SigmoidTest {

    private static float reference(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) z)));
    }

    /** Distance in representable floats between two finite non-negative floats. */
    private static int ulps(float a, float b) {
        return Math.abs(Float.floatToRawIntBits(a) - Float.floatToRawIntBits(b));
    }

    @Test
    void withinThreeUlpOfTheDoubleFormulaOverASweepOfFloats() {
        int worst = 0;
        float worstAt = 0;
        // every 61st bit pattern of both signs, from the smallest subnormal to beyond the 0 and 1 limits
        int top = Float.floatToRawIntBits(120f);
        for (int bits = 0; bits <= top; bits += 61) {
            for (float z : new float[] {Float.intBitsToFloat(bits), -Float.intBitsToFloat(bits)}) {
                int d = ulps(ActivationMath.sigmoid(z), reference(z));
                if (d > worst) {
                    worst = d;
                    worstAt = z;
                }
            }
        }
        assertTrue(worst <= 3, "worst error " + worst + " ulp at z = " + worstAt);
    }

    @Test
    void limitsAndSpecialValues() {
        assertEquals(0.5f, ActivationMath.sigmoid(0f), 0f);
        assertEquals(0.5f, ActivationMath.sigmoid(-0f), 0f);
        assertEquals(1f, ActivationMath.sigmoid(Float.POSITIVE_INFINITY), 0f);
        assertEquals(0f, ActivationMath.sigmoid(Float.NEGATIVE_INFINITY), 0f);
        assertEquals(1f, ActivationMath.sigmoid(20f), 0f);
        assertEquals(0f, ActivationMath.sigmoid(-110f), 0f);
        assertTrue(Float.isNaN(ActivationMath.sigmoid(Float.NaN)));
        // far left tail: tiny but not flushed, as the double formula gives it
        assertEquals(reference(-90f), ActivationMath.sigmoid(-90f), Math.ulp(reference(-90f)) * 2);
        assertTrue(ActivationMath.sigmoid(-100f) > 0f, "sigmoid(-100) is a subnormal, not 0");
        float previous = 0f;
        for (float z = -30f; z <= 30f; z += 1f / 64) {
            float s = ActivationMath.sigmoid(z);
            assertTrue(s >= previous, "not monotone at z = " + z);
            previous = s;
        }
    }

    @Test
    void vectorKernelsRepeatTheScalarBitsOnExtremeValues() {
        Kernels v = KernelPropertyTest.vectorOrSkip();
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 997; // many panels, a partial last one, and lanes of every position
        float[] bias = new float[rows];
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 88f, -88f, 103.9f,
            -103.9f, -104f, -104.1f, 150f, -150f, Float.MAX_VALUE, -Float.MAX_VALUE, 0.34657359f, -0.34657359f};
        for (int i = 0; i < rows; i++) {
            bias[i] = i < specials.length ? specials[i]
                    : i % 3 == 0 ? (float) rnd.nextDouble(-120, 120) : (float) rnd.nextDouble(-4, 4);
        }
        // one input column of zeros: every pre-activation is exactly its bias
        float[] w = new float[rows + rows];
        System.arraycopy(bias, 0, w, rows, rows);
        for (Kernels k : new Kernels[] {KernelPropertyTest.scalar(), v}) {
            float[] packed = new float[k.packedWeightsLength(rows, 1)];
            k.packWeights(w, 0, rows, rows, 1, packed, 0);
            for (int batch : new int[] {1, 9}) {
                float[] out = new float[batch * rows];
                k.gemmForwardPacked(new float[batch], 0, batch, packed, 0, rows, 1, null, 0, out, 0,
                        Activation.SIGMOID, 0f);
                for (int i = 0; i < batch * rows; i++) {
                    float z = bias[i % rows];
                    assertEquals(Float.floatToRawIntBits(ActivationMath.sigmoid(z)),
                            Float.floatToRawIntBits(out[i]), k + " batch " + batch + " z = " + z);
                }
            }
        }
    }
}
