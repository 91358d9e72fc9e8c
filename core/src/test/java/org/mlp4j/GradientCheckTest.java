package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mlp4j.internal.kernel.ActivationMath;
import org.mlp4j.internal.kernel.KernelProvider;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Finite-difference gradient checks: {@link Network#lossAndGradient} (float, backpropagation) against central
 * differences of an independent double-precision MLP written from the formulas in
 * src/test/resources/reference/README.md. Central differences in double with h = 1e-5 are accurate to
 * ~1e-10 here (truncation ~h^2, rounding ~1e-16/h), so the comparison measures the float gradient's own
 * error (~1e-6 relative) plus any formula bug (which shows up as O(1) relative errors).
 *
 * <p>Every hidden activation (all but softmax) x every output activation/loss pair, random odd-ish widths,
 * batch sizes 1..7, one to three dense layers, on the scalar kernels and (when present) the vector kernels.
 */
class GradientCheckTest {

    static final Activation[] HIDDEN = {Activation.IDENTITY, Activation.SIGMOID, Activation.TANH, Activation.RELU,
        Activation.LEAKY_RELU, Activation.GELU, Activation.GELU_TANH};

    /** Output activation and loss pairs. */
    static final Object[][] HEADS = {
        {Activation.IDENTITY, Loss.MSE},
        {Activation.SIGMOID, Loss.MSE},
        {Activation.TANH, Loss.MSE},
        {Activation.RELU, Loss.MSE},
        {Activation.LEAKY_RELU, Loss.MSE},
        {Activation.GELU, Loss.MSE},
        {Activation.GELU_TANH, Loss.MSE},
        {Activation.SOFTMAX, Loss.MSE},
        {Activation.IDENTITY, Loss.CROSS_ENTROPY},
        {Activation.SOFTMAX, Loss.CROSS_ENTROPY},
        {Activation.SIGMOID, Loss.BCE},
        {Activation.IDENTITY, Loss.BCE_WITH_LOGITS},
        {Activation.SIGMOID, Loss.BCE_WITH_LOGITS},
    };

    static List<Arguments> cases() {
        List<String> kernels = new ArrayList<>();
        kernels.add("scalar");
        if (KernelProvider.vector().isPresent()) {
            kernels.add("vector");
        }
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (String k : kernels) {
            for (Object[] head : HEADS) {
                // no hidden layer
                out.add(Arguments.of(null, head[0], head[1], k, i++));
                for (Activation hidden : HIDDEN) {
                    out.add(Arguments.of(hidden, head[0], head[1], k, i++));
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "hidden {0}, output {1}, loss {2} [{3}] #{4}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferencesOfDoubleReference(Activation hidden, Activation output, Loss loss,
                                                           String kernelName, int seed) {
        Kernels kernels = kernelName.equals("scalar") ? KernelProvider.scalar() : KernelProvider.vector().orElse(null);
        assumeTrue(kernels != null, "vector kernels unavailable");
        SplittableRandom rnd = new SplittableRandom(1000 + seed);
        int depth = hidden == null ? 0 : 1 + seed % 2; // hidden layers
        int[] widths = new int[depth + 2];
        widths[0] = 1 + 2 * rnd.nextInt(5); // 1, 3, 5, 7, 9
        for (int l = 1; l <= depth; l++) {
            widths[l] = 1 + 2 * rnd.nextInt(5) + (rnd.nextInt(4) == 0 ? 1 : 0);
        }
        boolean multiClass = loss == Loss.CROSS_ENTROPY || output == Activation.SOFTMAX;
        widths[depth + 1] = multiClass ? 3 + 2 * rnd.nextInt(2) : 1 + 2 * rnd.nextInt(3);
        int batch = 1 + seed % 7;
        float slope = seed % 2 == 0 ? 0.2f : 0.01f;

        Network.Builder b = Network.builder(widths[0]).loss(loss).leakyReluSlope(slope).seed(seed);
        Activation[] acts = new Activation[depth + 1];
        for (int l = 0; l <= depth; l++) {
            acts[l] = l == depth ? output : hidden;
            b.dense(widths[l + 1], acts[l]);
        }
        Network net = b.build().withKernels(kernels);
        RefNet ref = new RefNet(widths, acts, loss, slope);

        // random parameters (biases too: the builder leaves them at 0, which would hide bias bugs)
        float[] params = new float[net.parameterCount()];
        ParameterLayout layout = net.layout();
        for (int l = 0; l < layout.layerCount(); l++) {
            double scale = 1.5 / Math.sqrt(layout.inputs(l));
            for (int i = 0; i < layout.weightCount(l); i++) {
                params[layout.weightOffset(l) + i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
            }
            for (int i = 0; i < layout.outputs(l); i++) {
                params[layout.biasOffset(l) + i] = (float) (rnd.nextDouble() - 0.5);
                if (l == layout.layerCount() - 1 && output == Activation.RELU) {
                    params[layout.biasOffset(l) + i] += 1f; // keep the output ReLUs alive (else dL/dp = 0)
                }
            }
        }
        net.setParameters(params);
        double[] p = new double[params.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = params[i];
        }

        // inputs: redraw until no ReLU-family pre-activation sits within 1e-3 of its kink (FD across a kink,
        // or a float/double sign disagreement, would be meaningless)
        float[] x = new float[batch * widths[0]];
        int tries = 0;
        do {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextDouble() * 3 - 1.5);
            }
            assertTrue(++tries < 100, "could not draw inputs away from kinks");
        } while (ref.minKinkDistance(p, x, batch) < 1e-3);

        int out = widths[depth + 1];
        float[] t = new float[batch * net.targetWidth()];
        for (int i = 0; i < t.length; i++) {
            switch (loss) {
                case CROSS_ENTROPY:
                    t[i] = rnd.nextInt(out);
                    break;
                case BCE:
                case BCE_WITH_LOGITS:
                    t[i] = i % 3 == 0 ? (float) (i % 2) : (float) rnd.nextDouble(); // hard and soft targets
                    break;
                default:
                    t[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
        }

        float[] g = new float[params.length];
        Arrays.fill(g, Float.NaN); // must be overwritten
        double lossValue = net.lossAndGradient(x, t, batch, g);
        double refLoss = ref.loss(p, x, t, batch);
        String what = net + " batch " + batch + " [" + kernels.name() + "]";
        assertEquals(refLoss, lossValue, 1e-5 * Math.max(1, Math.abs(refLoss)), what + ": lossAndGradient loss");
        assertEquals(refLoss, net.loss(x, t, batch), 1e-5 * Math.max(1, Math.abs(refLoss)), what + ": loss()");

        double h = 1e-5;
        double[] fd = new double[p.length];
        double maxAbs = 0;
        for (int i = 0; i < p.length; i++) {
            double saved = p[i];
            p[i] = saved + h;
            double plus = ref.loss(p, x, t, batch);
            p[i] = saved - h;
            double minus = ref.loss(p, x, t, batch);
            p[i] = saved;
            fd[i] = (plus - minus) / (2 * h);
            maxAbs = Math.max(maxAbs, Math.abs(fd[i]));
        }
        assertTrue(maxAbs > 1e-6, what + ": the gradient is not trivially zero");
        for (int i = 0; i < p.length; i++) {
            double tol = 1e-4 * Math.abs(fd[i]) + 2e-5 * maxAbs + 1e-9;
            if (!(Math.abs(g[i] - fd[i]) <= tol)) {
                fail(what + ": dL/dp[" + i + "] (" + describe(layout, i) + "): finite differences " + fd[i]
                        + ", backprop " + g[i] + " (tolerance " + tol + ")");
            }
        }
    }

    private static String describe(ParameterLayout layout, int i) {
        for (int l = 0; l < layout.layerCount(); l++) {
            if (i >= layout.weightOffset(l) && i < layout.biasOffset(l)) {
                int k = i - layout.weightOffset(l);
                return "layer " + l + " weight [" + k / layout.inputs(l) + "][" + k % layout.inputs(l) + "]";
            }
            if (i >= layout.biasOffset(l) && i < layout.biasOffset(l) + layout.outputs(l)) {
                return "layer " + l + " bias [" + (i - layout.biasOffset(l)) + "]";
            }
        }
        return "?";
    }

    /** The reference MLP in double, straight from the README's formulas (PyTorch nn.Linear layout). */
    static final class RefNet {
        final int[] widths;
        final Activation[] acts;
        final Loss loss;
        final double slope;

        RefNet(int[] widths, Activation[] acts, Loss loss, double slope) {
            this.widths = widths;
            this.acts = acts;
            this.loss = loss;
            this.slope = slope;
        }

        /** Pre-activations (z) and activations (a) of every layer for one sample. */
        double[][][] forward(double[] p, float[] x, int sample) {
            int layers = acts.length;
            double[][] zs = new double[layers][];
            double[][] as = new double[layers][];
            double[] a = new double[widths[0]];
            for (int c = 0; c < a.length; c++) {
                a[c] = x[sample * widths[0] + c];
            }
            int off = 0;
            for (int l = 0; l < layers; l++) {
                int in = widths[l];
                int out = widths[l + 1];
                int bOff = off + in * out;
                double[] z = new double[out];
                double[] y = new double[out];
                for (int r = 0; r < out; r++) {
                    double s = p[bOff + r];
                    for (int c = 0; c < in; c++) {
                        s += p[off + r * in + c] * a[c];
                    }
                    z[r] = s;
                    y[r] = act(acts[l], s);
                }
                if (acts[l] == Activation.SOFTMAX) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (double v : z) {
                        m = Math.max(m, v);
                    }
                    double sum = 0;
                    for (int r = 0; r < out; r++) {
                        y[r] = Math.exp(z[r] - m);
                        sum += y[r];
                    }
                    for (int r = 0; r < out; r++) {
                        y[r] /= sum;
                    }
                }
                zs[l] = z;
                as[l] = y;
                a = y;
                off = bOff + out;
            }
            return new double[][][] {zs, as};
        }

        double act(Activation act, double z) {
            switch (act) {
                case SIGMOID:
                    return 1 / (1 + Math.exp(-z));
                case TANH:
                    return Math.tanh(z);
                case RELU:
                    return Math.max(z, 0);
                case LEAKY_RELU:
                    return z > 0 ? z : slope * z;
                case GELU:
                    return z * 0.5 * (1 + ActivationMath.erf(z / Math.sqrt(2)));
                case GELU_TANH:
                    return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
                default:
                    return z; // identity; softmax is applied per row
            }
        }

        double minKinkDistance(double[] p, float[] x, int batch) {
            double min = Double.POSITIVE_INFINITY;
            for (int b = 0; b < batch; b++) {
                double[][] zs = forward(p, x, b)[0];
                for (int l = 0; l < acts.length; l++) {
                    if (acts[l] == Activation.RELU || acts[l] == Activation.LEAKY_RELU) {
                        for (double z : zs[l]) {
                            min = Math.min(min, Math.abs(z));
                        }
                    }
                }
            }
            return min;
        }

        double loss(double[] p, float[] x, float[] t, int batch) {
            int out = widths[widths.length - 1];
            int last = acts.length - 1;
            double sum = 0;
            for (int b = 0; b < batch; b++) {
                double[][][] f = forward(p, x, b);
                double[] z = f[0][last];
                double[] y = f[1][last];
                switch (loss) {
                    case MSE:
                        for (int j = 0; j < out; j++) {
                            double d = y[j] - t[b * out + j];
                            sum += d * d;
                        }
                        break;
                    case CROSS_ENTROPY: {
                        double m = Double.NEGATIVE_INFINITY;
                        for (double v : z) {
                            m = Math.max(m, v);
                        }
                        double s = 0;
                        for (double v : z) {
                            s += Math.exp(v - m);
                        }
                        sum += m + Math.log(s) - z[(int) t[b]];
                        break;
                    }
                    case BCE_WITH_LOGITS:
                        for (int j = 0; j < out; j++) {
                            double tj = t[b * out + j];
                            sum += Math.max(z[j], 0) - z[j] * tj + Math.log(1 + Math.exp(-Math.abs(z[j])));
                        }
                        break;
                    case BCE:
                        for (int j = 0; j < out; j++) {
                            double tj = t[b * out + j];
                            sum -= tj * Math.max(Math.log(y[j]), -100) + (1 - tj) * Math.max(Math.log(1 - y[j]), -100);
                        }
                        break;
                    default:
                        throw new AssertionError(loss);
                }
            }
            return loss == Loss.CROSS_ENTROPY ? sum / batch : sum / ((double) batch * out);
        }
    }
}
