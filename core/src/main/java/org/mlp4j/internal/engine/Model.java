package org.mlp4j.internal.engine;

import java.util.Arrays;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.ParameterLayout;
import org.mlp4j.internal.kernel.ActivationMath;
import org.mlp4j.internal.kernel.Kernels;
import org.mlp4j.internal.kernel.PackedWeights;

/**
 * One network as the engine sees it: the flat parameters and their layout, the activations, the loss, the
 * kernels, a version counter of parameter changes, which parameters are trainable, and the one forward loop
 * over the layers (softmax included). {@code org.mlp4j.Network} validates arguments and delegates here.
 *
 * <p>Every forward pass (single sample, batch, training) reads the weights packed for the broadcast-form
 * GEMM ({@link PackedWeights}). The packed copy is rebuilt lazily after any parameter change:
 * {@link #version} counts changes, {@link #packedVersion} the copy's state. A training step repacks the rows
 * it updates inside its update tasks and then declares the copy current ({@link #markPacked}); any other
 * change is packed by the next forward pass ({@link #ensurePacked()}). Thread safety: while no training step or parameter write runs, any number of threads may run
 * the inference forms concurrently, each with its own buffers.
 */
public final class Model {
    private final ParameterLayout layout;
    private final Activation[] activations;
    private final Loss loss;
    private final float leakySlope;
    private final float[] params;
    private final Kernels kernels;
    private final PackedWeights packed;
    private final WorkerTeam.Body packBody;
    private final boolean[] frozenWeights;
    private final boolean[] frozenBias;
    private int[] trainableSegments;
    private int trainableVersion;
    private volatile int version;
    private volatile int packedVersion = -1;
    // the packed weights' aligned copy for one-sample calls (written under the lock before alignedVersion)
    private Object aligned;
    private volatile int alignedVersion = -1;

    /**
     * A model over {@code params} (kept, not copied), which must have {@code layout.parameterCount()} values.
     * Every parameter starts trainable.
     */
    public Model(ParameterLayout layout, Activation[] activations, Loss loss, float leakySlope, float[] params,
                 Kernels kernels) {
        if (activations.length != layout.layerCount() || params.length != layout.parameterCount()) {
            throw new IllegalArgumentException("model: expected " + layout.layerCount() + " activations and "
                    + layout.parameterCount() + " parameters, got " + activations.length + " and " + params.length);
        }
        this.layout = layout;
        this.activations = activations.clone();
        this.loss = loss;
        this.leakySlope = leakySlope;
        this.params = params;
        this.kernels = kernels;
        this.packed = new PackedWeights(kernels, layout);
        this.packBody = task -> packed.packTask(task, params);
        this.frozenWeights = new boolean[layout.layerCount()];
        this.frozenBias = new boolean[layout.layerCount()];
        this.trainableSegments = new int[] {0, params.length};
    }

    /** Same architecture, trainable flags and a copy of the parameters, computed with {@code other} kernels. */
    public Model withKernels(Kernels other) {
        Model m = new Model(layout, activations, loss, leakySlope, params.clone(), other);
        for (int l = 0; l < layout.layerCount(); l++) {
            m.setTrainable(l, !frozenWeights[l], !frozenBias[l]);
        }
        return m;
    }

    /** An independent copy: architecture, trainable flags and parameters. */
    public Model copy() {
        return withKernels(kernels);
    }

    // ---- what the model is ---------------------------------------------------------------------------

    /** The flat parameter layout. */
    public ParameterLayout layout() {
        return layout;
    }

    /** Activation of layer {@code l}. */
    public Activation activation(int l) {
        return activations[l];
    }

    /** The training loss. */
    public Loss loss() {
        return loss;
    }

    /** Negative slope of leaky ReLU. */
    public float leakySlope() {
        return leakySlope;
    }

    /** The live parameter array; writers call {@link #parametersChanged()}. */
    public float[] parameters() {
        return params;
    }

    /** The kernels every loop of this model calls. */
    public Kernels kernels() {
        return kernels;
    }

    /** Input features. */
    public int inputSize() {
        return layout.inputs(0);
    }

    /** Outputs of the last layer. */
    public int outputSize() {
        return layout.outputs(layout.layerCount() - 1);
    }

    /** Values per target row: 1 (a class index) for cross-entropy, else {@link #outputSize()}. */
    public int targetWidth() {
        return loss == Loss.CROSS_ENTROPY ? 1 : outputSize();
    }

    /** True when this model classifies (see {@link LossHead#isClassifier}). */
    public boolean isClassifier() {
        return LossHead.isClassifier(loss, outputSize());
    }

    /**
     * Records that the parameters changed (every writer of {@link #parameters()} calls this), so that
     * inference copies derived from them are rebuilt. Writers never run concurrently with inference.
     */
    public void parametersChanged() {
        version++;
    }

    /** Number of parameter changes so far. */
    public int version() {
        return version;
    }

    // ---- trainable parameters (requires_grad) ---------------------------------------------------------

    /**
     * Marks layer {@code l}'s weights and bias as trainable or frozen. Frozen parameters keep their values
     * through training: the optimizer neither updates them nor keeps state for them, and they do not count
     * toward gradient clipping (PyTorch's {@code requires_grad = False}).
     */
    public void setTrainable(int l, boolean weights, boolean bias) {
        layout.inputs(l); // bounds check with a clear message
        frozenWeights[l] = !weights;
        frozenBias[l] = !bias;
        int[] seg = new int[4 * layout.layerCount()];
        int n = 0;
        for (int i = 0; i < layout.layerCount(); i++) {
            n = addSegment(seg, n, !frozenWeights[i], layout.weightOffset(i), layout.weightCount(i));
            n = addSegment(seg, n, !frozenBias[i], layout.biasOffset(i), layout.outputs(i));
        }
        trainableSegments = Arrays.copyOf(seg, n);
        trainableVersion++;
    }

    private static int addSegment(int[] seg, int n, boolean trainable, int from, int count) {
        if (!trainable) {
            return n;
        }
        if (n > 0 && seg[n - 1] == from) { // adjacent to the previous trainable range: merge
            seg[n - 1] = from + count;
            return n;
        }
        seg[n] = from;
        seg[n + 1] = from + count;
        return n + 2;
    }

    /** True when layer {@code l}'s weights are trainable. */
    public boolean weightsTrainable(int l) {
        layout.inputs(l);
        return !frozenWeights[l];
    }

    /** True when layer {@code l}'s bias is trainable. */
    public boolean biasTrainable(int l) {
        layout.inputs(l);
        return !frozenBias[l];
    }

    /**
     * The trainable parameters as ascending, disjoint {@code [from, to)} pairs (live array, replaced when the
     * flags change; {@link #trainableVersion()} counts changes). All parameters by default: {@code {0, n}}.
     */
    public int[] trainableSegments() {
        return trainableSegments;
    }

    /** Number of trainable-flag changes so far. */
    public int trainableVersion() {
        return trainableVersion;
    }

    // ---- the forward loop -------------------------------------------------------------------------------

    /**
     * One sample through every layer: the hidden activations go to {@code buffers}, the last layer's to
     * {@code out[outOff, outOff+outputSize)}.
     */
    public void predict(float[] x, int xOff, float[] out, int outOff, Buffers buffers) {
        forward(x, xOff, 1, null, buffers.a, 0, out, outOff);
    }

    /**
     * The aligned copy of the packed weights for one-sample calls ({@link PackedWeights#alignedCopy}), brought up
     * to the current parameters first; null where the kernels have none. Rewritten in place after a change:
     * nothing reads it then, since no forward pass runs while the parameters change.
     */
    private Object alignedPacked() {
        if (alignedVersion != version) {
            refreshAligned();
        }
        return aligned;
    }

    private synchronized void refreshAligned() {
        int v = version;
        if (alignedVersion == v) {
            return;
        }
        PackedWeights pw = ensurePacked();
        aligned = pw.alignedCopy(aligned);
        alignedVersion = v; // volatile: publishes the copy
    }

    /**
     * {@code rows} samples from {@code x[xOff]} through every layer with the packed forward GEMM. Layer
     * {@code l} writes rows {@code [row0, row0+rows)} of {@code a[l]} (and of {@code z[l]}, the
     * pre-activations, when {@code z} is non-null: training and evaluation); the last layer writes to
     * {@code out} from {@code outOff} instead when {@code out} is non-null.
     */
    public void forward(float[] x, int xOff, int rows, float[][] z, float[][] a, int row0, float[] out, int outOff) {
        PackedWeights pw = ensurePacked();
        boolean one = rows == 1 && z == null; // a single sample without pre-activations: the aligned copy
        Object al = one ? alignedPacked() : null;
        int last = layout.layerCount() - 1;
        for (int l = 0; l <= last; l++) {
            int o = layout.outputs(l);
            boolean toOut = l == last && out != null;
            float[] dst = toOut ? out : a[l];
            int dOff = toOut ? outOff : row0 * o;
            Activation act = activations[l];
            if (one) {
                pw.forwardOne(l, x, xOff, al, dst, dOff, act, leakySlope);
            } else {
                pw.forward(l, x, xOff, rows, z == null ? null : z[l], row0 * o, dst, dOff, act, leakySlope);
            }
            if (act == Activation.SOFTMAX) {
                for (int b = 0; b < rows; b++) {
                    ActivationMath.softmaxInPlace(dst, dOff + b * o, o);
                }
            }
            x = dst;
            xOff = dOff;
        }
    }

    /** {@link #forward(float[], int, int, float[][], float[][], int, float[], int)} into {@code buffers}. */
    public void forward(float[] x, int xOff, int rows, Buffers buffers, int row0, float[] out, int outOff) {
        forward(x, xOff, rows, buffers.z, buffers.a, row0, out, outOff);
    }

    /** Throws unless {@code buffers} were made for this architecture and hold {@code rows} samples. */
    public void checkFits(Buffers buffers, int rows) {
        if (!buffers.matches(layout)) {
            throw new IllegalArgumentException("ws: expected a workspace made by this network's architecture "
                    + Arrays.toString(layout.widths()) + ", got one for " + Arrays.toString(buffers.widths()));
        }
        if (rows > buffers.capacity()) {
            throw new IllegalArgumentException("batch: expected at most the workspace capacity "
                    + buffers.capacity() + ", got " + rows);
        }
    }

    /**
     * The packed weights of the current parameters, packed first if they changed since the last pack (a
     * training step calls the parallel form once before its phases, so a pack never runs inside a task).
     */
    public PackedWeights ensurePacked() {
        if (packedVersion != version) {
            repack();
        }
        return packed;
    }

    /**
     * {@link #ensurePacked()} with the packing shared by {@code team} (a training step's threads), whole
     * panels per task; the packed copy is the same bits either way.
     */
    public void ensurePacked(WorkerTeam team, boolean inline) {
        if (packedVersion != version) {
            synchronized (this) {
                int v = version;
                if (packedVersion != v) {
                    team.run(packBody, packed.packTasks(), inline, packed.packTaskParamOffsets());
                    packedVersion = v;
                }
            }
        }
    }

    /** The packed copy itself, for a training step that repacks the rows it updates ({@link #markPacked}). */
    public PackedWeights packedWeights() {
        return packed;
    }

    /**
     * Declares the packed copy current for parameter version {@code v}: a training step that packed every row
     * it changed (the others were packed at the step's start) calls this right after
     * {@link #parametersChanged()}. No effect unless {@code v} is the current version.
     */
    public synchronized void markPacked(int v) {
        if (version == v) {
            packedVersion = v;
        }
    }

    private synchronized void repack() {
        int v = version;
        if (packedVersion == v) {
            return;
        }
        packed.pack(params);
        packedVersion = v;
    }

    // ---- loss -----------------------------------------------------------------------------------------------

    /**
     * {@code sum} plus the unscaled per-sample losses of rows {@code [0, rows)} whose forward pass is in
     * {@code buffers} (pre-activations and activations of the last layer), added one by one in row order;
     * {@code firstSample} numbers them in messages.
     */
    public double lossSum(double sum, Buffers buffers, int rows, float[] targets, int tOff, int firstSample) {
        int last = layout.layerCount() - 1;
        int n = outputSize();
        int tw = targetWidth();
        for (int b = 0; b < rows; b++) {
            sum += LossHead.rowLoss(loss, buffers.z[last], buffers.a[last], b * n, n, targets, tOff + b * tw,
                    firstSample + b);
        }
        return sum;
    }

    /** Mean loss of {@code batch} samples (allocates its buffers). Inputs and targets are assumed valid. */
    public double loss(float[] inputs, float[] targets, int batch) {
        Buffers b = new Buffers(layout, batch, Buffers.Use.EVALUATION);
        forward(inputs, 0, batch, b, 0, null, 0);
        return lossSum(0, b, batch, targets, 0, 0) * LossHead.meanFactor(loss, batch, outputSize());
    }
}
