package org.mlp4j.internal.engine;

import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.internal.kernel.ActivationMath;

/**
 * The loss head, the one place that knows what the output layer means: loss values and the output layer's
 * {@code dL/dz} one sample (row) at a time with PyTorch's formulas, the classifier rule (which networks
 * classify, argmax or the 0.5 threshold), and class probabilities from the outputs. The scale factor carries
 * the mean reduction ({@code 1/(B*out)} or {@code 1/B} for cross-entropy) so the per-sample deltas add up
 * to the batch mean's gradient.
 */
public final class LossHead {
    private LossHead() {
    }

    /**
     * True when a network with this loss and output width is a classifier: cross-entropy, or BCE (with or
     * without logits) on one output.
     */
    public static boolean isClassifier(Loss loss, int outputs) {
        return loss == Loss.CROSS_ENTROPY || ((loss == Loss.BCE || loss == Loss.BCE_WITH_LOGITS) && outputs == 1);
    }

    /** Number of classes of a classifier (the outputs for cross-entropy, 2 for a single BCE output). */
    public static int classes(Loss loss, int outputs) {
        return loss == Loss.CROSS_ENTROPY ? outputs : 2;
    }

    /**
     * The predicted class from one row of the last layer's pre-activations {@code z[off, off+n)}: the first
     * largest logit, or {@code z > 0} (sigmoid(z) > 0.5) for one output.
     */
    public static int predictedClass(float[] z, int off, int n) {
        if (n == 1) {
            return z[off] > 0f ? 1 : 0;
        }
        return argmax(z, off, n);
    }

    /** The actual class of a classifier's target: the class index, or {@code t >= 0.5} for one BCE output. */
    public static int actualClass(Loss loss, float target) {
        return loss == Loss.CROSS_ENTROPY ? (int) target : (target >= 0.5f ? 1 : 0);
    }

    /** Index of the first largest value of {@code v[off, off+n)}. */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            if (v[off + j] > v[off + best]) {
                best = j;
            }
        }
        return best;
    }

    /**
     * Why a network with this loss and output activation has no class probabilities, or null when it has:
     * cross-entropy (logits or softmax) and BCE (logits or sigmoid) do; regression does not.
     */
    public static String noProbabilitiesReason(Loss loss, Activation last) {
        if (loss == Loss.CROSS_ENTROPY || loss == Loss.BCE || loss == Loss.BCE_WITH_LOGITS) {
            return null;
        }
        return "a network trained with loss " + loss.id() + " (output activation " + last.id()
                + ") has no class probabilities; expected loss cross_entropy, bce or bce_with_logits";
    }

    /**
     * Converts one row of outputs (after the last activation, as inference writes them) into probabilities
     * in {@code dst[dOff, dOff+n)}: softmax of cross-entropy logits, sigmoid of BCE logits, a copy when the
     * output layer already is softmax or sigmoid. {@code dst} may be {@code y} at the same offset.
     */
    public static void probabilities(Loss loss, Activation last, float[] y, int off, int n, float[] dst, int dOff) {
        System.arraycopy(y, off, dst, dOff, n);
        if (loss == Loss.CROSS_ENTROPY && last == Activation.IDENTITY) {
            ActivationMath.softmaxInPlace(dst, dOff, n);
        } else if (loss == Loss.BCE_WITH_LOGITS && last == Activation.IDENTITY) {
            for (int j = 0; j < n; j++) {
                dst[dOff + j] = ActivationMath.sigmoid(dst[dOff + j]);
            }
        }
    }

    /** The mean-reduction factor for a batch of {@code batch} samples with {@code outputs} outputs each. */
    public static double meanFactor(Loss loss, int batch, int outputs) {
        return loss == Loss.CROSS_ENTROPY ? 1.0 / batch : 1.0 / ((double) batch * outputs);
    }

    /**
     * Adds this row's unscaled loss to the return value and writes {@code dL/dz} (already scaled) into
     * {@code dz[dzOff, dzOff+n)}. {@code z} and {@code a} are the last layer's pre-activation and activation.
     */
    public static double rowLossAndDelta(Loss loss, Activation act, float slope, float[] z, float[] a, int off, int n,
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
    public static double rowLoss(Loss loss, float[] z, float[] a, int off, int n, float[] target, int tOff, int sample) {
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

    /** {@code value} as a class index in {@code [0, classes)}, else an error naming the sample. */
    public static int classIndex(float value, int classes, int sample) {
        int cls = (int) value;
        if (cls != value || cls < 0 || cls >= classes) {
            throw new IllegalArgumentException("targets: class index of sample " + sample
                    + ": expected an integer in [0, " + classes + "), got " + value);
        }
        return cls;
    }

    /** Validates a whole target array for {@code loss} (class indices, or finite values, in [0,1] for BCE). */
    public static void checkTargets(Loss loss, float[] targets, int tOff, int samples, int outputs) {
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
