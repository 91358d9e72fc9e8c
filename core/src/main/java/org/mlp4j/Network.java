package org.mlp4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.mlp4j.internal.kernel.ActivationMath;
import org.mlp4j.internal.kernel.KernelProvider;
import org.mlp4j.internal.kernel.Kernels;
import org.mlp4j.internal.kernel.PackedWeights;

/**
 * A dense multilayer perceptron: an input width, then dense layers {@code a_i = act_i(a_{i-1} W_i^T + b_i)},
 * and the loss it is trained with. All parameters live in one flat {@code float[]} described by
 * {@link #layout()} (PyTorch {@code nn.Linear} layout).
 *
 * <pre>{@code
 * Network net = Network.builder(784)
 *         .dense(256, Activation.RELU)
 *         .dense(10, Activation.IDENTITY)
 *         .loss(Loss.CROSS_ENTROPY)
 *         .seed(42)
 *         .build();
 * Workspace ws = net.newWorkspace();          // one per thread
 * float[] logits = new float[10];
 * net.predict(pixels, 0, logits, 0, ws);     // allocation-free
 * }</pre>
 *
 * <p>Thread safety: while no training step or parameter setter runs, any number of threads may call the
 * {@code predict} methods concurrently, each with its own {@link Workspace}.
 */
public final class Network {
    private final ParameterLayout layout;
    private final Activation[] activations;
    private final Loss loss;
    private final float leakySlope;
    private final float[] params;
    private final Kernels kernels;
    /**
     * Inference reads the weights packed for the forward kernel, rebuilt lazily after any parameter change:
     * {@link #version} counts changes, {@link #packedVersion} the packed copy's state.
     */
    private final PackedWeights packed;
    private volatile int version;
    private volatile int packedVersion = -1;

    private Network(ParameterLayout layout, Activation[] activations, Loss loss, float leakySlope, float[] params,
                    Kernels kernels) {
        this.layout = layout;
        this.activations = activations;
        this.loss = loss;
        this.leakySlope = leakySlope;
        this.params = params;
        this.kernels = kernels;
        this.packed = new PackedWeights(kernels, layout);
    }

    /**
     * Records that the parameters changed (every writer of {@link #parameterArray()} calls this), so that
     * inference copies derived from them are rebuilt. Writers never run concurrently with inference.
     */
    void parametersChanged() {
        version++;
    }

    /** The packed weights, rebuilt first if the parameters changed since. */
    private PackedWeights packedWeights() {
        if (packedVersion != version) {
            repack();
        }
        return packed;
    }

    private synchronized void repack() {
        int v = version;
        if (packedVersion == v) {
            return;
        }
        packed.pack(params);
        packedVersion = v;
    }

    /** Starts a network with {@code inputs} input features. */
    public static Builder builder(int inputs) {
        return new Builder(inputs);
    }

    // ---- architecture --------------------------------------------------------------------------------

    /** The flat parameter layout. */
    public ParameterLayout layout() {
        return layout;
    }

    /** Number of input features. */
    public int inputSize() {
        return layout.inputs(0);
    }

    /** Number of outputs of the last layer. */
    public int outputSize() {
        return layout.outputs(layout.layerCount() - 1);
    }

    /** Number of dense layers. */
    public int layerCount() {
        return layout.layerCount();
    }

    /** Activation of dense layer {@code i}. */
    public Activation activation(int layer) {
        layout.inputs(layer); // bounds check with a clear message
        return activations[layer];
    }

    /** The loss this network is trained with. */
    public Loss loss() {
        return loss;
    }

    /** Negative slope of {@link Activation#LEAKY_RELU}. */
    public float leakyReluSlope() {
        return leakySlope;
    }

    /** Values per target row: 1 (a class index) for cross-entropy, else {@link #outputSize()}. */
    public int targetWidth() {
        return loss == Loss.CROSS_ENTROPY ? 1 : outputSize();
    }

    /** Total number of parameters. */
    public int parameterCount() {
        return params.length;
    }

    /** Name of the kernel implementation in use ("vector-256", "scalar", ...). */
    public String kernelName() {
        return kernels.name();
    }

    Kernels kernels() {
        return kernels;
    }

    /** The live parameter array (package-private: training updates it in place). */
    float[] parameterArray() {
        return params;
    }

    /** Same architecture and a copy of the parameters, computed with other kernels (tests, benchmarks). */
    Network withKernels(Kernels other) {
        return new Network(layout, activations, loss, leakySlope, params.clone(), other);
    }

    /** An independent copy (architecture and parameters). */
    public Network copy() {
        return new Network(layout, activations, loss, leakySlope, params.clone(), kernels);
    }

    // ---- parameters ------------------------------------------------------------------------------------

    /** A copy of all parameters in {@link #layout()} order. */
    public float[] parameters() {
        return params.clone();
    }

    /** Copies all parameters into {@code dst} (length {@link #parameterCount()}). */
    public void copyParametersTo(float[] dst) {
        Checks.length("dst", dst, params.length);
        System.arraycopy(params, 0, dst, 0, params.length);
    }

    /** Replaces all parameters (validated: length and finiteness, nothing is changed on error). */
    public void setParameters(float[] src) {
        Checks.length("parameters", src, params.length);
        Checks.finite("parameters", src, 0, src.length);
        System.arraycopy(src, 0, params, 0, params.length);
        parametersChanged();
    }

    /** A copy of layer {@code i}'s weights, {@code [out][in]} row-major. */
    public float[] weights(int layer) {
        int off = layout.weightOffset(layer);
        return Arrays.copyOfRange(params, off, off + layout.weightCount(layer));
    }

    /** A copy of layer {@code i}'s bias. */
    public float[] bias(int layer) {
        int off = layout.biasOffset(layer);
        return Arrays.copyOfRange(params, off, off + layout.outputs(layer));
    }

    /** Sets layer {@code i}'s weights from {@code [out][in]} row-major values (PyTorch {@code weight}). */
    public void setWeights(int layer, float[] weights) {
        Checks.length("weights of layer " + layer, weights, layout.weightCount(layer));
        Checks.finite("weights of layer " + layer, weights, 0, weights.length);
        System.arraycopy(weights, 0, params, layout.weightOffset(layer), weights.length);
        parametersChanged();
    }

    /** Sets layer {@code i}'s bias. */
    public void setBias(int layer, float[] bias) {
        Checks.length("bias of layer " + layer, bias, layout.outputs(layer));
        Checks.finite("bias of layer " + layer, bias, 0, bias.length);
        System.arraycopy(bias, 0, params, layout.biasOffset(layer), bias.length);
        parametersChanged();
    }

    // ---- inference -------------------------------------------------------------------------------------

    /** A workspace for single-sample and batch inference (up to {@code maxBatch} rows); one per thread. */
    public Workspace newWorkspace(int maxBatch) {
        return new Workspace(layout, maxBatch);
    }

    /** A workspace for single-sample inference; one per thread. */
    public Workspace newWorkspace() {
        return newWorkspace(1);
    }

    /**
     * Runs one sample {@code input[inOff, inOff+inputSize)} through the network, writing the outputs (after
     * the last activation) to {@code output[outOff, outOff+outputSize)}. Allocation-free.
     *
     * @throws IllegalArgumentException on out-of-range offsets or non-finite inputs
     */
    public void predict(float[] input, int inOff, float[] output, int outOff, Workspace ws) {
        Objects.requireNonNull(ws, "ws");
        Checks.range("input", input, inOff, inputSize());
        Checks.range("output", output, outOff, outputSize());
        ws.checkFits(layout, 1);
        if (!kernels.allFinite(input, inOff, inputSize())) {
            Checks.finite("input", input, inOff, inputSize()); // names the first bad value
        }
        float[] x = input;
        int xOff = inOff;
        int last = layout.layerCount() - 1;
        PackedWeights pw = packedWeights();
        for (int l = 0; l <= last; l++) {
            float[] dst = l == last ? output : ws.activations[l];
            int dOff = l == last ? outOff : 0;
            pw.forward(l, x, xOff, 1, null, 0, dst, dOff, activations[l], leakySlope);
            x = dst;
            xOff = dOff;
        }
        if (activations[last] == Activation.SOFTMAX) {
            ActivationMath.softmaxInPlace(output, outOff, outputSize());
        }
    }

    /** Convenience form of {@link #predict(float[], int, float[], int, Workspace)} that allocates. */
    public float[] predict(float[] input) {
        Checks.length("input", input, inputSize());
        float[] out = new float[outputSize()];
        predict(input, 0, out, 0, newWorkspace());
        return out;
    }

    /**
     * Runs {@code batch} samples ({@code inputs[batch][inputSize]} row-major from index 0) through the
     * mini-batch kernels, writing {@code outputs[batch][outputSize]}. Allocation-free with a workspace of
     * capacity {@code >= batch}.
     */
    public void predictBatch(float[] inputs, int batch, float[] outputs, Workspace ws) {
        Objects.requireNonNull(ws, "ws");
        Checks.positive("batch", batch);
        Checks.minLength("inputs", inputs, (long) batch * inputSize());
        Checks.minLength("outputs", outputs, (long) batch * outputSize());
        ws.checkFits(layout, batch);
        if (!kernels.allFinite(inputs, 0, batch * inputSize())) {
            Checks.finite("inputs", inputs, 0, batch * inputSize()); // names the first bad value
        }
        forwardBatch(inputs, 0, batch, null, ws.activations, outputs);
    }

    /**
     * Batched forward pass. {@code zs} (pre-activations per layer) may be null; {@code acts} per layer
     * hold the activations; the last layer's activation goes to {@code output} when it is non-null.
     */
    void forwardBatch(float[] input, int inOff, int batch, float[][] zs, float[][] acts, float[] output) {
        float[] x = input;
        int xOff = inOff;
        int last = layout.layerCount() - 1;
        PackedWeights pw = packedWeights();
        for (int l = 0; l <= last; l++) {
            int out = layout.outputs(l);
            float[] dst = l == last && output != null ? output : acts[l];
            pw.forward(l, x, xOff, batch, zs == null ? null : zs[l], 0, dst, 0, activations[l], leakySlope);
            if (activations[l] == Activation.SOFTMAX) {
                for (int b = 0; b < batch; b++) {
                    ActivationMath.softmaxInPlace(dst, b * out, out);
                }
            }
            x = dst;
            xOff = 0;
        }
    }

    // ---- loss and gradients ------------------------------------------------------------------------------

    /**
     * Mean loss over {@code batch} samples and its gradient with respect to every parameter, written into
     * {@code gradients} (length {@link #parameterCount()}, overwritten; same layout as the parameters).
     * Convenience entry point that allocates its buffers; training uses {@link Trainer}.
     *
     * @param inputs  {@code [batch][inputSize]} row-major
     * @param targets {@code [batch][targetWidth]} row-major (class indices for cross-entropy)
     * @return the mean loss
     */
    public double lossAndGradient(float[] inputs, float[] targets, int batch, float[] gradients) {
        checkBatch(inputs, targets, batch);
        Checks.length("gradients", gradients, params.length);
        GradientEngine engine = new GradientEngine(this, batch, batch, new WorkerTeam(null, 0));
        double l = engine.compute(inputs, 0, targets, 0, batch);
        System.arraycopy(engine.gradients(), 0, gradients, 0, gradients.length);
        return l;
    }

    /** Mean loss over {@code batch} samples (allocates its buffers). */
    public double loss(float[] inputs, float[] targets, int batch) {
        checkBatch(inputs, targets, batch);
        Workspace ws = newWorkspace(batch);
        float[][] zs = new float[layout.layerCount()][];
        for (int l = 0; l < zs.length; l++) {
            zs[l] = new float[batch * layout.outputs(l)];
        }
        forwardBatch(inputs, 0, batch, zs, ws.activations, null);
        int last = layout.layerCount() - 1;
        int n = outputSize();
        double sum = 0;
        for (int b = 0; b < batch; b++) {
            sum += Losses.rowLoss(loss, zs[last], ws.activations[last], b * n, n, targets, b * targetWidth(), b);
        }
        return sum * Losses.meanFactor(loss, batch, n);
    }

    void checkBatch(float[] inputs, float[] targets, int batch) {
        Checks.positive("batch", batch);
        Checks.length("inputs", inputs, (long) batch * inputSize());
        Checks.length("targets", targets, (long) batch * targetWidth());
        Checks.finite("inputs", inputs, 0, inputs.length);
        Losses.checkTargets(loss, targets, 0, batch, outputSize());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Network[").append(inputSize());
        for (int l = 0; l < layout.layerCount(); l++) {
            sb.append(" -> ").append(layout.outputs(l)).append(' ').append(activations[l].id());
        }
        return sb.append(", loss ").append(loss.id()).append(", ").append(params.length).append(" parameters]")
                .toString();
    }

    // ---- builder ---------------------------------------------------------------------------------------

    /** Builds a {@link Network}; every setting is validated in {@link #build()} with a clear message. */
    public static final class Builder {
        private final int inputs;
        private final List<Integer> widths = new ArrayList<>();
        private final List<Activation> acts = new ArrayList<>();
        private Loss loss = Loss.MSE;
        private float leakySlope = 0.01f;
        private WeightInit init = WeightInit.AUTO;
        private long seed = 0x5eedL;

        private Builder(int inputs) {
            this.inputs = inputs;
        }

        /** Adds a dense layer with {@code outputs} units. */
        public Builder dense(int outputs, Activation activation) {
            widths.add(outputs);
            acts.add(Objects.requireNonNull(activation, "activation"));
            return this;
        }

        /** The training loss (default {@link Loss#MSE}). */
        public Builder loss(Loss loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /** Negative slope of leaky ReLU (default 0.01). */
        public Builder leakyReluSlope(float slope) {
            this.leakySlope = slope;
            return this;
        }

        /** Weight initialisation scheme (default {@link WeightInit#AUTO}). */
        public Builder weightInit(WeightInit init) {
            this.init = Objects.requireNonNull(init, "init");
            return this;
        }

        /** Seed of the initial weights: same seed, same weights. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Network build() {
            Checks.positive("inputs", inputs);
            if (widths.isEmpty()) {
                throw new IllegalArgumentException("layers: expected at least one dense layer, got none");
            }
            int layers = widths.size();
            int[] w = new int[layers + 1];
            w[0] = inputs;
            for (int i = 0; i < layers; i++) {
                w[i + 1] = Checks.positive("width of layer " + i, widths.get(i));
                if (acts.get(i) == Activation.SOFTMAX && i != layers - 1) {
                    throw new IllegalArgumentException("activation of layer " + i
                            + ": softmax is allowed on the output layer only (layer " + (layers - 1) + ")");
                }
            }
            if (!Float.isFinite(leakySlope) || leakySlope < 0f) {
                throw new IllegalArgumentException("leakyReluSlope: expected a finite value >= 0, got " + leakySlope);
            }
            Activation out = acts.get(layers - 1);
            checkLossMatchesOutput(loss, out);
            ParameterLayout layout = new ParameterLayout(w);
            float[] params = new float[layout.parameterCount()];
            initialise(layout, acts, init, leakySlope, seed, params);
            return new Network(layout, acts.toArray(new Activation[0]), loss, leakySlope, params,
                    KernelProvider.get());
        }

        private static void checkLossMatchesOutput(Loss loss, Activation out) {
            boolean ok;
            String expected;
            switch (loss) {
                case CROSS_ENTROPY:
                    ok = out == Activation.IDENTITY || out == Activation.SOFTMAX;
                    expected = "identity (logits) or softmax";
                    break;
                case BCE_WITH_LOGITS:
                    ok = out == Activation.IDENTITY || out == Activation.SIGMOID;
                    expected = "identity (logits) or sigmoid";
                    break;
                case BCE:
                    ok = out == Activation.SIGMOID;
                    expected = "sigmoid";
                    break;
                default:
                    ok = true;
                    expected = "";
            }
            if (!ok) {
                throw new IllegalArgumentException("loss " + loss.id() + ": expected the output layer's activation to be "
                        + expected + ", got " + out.id());
            }
        }

        private static void initialise(ParameterLayout layout, List<Activation> acts, WeightInit init, float slope,
                                       long seed, float[] params) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int l = 0; l < layout.layerCount(); l++) {
                int in = layout.inputs(l);
                int out = layout.outputs(l);
                Activation act = acts.get(l);
                boolean he = init == WeightInit.HE || (init == WeightInit.AUTO && act.reluFamily());
                double bound;
                if (he) {
                    double gain = act == Activation.LEAKY_RELU ? Math.sqrt(2.0 / (1.0 + (double) slope * slope))
                            : Math.sqrt(2.0);
                    bound = gain * Math.sqrt(3.0 / in);
                } else {
                    bound = Math.sqrt(6.0 / (in + out));
                }
                int off = layout.weightOffset(l);
                for (int i = 0; i < out * in; i++) {
                    params[off + i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                // biases stay zero
            }
        }
    }
}
