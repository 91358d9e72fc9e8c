package org.mlp4j;

import org.mlp4j.internal.kernel.ActivationMath;

/**
 * Loss values and the output layer's {@code dL/dz}, one sample (row) at a time, with PyTorch's formulas.
 * The scale factor carries the mean reduction ({@code 1/(B*out)} or {@code 1/B} for cross-entropy) so the
 * per-sample deltas add up to the batch mean's gradient.
 */
final class Losses {
    private Losses() {
    }

    /** The mean-reduction factor for a batch of {@code batch} samples with {@code outputs} outputs each. */
    static double meanFactor(Loss loss, int batch, int outputs) {
        return loss == Loss.CROSS_ENTROPY ? 1.0 / batch : 1.0 / ((double) batch * outputs);
    }

    /**
     * Adds this row's unscaled loss to the return value and writes {@code dL/dz} (already scaled) into
     * {@code dz[dzOff, dzOff+n)}. {@code z} and {@code a} are the last layer's pre-activation and activation.
     */
    static double rowLossAndDelta(Loss loss, Activation act, float slope, float[] z, float[] a, int off, int n,
                                  float[] target, int tOff, float[] dz, int dzOff, float scale, int sample) {
        switch (loss) {
            case CROSS_ENTROPY: {
                int cls = classIndex(target[tOff], n, sample);
                float max = max(z, off, n);
                double sum = sumExp(z, off, n, max);
                double lse = max + Math.log(sum);
                double inv = 1.0 / sum;
                for (int j = 0; j < n; j++) {
                    float p = (float) (Math.exp(z[off + j] - max) * inv);
                    dz[dzOff + j] = (p - (j == cls ? 1f : 0f)) * scale;
                }
                return lse - z[off + cls];
            }
            case BCE_WITH_LOGITS: {
                double l = 0;
                for (int j = 0; j < n; j++) {
                    float zj = z[off + j];
                    float t = target[tOff + j];
                    l += bceWithLogits(zj, t);
                    dz[dzOff + j] = (ActivationMath.sigmoid(zj) - t) * scale;
                }
                return l;
            }
            case BCE: {
                double l = 0;
                for (int j = 0; j < n; j++) {
                    float y = a[off + j];
                    float t = target[tOff + j];
                    l += bce(y, t);
                    float dy = (y - t) / Math.max((1f - y) * y, 1e-12f) * scale;
                    dz[dzOff + j] = ActivationMath.backward(act, dy, z[off + j], y, slope);
                }
                return l;
            }
            case MSE:
            default: {
                double l = 0;
                for (int j = 0; j < n; j++) {
                    float d = a[off + j] - target[tOff + j];
                    l += (double) d * d;
                    dz[dzOff + j] = 2f * d * scale;
                }
                if (act == Activation.SOFTMAX) {
                    ActivationMath.softmaxBackward(dz, dzOff, a, off, dz, dzOff, n);
                } else {
                    for (int j = 0; j < n; j++) {
                        dz[dzOff + j] = ActivationMath.backward(act, dz[dzOff + j], z[off + j], a[off + j], slope);
                    }
                }
                return l;
            }
        }
    }

    /** Unscaled loss of one row without gradients. */
    static double rowLoss(Loss loss, float[] z, float[] a, int off, int n, float[] target, int tOff, int sample) {
        switch (loss) {
            case CROSS_ENTROPY: {
                int cls = classIndex(target[tOff], n, sample);
                float max = max(z, off, n);
                return max + Math.log(sumExp(z, off, n, max)) - z[off + cls];
            }
            case BCE_WITH_LOGITS: {
                double l = 0;
                for (int j = 0; j < n; j++) {
                    l += bceWithLogits(z[off + j], target[tOff + j]);
                }
                return l;
            }
            case BCE: {
                double l = 0;
                for (int j = 0; j < n; j++) {
                    l += bce(a[off + j], target[tOff + j]);
                }
                return l;
            }
            case MSE:
            default: {
                double l = 0;
                for (int j = 0; j < n; j++) {
                    double d = a[off + j] - target[tOff + j];
                    l += d * d;
                }
                return l;
            }
        }
    }

    /** Stable {@code max(z,0) - z*t + log(1 + e^-|z|)}. */
    private static double bceWithLogits(float z, float t) {
        return Math.max(z, 0.0) - (double) z * t + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** {@code -(t*ln y + (1-t)*ln(1-y))} with PyTorch's clamp of each log at -100. */
    private static double bce(float y, float t) {
        return -(t * Math.max(Math.log(y), -100.0) + (1.0 - t) * Math.max(Math.log(1.0 - y), -100.0));
    }

    private static float max(float[] z, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, z[off + j]);
        }
        return max;
    }

    /** {@code sum_j e^(z_j - max)}: the stable log-sum-exp's sum. */
    private static double sumExp(float[] z, int off, int n, float max) {
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(z[off + j] - max);
        }
        return sum;
    }

    static int classIndex(float value, int classes, int sample) {
        int cls = (int) value;
        if (cls != value || cls < 0 || cls >= classes) {
            throw new IllegalArgumentException("targets: class index of sample " + sample
                    + ": expected an integer in [0, " + classes + "), got " + value);
        }
        return cls;
    }

    /** Validates a whole target array for {@code loss} (class indices, or finite values, in [0,1] for BCE). */
    static void checkTargets(Loss loss, float[] targets, int tOff, int samples, int outputs) {
        if (loss == Loss.CROSS_ENTROPY) {
            for (int s = 0; s < samples; s++) {
                classIndex(targets[tOff + s], outputs, s);
            }
            return;
        }
        boolean probabilities = loss == Loss.BCE || loss == Loss.BCE_WITH_LOGITS;
        for (int i = 0; i < samples * outputs; i++) {
            float t = targets[tOff + i];
            if (!Float.isFinite(t) || (probabilities && (t < 0f || t > 1f))) {
                throw new IllegalArgumentException("targets: value " + (i % outputs) + " of sample " + (i / outputs)
                        + ": expected " + (probabilities ? "a value in [0, 1]" : "a finite value") + ", got " + t);
            }
        }
    }
}
