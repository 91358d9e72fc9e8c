package org.mlp4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.mlp4j.internal.engine.Buffers;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.engine.GradientEngine;
import org.mlp4j.internal.engine.LossHead;
import org.mlp4j.internal.engine.Model;
import org.mlp4j.internal.engine.WorkerTeam;
import org.mlp4j.internal.kernel.KernelProvider;
import org.mlp4j.internal.kernel.Kernels;

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
 *
 * <p>Overflow: inputs and parameters are validated finite, but finite inputs can still overflow float
 * arithmetic inside the network (e.g. values near 3e38 through a ReLU layer). The promise, on both kernel
 * paths: the {@code predict} methods never return a non-finite output; an output that overflowed raises an
 * {@link ArithmeticException} naming the sample and output (nothing else is changed). An overflow that an
 * activation saturates (sigmoid or tanh of a huge value, ReLU of a hugely negative one) gives that
 * activation's limit, as in PyTorch. (An intermediate NaN, from infinities of both signs in one sum, reaches
 * the output and raises on the Vector API kernels; the scalar kernels' ReLU maps it to 0.) Training turns a non-finite loss or gradient into a
 * {@link TrainingDivergedException}; {@link Evaluator} reports such a loss as it is.
 */
public final class Network {
    private final Model model;
    private final ParameterLayout layout;
    private final float[] params;

    private Network(Model model) {
        this.model = model;
        this.layout = model.layout();
        this.params = model.parameters();
    }

    /**
     * Starts a network with {@code inputs} input features.
     *
     * @param inputs number of input features, validated positive by {@link Builder#build()}
     * @return a builder with no layers yet
     */
    public static Builder builder(int inputs) {
        return new Builder(inputs);
    }

    // ---- architecture --------------------------------------------------------------------------------

    /**
     * The flat parameter layout.
     *
     * @return the layout of {@link #parameters()}, shared (immutable)
     */
    public ParameterLayout layout() {
        return layout;
    }

    /**
     * Number of input features.
     *
     * @return the width of an input sample
     */
    public int inputSize() {
        return layout.inputs(0);
    }

    /**
     * Number of outputs of the last layer.
     *
     * @return the width of an output row
     */
    public int outputSize() {
        return layout.outputs(layout.layerCount() - 1);
    }

    /**
     * Number of dense layers.
     *
     * @return the number of dense layers, at least 1
     */
    public int layerCount() {
        return layout.layerCount();
    }

    /**
     * Activation of dense layer {@code layer}.
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return that layer's activation
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public Activation activation(int layer) {
        layout.inputs(layer); // bounds check with a clear message
        return model.activation(layer);
    }

    /**
     * The loss this network is trained with.
     *
     * @return the loss set with {@link Builder#loss}
     */
    public Loss loss() {
        return model.loss();
    }

    /**
     * Negative slope of {@link Activation#LEAKY_RELU}.
     *
     * @return the slope for negative inputs (used only by leaky ReLU layers)
     */
    public float leakyReluSlope() {
        return model.leakySlope();
    }

    /**
     * Values per target row: 1 (a class index) for cross-entropy, else {@link #outputSize()}.
     *
     * @return the number of target values per sample
     */
    public int targetWidth() {
        return model.targetWidth();
    }

    /**
     * Total number of parameters.
     *
     * @return the length of {@link #parameters()}
     */
    public int parameterCount() {
        return params.length;
    }

    /**
     * Name of the kernel implementation in use ("vector-256", "scalar", ...).
     *
     * @return the kernel implementation's name, for logs and benchmarks
     */
    public String kernelName() {
        return model.kernels().name();
    }

    /** The engine's model behind this network (same package: trainer and optimizers delegate to it). */
    Model model() {
        return model;
    }

    /** Same architecture and a copy of the parameters, computed with other kernels (tests, benchmarks). */
    Network withKernels(Kernels other) {
        return new Network(model.withKernels(other));
    }

    /**
     * An independent copy (architecture, trainable flags and parameters).
     *
     * @return a new network that shares nothing with this one
     */
    public Network copy() {
        return new Network(model.copy());
    }

    // ---- trainable parameters ----------------------------------------------------------------------------

    /**
     * Freezes or unfreezes layer {@code layer}'s weights and bias for training (PyTorch's
     * {@code requires_grad}): a {@link Trainer} or {@link Optimizer#step} leaves frozen parameters unchanged,
     * keeps no optimizer update for them, and leaves them out of gradient clipping; a trainer does not compute
     * the weight gradient of a fully frozen layer, nor the backward pass below the lowest trainable one. Gradients
     * ({@link #lossAndGradient}) still cover every parameter. All parameters are trainable by default; set
     * this between training steps, not during one.
     *
     * <pre>{@code
     * net.setTrainable(0, false, false);  // fine-tune only the layers above the first
     * }</pre>
     *
     * @param layer   layer index, {@code 0 <= layer < layerCount()}
     * @param weights whether the layer's weights are trained
     * @param bias    whether the layer's bias is trained
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public void setTrainable(int layer, boolean weights, boolean bias) {
        model.setTrainable(layer, weights, bias);
    }

    /**
     * True when layer {@code layer}'s weights are trained (see {@link #setTrainable}).
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return whether training updates that layer's weights
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public boolean weightsTrainable(int layer) {
        return model.weightsTrainable(layer);
    }

    /**
     * True when layer {@code layer}'s bias is trained (see {@link #setTrainable}).
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return whether training updates that layer's bias
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public boolean biasTrainable(int layer) {
        return model.biasTrainable(layer);
    }

    // ---- parameters ------------------------------------------------------------------------------------

    /**
     * A copy of all parameters in {@link #layout()} order.
     *
     * @return a new array of length {@link #parameterCount()}
     */
    public float[] parameters() {
        return params.clone();
    }

    /**
     * Copies all parameters into {@code dst} (length {@link #parameterCount()}).
     *
     * @param dst receives the parameters in {@link #layout()} order
     * @throws IllegalArgumentException if {@code dst} does not have length {@link #parameterCount()}
     */
    public void copyParametersTo(float[] dst) {
        Checks.length("dst", dst, params.length);
        System.arraycopy(params, 0, dst, 0, params.length);
    }

    /**
     * Replaces all parameters (validated: length and finiteness, nothing is changed on error).
     *
     * @param src the new parameters, in {@link #layout()} order
     * @throws IllegalArgumentException if {@code src} has the wrong length or a non-finite value
     */
    public void setParameters(float[] src) {
        Checks.length("parameters", src, params.length);
        Checks.finite("parameters", src, 0, src.length);
        System.arraycopy(src, 0, params, 0, params.length);
        model.parametersChanged();
    }

    /**
     * A copy of layer {@code layer}'s weights, {@code [out][in]} row-major.
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return a new array of {@code outputs(layer) * inputs(layer)} values
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public float[] weights(int layer) {
        int off = layout.weightOffset(layer);
        return Arrays.copyOfRange(params, off, off + layout.weightCount(layer));
    }

    /**
     * A copy of layer {@code layer}'s bias.
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return a new array of {@code outputs(layer)} values
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public float[] bias(int layer) {
        int off = layout.biasOffset(layer);
        return Arrays.copyOfRange(params, off, off + layout.outputs(layer));
    }

    /**
     * Sets layer {@code layer}'s weights from {@code [out][in]} row-major values (PyTorch {@code weight}).
     *
     * @param layer   layer index, {@code 0 <= layer < layerCount()}
     * @param weights {@code outputs(layer) * inputs(layer)} finite values, copied
     * @throws IllegalArgumentException  if {@code weights} has the wrong length or a non-finite value
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public void setWeights(int layer, float[] weights) {
        Checks.length("weights of layer " + layer, weights, layout.weightCount(layer));
        Checks.finite("weights of layer " + layer, weights, 0, weights.length);
        System.arraycopy(weights, 0, params, layout.weightOffset(layer), weights.length);
        model.parametersChanged();
    }

    /**
     * Sets layer {@code layer}'s bias.
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @param bias  {@code outputs(layer)} finite values, copied
     * @throws IllegalArgumentException  if {@code bias} has the wrong length or a non-finite value
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public void setBias(int layer, float[] bias) {
        Checks.length("bias of layer " + layer, bias, layout.outputs(layer));
        Checks.finite("bias of layer " + layer, bias, 0, bias.length);
        System.arraycopy(bias, 0, params, layout.biasOffset(layer), bias.length);
        model.parametersChanged();
    }

    // ---- inference -------------------------------------------------------------------------------------

    /**
     * A workspace for single-sample and batch inference (up to {@code maxBatch} rows); one per thread.
     *
     * @param maxBatch the most rows one call may pass, {@code >= 1}
     * @return a new workspace, for one thread at a time
     * @throws IllegalArgumentException if {@code maxBatch} is not positive or so large that one layer's rows
     *                                  would not fit in a Java array
     */
    public Workspace newWorkspace(int maxBatch) {
        return new Workspace(layout, maxBatch);
    }

    /**
     * A workspace for single-sample inference; one per thread.
     *
     * @return a new workspace of capacity 1, for one thread at a time
     */
    public Workspace newWorkspace() {
        return newWorkspace(1);
    }

    /**
     * Runs one sample {@code input[inOff, inOff+inputSize)} through the network, writing the outputs (after
     * the last activation) to {@code output[outOff, outOff+outputSize)}. Allocation-free.
     *
     * @param input  holds the sample's {@link #inputSize()} features, which must be finite
     * @param inOff  index of the sample's first feature in {@code input}
     * @param output receives the {@link #outputSize()} outputs
     * @param outOff index in {@code output} of the first output written
     * @param ws     a workspace of this network's layout, used by one thread at a time
     * @throws IllegalArgumentException on out-of-range offsets or non-finite inputs
     * @throws ArithmeticException      if finite inputs overflowed float arithmetic (see the class comment)
     */
    public void predict(float[] input, int inOff, float[] output, int outOff, Workspace ws) {
        Objects.requireNonNull(ws, "ws");
        Checks.range("input", input, inOff, inputSize());
        Checks.range("output", output, outOff, outputSize());
        model.checkFits(ws.buffers, 1);
        if (!model.kernels().allFinite(input, inOff, inputSize())) {
            Checks.finite("input", input, inOff, inputSize()); // names the first bad value
        }
        model.predict(input, inOff, output, outOff, ws.buffers);
        checkFiniteOutputs(output, outOff, 1, input, inOff);
    }

    /** The overflow promise (see the class comment): non-finite outputs of finite inputs are an error. */
    private void checkFiniteOutputs(float[] out, int off, int rows, float[] in, int inOff) {
        int n = outputSize();
        if (model.kernels().allFinite(out, off, rows * n)) {
            return;
        }
        for (int i = 0; i < rows * n; i++) {
            float v = out[off + i];
            if (!Float.isFinite(v)) {
                float largest = 0;
                for (int j = 0; j < inputSize(); j++) {
                    largest = Math.max(largest, Math.abs(in[inOff + (i / n) * inputSize() + j]));
                }
                throw new ArithmeticException("predict: output " + (i % n) + " of sample " + (i / n) + " is " + v
                        + ": its finite inputs (largest magnitude " + largest + ") overflowed float arithmetic "
                        + "inside the network; scale the inputs down");
            }
        }
    }

    /**
     * Convenience form of {@link #predict(float[], int, float[], int, Workspace)} that allocates.
     *
     * @param input one sample's {@link #inputSize()} finite features
     * @return a new array of the {@link #outputSize()} outputs
     * @throws IllegalArgumentException if {@code input} has the wrong length or a non-finite value
     * @throws ArithmeticException      if finite inputs overflowed float arithmetic (see the class comment)
     */
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
     *
     * @param inputs  {@code batch * inputSize()} or more finite values
     * @param batch   number of samples, {@code >= 1}
     * @param outputs receives {@code batch * outputSize()} values from index 0
     * @param ws      a workspace of capacity {@code >= batch}, used by one thread at a time
     * @throws IllegalArgumentException on a too small array or workspace, or non-finite inputs
     * @throws ArithmeticException      if finite inputs overflowed float arithmetic (see the class comment)
     */
    public void predictBatch(float[] inputs, int batch, float[] outputs, Workspace ws) {
        Objects.requireNonNull(ws, "ws");
        Checks.positive("batch", batch);
        Checks.minLength("inputs", inputs, (long) batch * inputSize());
        Checks.minLength("outputs", outputs, (long) batch * outputSize());
        model.checkFits(ws.buffers, batch);
        checkFiniteInputs(inputs, batch);
        model.forward(inputs, 0, batch, ws.buffers, 0, outputs, 0);
        checkFiniteOutputs(outputs, 0, batch, inputs, 0);
    }

    private void checkFiniteInputs(float[] inputs, int batch) {
        if (!model.kernels().allFinite(inputs, 0, batch * inputSize())) {
            Checks.finite("inputs", inputs, 0, batch * inputSize()); // names the first bad value
        }
    }

    /**
     * Runs {@code batch} samples ({@code inputs[batch][inputSize]} row-major from index 0) and writes every
     * layer's activations: {@code layerOutputs[l]} receives layer {@code l}'s {@code [batch][width(l+1)]}
     * outputs after its activation (the last one as {@link #predictBatch} writes it). For feature extraction
     * and embeddings (PyTorch: forward hooks). Allocation-free; the arrays are the caller's.
     *
     * @param inputs       {@code batch * inputSize()} or more finite values
     * @param batch        number of samples, {@code >= 1}
     * @param layerOutputs one array per layer, each of length {@code >= batch * layout().outputs(l)}
     * @throws IllegalArgumentException if an array is missing or too short, or on non-finite inputs
     */
    public void predictLayers(float[] inputs, int batch, float[][] layerOutputs) {
        Checks.positive("batch", batch);
        Checks.minLength("inputs", inputs, (long) batch * inputSize());
        Objects.requireNonNull(layerOutputs, "layerOutputs");
        if (layerOutputs.length != layerCount()) {
            throw new IllegalArgumentException("layerOutputs: expected one array per layer, " + layerCount()
                    + ", got " + layerOutputs.length);
        }
        for (int l = 0; l < layerOutputs.length; l++) {
            Checks.minLength("layerOutputs[" + l + "]", layerOutputs[l], (long) batch * layout.outputs(l));
        }
        checkFiniteInputs(inputs, batch);
        model.forward(inputs, 0, batch, null, layerOutputs, 0, null, 0);
        checkFiniteOutputs(layerOutputs[layerCount() - 1], 0, batch, inputs, 0);
    }

    /**
     * True when this network's outputs have class probabilities ({@link #toProbabilities}): trained with
     * cross-entropy or binary cross-entropy (logits, softmax or sigmoid outputs).
     *
     * @return whether {@link #toProbabilities} and {@link #predictProbabilities} may be called
     */
    public boolean hasProbabilities() {
        return LossHead.noProbabilitiesReason(loss(), activation(layerCount() - 1)) == null;
    }

    /**
     * Converts one sample's outputs, as {@link #predict} writes them ({@code outputs[off, off+outputSize)}),
     * into probabilities in {@code dst[dstOff, dstOff+outputSize)}: softmax of cross-entropy logits, sigmoid of
     * BCE logits, a copy when the output layer already is softmax or sigmoid. {@code dst} may be
     * {@code outputs}. For a network trained on logits this is PyTorch's {@code softmax(model(x))}.
     *
     * @param outputs holds the sample's {@link #outputSize()} outputs
     * @param off     index of the sample's first output in {@code outputs}
     * @param dst     receives the {@link #outputSize()} probabilities, each in [0, 1]
     * @param dstOff  index in {@code dst} of the first probability written
     * @throws IllegalStateException    if the network has no probabilities (a regression loss)
     * @throws IllegalArgumentException on out-of-range offsets
     */
    public void toProbabilities(float[] outputs, int off, float[] dst, int dstOff) {
        requireProbabilities();
        Checks.range("outputs", outputs, off, outputSize());
        Checks.range("dst", dst, dstOff, outputSize());
        LossHead.probabilities(loss(), activation(layerCount() - 1), outputs, off, outputSize(), dst, dstOff);
    }

    private void requireProbabilities() {
        String why = LossHead.noProbabilitiesReason(loss(), activation(layerCount() - 1));
        if (why != null) {
            throw new IllegalStateException("probabilities: " + why);
        }
    }

    /**
     * Class probabilities of one sample (allocates): {@link #predict(float[])} followed by
     * {@link #toProbabilities}.
     *
     * @param input one sample's {@link #inputSize()} finite features
     * @return a new array of {@link #outputSize()} probabilities, each in [0, 1] (summing to 1 for softmax)
     * @throws IllegalArgumentException if {@code input} has the wrong length or a non-finite value
     * @throws IllegalStateException if the network has no probabilities (a regression loss)
     */
    public float[] predictProbabilities(float[] input) {
        requireProbabilities();
        float[] out = predict(input);
        toProbabilities(out, 0, out, 0);
        return out;
    }

    // ---- loss and gradients ------------------------------------------------------------------------------

    /**
     * Mean loss over {@code batch} samples and its gradient with respect to every parameter (frozen ones
     * included), written into {@code gradients} (length {@link #parameterCount()}, overwritten; same layout as
     * the parameters). Convenience entry point that allocates its buffers; training uses {@link Trainer}.
     *
     * @param inputs    {@code [batch][inputSize]} row-major
     * @param targets   {@code [batch][targetWidth]} row-major (class indices for cross-entropy)
     * @param batch     number of samples, {@code >= 1}
     * @param gradients receives the gradient, overwritten
     * @return the mean loss
     */
    public double lossAndGradient(float[] inputs, float[] targets, int batch, float[] gradients) {
        checkBatch(inputs, targets, batch);
        Checks.length("gradients", gradients, params.length);
        GradientEngine engine = new GradientEngine(model, batch, batch, new WorkerTeam(null, 0));
        double l = engine.compute(inputs, 0, targets, 0, batch);
        System.arraycopy(engine.gradients(), 0, gradients, 0, gradients.length);
        return l;
    }

    /**
     * Mean loss over {@code batch} samples (allocates its buffers).
     *
     * @param inputs  {@code [batch][inputSize]} row-major, finite
     * @param targets {@code [batch][targetWidth]} row-major (class indices for cross-entropy)
     * @param batch   number of samples, {@code >= 1}
     * @return the mean loss over the batch
     * @throws IllegalArgumentException on a wrong array length, a non-finite input or a target invalid for the loss
     */
    public double loss(float[] inputs, float[] targets, int batch) {
        checkBatch(inputs, targets, batch);
        return model.loss(inputs, targets, batch);
    }

    private void checkBatch(float[] inputs, float[] targets, int batch) {
        Checks.positive("batch", batch);
        Buffers.maxRows("batch", layout, batch);
        Checks.length("inputs", inputs, (long) batch * inputSize());
        Checks.length("targets", targets, (long) batch * targetWidth());
        Checks.finite("inputs", inputs, 0, inputs.length);
        LossHead.checkTargets(loss(), targets, 0, batch, outputSize());
    }

    /** The architecture in one line, e.g. {@code Network[784 -> 256 relu -> 10 identity, loss ...]}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Network[").append(inputSize());
        for (int l = 0; l < layout.layerCount(); l++) {
            sb.append(" -> ").append(layout.outputs(l)).append(' ').append(model.activation(l).id());
        }
        return sb.append(", loss ").append(loss().id()).append(", ").append(params.length).append(" parameters]")
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

        /**
         * Adds a dense layer with {@code outputs} units.
         *
         * @param outputs    number of units, validated positive by {@link #build()}
         * @param activation the layer's activation; {@link Activation#SOFTMAX} only on the last layer
         * @return this builder
         */
        public Builder dense(int outputs, Activation activation) {
            widths.add(outputs);
            acts.add(Objects.requireNonNull(activation, "activation"));
            return this;
        }

        /**
         * The training loss (default {@link Loss#MSE}).
         *
         * @param loss the loss to minimise; it must fit the output layer (checked by {@link #build()})
         * @return this builder
         */
        public Builder loss(Loss loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /**
         * Negative slope of leaky ReLU (default 0.01).
         *
         * @param slope multiplier of negative inputs, finite and {@code >= 0} (checked by {@link #build()})
         * @return this builder
         */
        public Builder leakyReluSlope(float slope) {
            this.leakySlope = slope;
            return this;
        }

        /**
         * Weight initialisation scheme (default {@link WeightInit#AUTO}).
         *
         * @param init how the initial weights are drawn
         * @return this builder
         */
        public Builder weightInit(WeightInit init) {
            this.init = Objects.requireNonNull(init, "init");
            return this;
        }

        /**
         * Seed of the initial weights: same seed, same weights.
         *
         * @param seed seed of the initial weights, any value
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the network with freshly initialised weights (zero biases).
         *
         * @return a new network
         * @throws IllegalArgumentException naming the setting that is invalid (no layers, a width, softmax
         *                                  before the output layer, a loss that does not fit the output layer)
         * @throws IllegalStateException    if the kernels forced with {@code -Dmlp4j.kernels} cannot be used
         */
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
            return new Network(new Model(layout, acts.toArray(new Activation[0]), loss, leakySlope, params,
                    KernelProvider.get()));
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
