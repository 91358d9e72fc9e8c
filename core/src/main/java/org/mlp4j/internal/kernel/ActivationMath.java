package org.mlp4j.internal.kernel;

import org.mlp4j.Activation;

/**
 * Scalar activation functions and their derivatives, shared by every kernel implementation so that the
 * scalar and vector paths agree bit for bit on everything but the dot products. Transcendentals are
 * evaluated in double and rounded once.
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
                return z > 0f ? z : 0f;
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

    /** {@code 1 / (1 + e^-z)}, in double. */
    public static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
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
