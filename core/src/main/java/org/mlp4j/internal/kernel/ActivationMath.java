package org.mlp4j.internal.kernel;

import org.mlp4j.Activation;

/**
 * Scalar activation functions and their derivatives, shared by every kernel implementation so that the
 * scalar and vector paths agree bit for bit. Transcendentals are
 * evaluated in double and rounded once, except the sigmoid, which is float arithmetic that the vector
 * kernels repeat lane by lane (within 3 ulp).
 */
public final class ActivationMath {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_PI = 1.0 / Math.sqrt(Math.PI);
    private static final double GELU_TANH_C = 0.044715;

    private ActivationMath() {
    }

    /**
     * Elementwise forward value {@code act(z)}. Softmax is not elementwise: it returns {@code z} here and
     * callers apply {@link #softmaxInPlace} to the row.
     */
    public static float apply(Activation act, float z, float slope) {
        switch (act) {
            case RELU:
                return Math.max(z, 0f); // NaN stays NaN, as in the vector kernels' max (z > 0 ? z : 0 made it 0)
            case LEAKY_RELU:
                return z > 0f ? z : slope * z;
            case SIGMOID:
                return sigmoid(z);
            case TANH:
                return (float) Math.tanh(z);
            case GELU:
                return (float) (z * 0.5 * (1.0 + erf(z * INV_SQRT_2)));
            case GELU_TANH: {
                double u = SQRT_2_OVER_PI * (z + GELU_TANH_C * (double) z * z * z);
                return (float) (0.5 * z * (1.0 + Math.tanh(u)));
            }
            case IDENTITY:
            case SOFTMAX:
            default:
                return z;
        }
    }

    // Sigmoid in float with its own exp, so the vector kernels can run the same operations lane by lane
    // (VectorOps.sigmoid) and give the same bits: Math.exp has no vector form. Cody-Waite reduction
    // x = n ln2 + r, |r| <= ln2/2, then Cephes' degree-7 expf polynomial; measured within 3 ulp of the
    // double-precision sigmoid on every 61st float in [-120, 120] (SigmoidTest). The vector form took the
    // tiny net's batch-128 64x1 sigmoid layer from 1.17 to 0.53 us (Zen 5, JDK 17, min of 400 x 50 calls,
    // 2026-12-02).
    /** Round-to-nearest magic: {@code x + 1.5 * 2^23} leaves {@code round(x)} in the low mantissa bits. */
    public static final float EXP_ROUND = 12582912f;
    public static final int EXP_ROUND_BITS = Float.floatToRawIntBits(EXP_ROUND);
    public static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts: the high part has few bits, so {@code n * LN2_HI} is exact for |n| <= 150. */
    public static final float LN2_HI = 0.693359375f;
    public static final float LN2_LO = -2.12194440e-4f;
    /** e^x is 0 in float below this (e^-104 is under half the smallest subnormal). */
    public static final float EXP_MIN = -104f;
    public static final float EXP_P0 = 1.9875691500e-4f;
    public static final float EXP_P1 = 1.3981999507e-3f;
    public static final float EXP_P2 = 8.3334519073e-3f;
    public static final float EXP_P3 = 4.1665795894e-2f;
    public static final float EXP_P4 = 1.6666665459e-1f;
    public static final float EXP_P5 = 5.0000001201e-1f;

    /**
     * {@code 1 / (1 + e^-z)}: {@code 1 / (1 + t)} for {@code z >= 0} and {@code t / (1 + t)} below, with
     * {@code t = e^-|z|} in (0, 1], so nothing overflows and tiny results keep their subnormal value.
     * Every step is one IEEE float operation (FMAs fused); {@code VectorOps.sigmoid} is the same sequence.
     */
    public static float sigmoid(float z) {
        float t = expNonPositive(-Math.abs(z));
        return (z < 0f ? t : 1f) / (1f + t);
    }

    /** e^x for x <= 0 (or NaN), in float. */
    static float expNonPositive(float x) {
        x = Math.max(x, EXP_MIN);
        float f = Math.fma(x, LOG2E, EXP_ROUND);
        float n = f - EXP_ROUND;
        int ni = Float.floatToRawIntBits(f) - EXP_ROUND_BITS;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(EXP_P0, r, EXP_P1);
        p = Math.fma(p, r, EXP_P2);
        p = Math.fma(p, r, EXP_P3);
        p = Math.fma(p, r, EXP_P4);
        p = Math.fma(p, r, EXP_P5);
        p = Math.fma(p, r * r, r + 1f);
        // 2^n in two normal factors (n >= -150): the first product is exact, the second rounds once, also
        // into the subnormal range
        int half = ni >> 1;
        return p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((ni - half + 127) << 23);
    }

    /**
     * {@code dL/dz} from {@code dy = dL/da} for an elementwise activation, given the pre-activation
     * {@code z} and the activation {@code a} (PyTorch's backward formulas).
     */
    public static float backward(Activation act, float dy, float z, float a, float slope) {
        switch (act) {
            case RELU:
                return a > 0f ? dy : 0f;
            case LEAKY_RELU:
                return z > 0f ? dy : dy * slope;
            case SIGMOID:
                return dy * a * (1f - a);
            case TANH:
                return dy * (1f - a * a);
            case GELU: {
                double cdf = 0.5 * (1.0 + erf(z * INV_SQRT_2));
                double pdf = Math.exp(-0.5 * (double) z * z) * INV_SQRT_2PI;
                return (float) (dy * (cdf + z * pdf));
            }
            case GELU_TANH: {
                double z2 = (double) z * z;
                double t = Math.tanh(SQRT_2_OVER_PI * (z + GELU_TANH_C * z2 * z));
                double d = 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * z2);
                return (float) (dy * d);
            }
            case IDENTITY:
            default:
                return dy;
        }
    }

    /** Numerically stable softmax of {@code v[off, off+n)} in place. */
    public static void softmaxInPlace(float[] v, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(v[off + i] - max);
            v[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            v[off + i] *= inv;
        }
    }

    /**
     * Softmax backward with the full Jacobian, per row: {@code dz = a * (dy - sum_j dy_j a_j)}, written
     * into {@code dz} (may alias {@code dy}).
     */
    public static void softmaxBackward(float[] dy, int dyOff, float[] a, int aOff, float[] dz, int dzOff, int n) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) dy[dyOff + i] * a[aOff + i];
        }
        float d = (float) dot;
        for (int i = 0; i < n; i++) {
            dz[dzOff + i] = a[aOff + i] * (dy[dyOff + i] - d);
        }
    }

    /**
     * The error function, accurate to ~1e-15: Maclaurin series below |x| = 2.5, continued fraction for
     * erfc above (Java has no erf).
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.5) {
            double x2 = x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 80; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) <= 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            return sum * TWO_OVER_SQRT_PI;
        }
        if (ax >= 6.5) {
            return Math.copySign(1.0, x);
        }
        // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated backwards.
        double f = ax;
        for (int k = 60; k >= 1; k--) {
            f = ax + (k * 0.5) / f;
        }
        double erfc = Math.exp(-ax * ax) * INV_SQRT_PI / f;
        return Math.copySign(1.0 - erfc, x);
    }
}
