package org.mlp4j;

import java.util.Arrays;
import java.util.Objects;
import org.mlp4j.internal.engine.Buffers;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.engine.LossHead;
import org.mlp4j.internal.engine.Model;
import org.mlp4j.internal.engine.ServingWeights;
import org.mlp4j.internal.kernel.Kernels;

/**
 * A serving object for one network architecture: an immutable snapshot of the weights in the kernels' packed
 * form (float32 or bfloat16), safe to share between any number of threads, with hot-swappable weights.
 *
 * <pre>{@code
 * Predictor predictor = Predictor.of(net);              // packs a snapshot of net's weights
 * float[] logits = new float[10];
 * long version = predictor.predict(pixels, 0, logits, 0);   // any thread; allocation-free after its first call
 * predictor.publish(retrained);                         // atomic: later calls compute with the new weights
 * }</pre>
 *
 * <p><b>Threads.</b> {@code predict}, {@code predictBatch} and the other read methods need no workspace: each
 * thread's activation buffers are created on its first call (and grown once when it first asks for a larger
 * batch) and kept in a {@link ThreadLocal} of this predictor, so steady-state calls allocate nothing. That
 * scratch is reclaimed when its thread ends, or, once this predictor is unreachable, when the thread's
 * {@code ThreadLocal} map drops stale entries; {@link #releaseThreadScratch()} frees the calling thread's now,
 * and {@link #close()} frees the weights. Callers who manage buffers themselves use
 * {@link #predictBatch(float[], int, float[], Workspace)} with a {@link Network#newWorkspace(int) workspace}.
 *
 * <p><b>Hot swap.</b> {@link #publish(Network)} (and {@link #publish(float[])}, {@link #publishEvery}) packs a
 * new snapshot in the publisher's thread and then replaces the current one with one volatile write. A call
 * reads the current snapshot once, with one volatile read, and computes every layer with it: it uses exactly
 * one version, never layers of two. Readers take no lock and never wait for a publish; publishers are
 * serialised among themselves. Every read method returns (or can return) the version that served the call.
 *
 * <p><b>bfloat16.</b> With {@link Precision#BFLOAT16} the weights are stored as 16-bit bfloat16 (rounded to
 * nearest even) and widened to float in registers; biases, activations and accumulation stay float. The
 * outputs are exactly those of a float network whose weights were rounded to bfloat16.
 *
 * <p><b>Memory.</b> On JDK 22 and later a snapshot (float32 or bfloat16) also keeps a 64-byte aligned copy of
 * its packed weights outside the Java heap for single-sample calls (the same bits; memory freed by the
 * collector with the snapshot): a Java array is only 8-byte aligned, and on a core with 512-bit vectors a
 * one-sample pass over misaligned float weights took 1.6-2x as long. The system property
 * {@code mlp4j.alignedPanels=false} turns it off.
 *
 * <p>Inputs are validated finite and, as for {@link Network#predict}, an output that overflowed float
 * arithmetic is an {@link ArithmeticException}.
 */
public final class Predictor implements AutoCloseable {

    /** How the weights are stored for serving. */
    public enum Precision {
        /** 32-bit floats, the network's own values: outputs bit-identical to {@link Network#predict}. */
        FLOAT32,
        /** 16-bit bfloat16 weights (half the memory traffic), float biases and arithmetic. */
        BFLOAT16
    }

    private final ParameterLayout layout;
    private final Activation[] activations;
    private final Loss loss;
    private final float leakySlope;
    private final Kernels kernels;
    private final Precision precision;
    private final ThreadLocal<Scratch> scratch = new ThreadLocal<>();
    private final Object publishLock = new Object();
    private long lastVersion;
    private volatile ServingWeights current;

    private Predictor(Network net, Precision precision) {
        Model m = net.model();
        this.layout = m.layout();
        this.activations = new Activation[layout.layerCount()];
        for (int l = 0; l < activations.length; l++) {
            activations[l] = m.activation(l);
        }
        this.loss = m.loss();
        this.leakySlope = m.leakySlope();
        this.kernels = m.kernels();
        this.precision = precision;
        publish(m.parameters());
    }

    /**
     * A float32 predictor serving a snapshot of {@code network}'s current weights (version 1).
     *
     * @param network the network whose architecture and current weights are served
     * @return the predictor
     */
    public static Predictor of(Network network) {
        return of(network, Precision.FLOAT32);
    }

    /**
     * A predictor serving a snapshot of {@code network}'s current weights (version 1) stored in
     * {@code precision}. Later changes to the network are not seen until they are {@link #publish published}.
     *
     * @param network   the network whose architecture and current weights are served
     * @param precision how the served weights are stored (activations and sums are float either way)
     * @return the predictor
     * @throws IllegalArgumentException with {@code BFLOAT16}, if a weight is too large for bfloat16
     */
    public static Predictor of(Network network, Precision precision) {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(precision, "precision");
        return new Predictor(network, precision);
    }

    // ---- what it serves --------------------------------------------------------------------------------

    /**
     * Number of input features.
     *
     * @return the width of one input row
     */
    public int inputSize() {
        return layout.inputs(0);
    }

    /**
     * Number of outputs.
     *
     * @return the width of one output row
     */
    public int outputSize() {
        return layout.outputs(layout.layerCount() - 1);
    }

    /**
     * How the weights are stored.
     *
     * @return the precision given when the predictor was made
     */
    public Precision precision() {
        return precision;
    }

    /**
     * The version now served.
     *
     * @return 1 for the weights the predictor was made with, +1 per publish
     */
    public long version() {
        return weights().version();
    }

    // ---- publishing ----------------------------------------------------------------------------------------

    /**
     * Publishes a snapshot of {@code network}'s current weights; calls that start after this returns compute
     * with them, calls in flight finish with the version they started with. The network must have this
     * predictor's architecture (widths, activations, leaky-ReLU slope, loss), e.g. a copy, a retrained
     * network or one read with {@code ModelFiles.load}. Must not run while a training step changes
     * {@code network} (from a {@link TrainingListener}, as {@link #publishEvery} does, it does not).
     *
     * @param network a network of this predictor's architecture, whose current weights are published
     * @return the new version
     * @throws IllegalArgumentException if the architecture differs, naming the difference
     */
    public long publish(Network network) {
        Objects.requireNonNull(network, "network");
        requireSameArchitecture(network);
        return publish(network.model().parameters());
    }

    /**
     * Publishes parameters in {@link Network#layout()} order (PyTorch {@code nn.Linear} layout), validated
     * finite and of the right count; nothing changes on error. See {@link #publish(Network)}.
     *
     * @param parameters the flat parameters (weights then bias of each layer), copied
     * @return the new version
     */
    public long publish(float[] parameters) {
        Checks.length("parameters", parameters, layout.parameterCount());
        Checks.finite("parameters", parameters, 0, parameters.length);
        synchronized (publishLock) {
            if (closed()) {
                throw new IllegalStateException("publish: the predictor is closed");
            }
            // packing (the cost of a publish) runs here, in the publisher's thread; readers keep the old snapshot
            ServingWeights next = new ServingWeights(lastVersion + 1, layout, activations, leakySlope, parameters,
                    kernels, precision == Precision.BFLOAT16);
            lastVersion = next.version();
            current = next;
            return lastVersion;
        }
    }

    private boolean closed() {
        return lastVersion > 0 && current == null;
    }

    /**
     * A training listener that publishes {@code network}'s weights after every {@code steps}-th optimizer
     * step (on the training thread, between steps): online learning while this predictor serves.
     *
     * <pre>{@code
     * trainer = Trainer.builder(net, Optimizer.adam(1e-3)).listener(predictor.publishEvery(net, 100)).build();
     * }</pre>
     *
     * @param network the network being trained (this predictor's architecture)
     * @param steps   publish after every this many optimizer steps, at least 1
     * @return a listener to register with the trainer
     * @throws IllegalArgumentException if {@code steps} is not positive or the architecture differs
     */
    public TrainingListener publishEvery(Network network, int steps) {
        Objects.requireNonNull(network, "network");
        Checks.positive("steps", steps);
        requireSameArchitecture(network);
        return new TrainingListener() {
            @Override
            public boolean onBatch(BatchStats stats) {
                if (stats.iteration() % steps == 0) {
                    publish(network.model().parameters());
                }
                return true;
            }
        };
    }

    private void requireSameArchitecture(Network net) {
        Model m = net.model();
        String what = null;
        if (!Arrays.equals(m.layout().widths(), layout.widths())) {
            what = "widths " + Arrays.toString(layout.widths()) + ", got " + Arrays.toString(m.layout().widths());
        } else if (m.loss() != loss) {
            what = "loss " + loss.id() + ", got " + m.loss().id();
        } else if (Float.compare(m.leakySlope(), leakySlope) != 0) {
            what = "leaky ReLU slope " + leakySlope + ", got " + m.leakySlope();
        } else {
            for (int l = 0; l < activations.length; l++) {
                if (m.activation(l) != activations[l]) {
                    what = "activation " + activations[l].id() + " on layer " + l + ", got " + m.activation(l).id();
                    break;
                }
            }
        }
        if (what != null) {
            throw new IllegalArgumentException("network: expected this predictor's architecture, " + what);
        }
    }

    // ---- inference -------------------------------------------------------------------------------------

    /**
     * Runs one sample {@code input[inOff, inOff+inputSize)} and writes the outputs (after the last activation)
     * to {@code output[outOff, outOff+outputSize)}. Thread-safe, allocation-free after the thread's first call.
     *
     * @param input  holds the sample's features
     * @param inOff  index of the first feature in {@code input}
     * @param output receives the outputs
     * @param outOff index of the first output in {@code output}
     * @return the version of the weights that computed this call
     * @throws IllegalArgumentException on out-of-range offsets or non-finite inputs
     * @throws ArithmeticException      if finite inputs overflowed float arithmetic
     * @throws IllegalStateException    if the predictor is closed
     */
    public long predict(float[] input, int inOff, float[] output, int outOff) {
        Checks.range("input", input, inOff, inputSize());
        Checks.range("output", output, outOff, outputSize());
        checkFiniteInputs("input", input, inOff, 1);
        ServingWeights w = weights();
        w.forward(input, inOff, 1, scratch(1).a, output, outOff);
        checkFiniteOutputs(output, outOff, 1, input, inOff);
        return w.version();
    }

    /**
     * Runs {@code batch} samples ({@code inputs[batch][inputSize]} row-major from index 0) and writes
     * {@code outputs[batch][outputSize]}. Thread-safe; allocation-free once the thread has run a batch at
     * least this large.
     *
     * @param inputs  {@code batch} rows of features, row-major from index 0
     * @param batch   number of samples, at least 1
     * @param outputs receives {@code batch} rows of outputs, row-major from index 0
     * @return the version of the weights that computed the whole batch
     * @throws IllegalArgumentException on a too small array, a non-positive batch or non-finite inputs
     * @throws ArithmeticException      if finite inputs overflowed float arithmetic
     */
    public long predictBatch(float[] inputs, int batch, float[] outputs) {
        checkBatch(inputs, batch, outputs);
        ServingWeights w = weights();
        w.forward(inputs, 0, batch, scratch(batch).a, outputs, 0);
        checkFiniteOutputs(outputs, 0, batch, inputs, 0);
        return w.version();
    }

    /**
     * {@link #predictBatch(float[], int, float[])} with caller-managed buffers: a workspace made by
     * {@link Network#newWorkspace(int)} for this architecture, of capacity {@code >= batch}, used by one thread
     * at a time.
     *
     * @param inputs  {@code batch} rows of features, row-major from index 0
     * @param batch   number of samples, at least 1 and at most the workspace's capacity
     * @param outputs receives {@code batch} rows of outputs, row-major from index 0
     * @param ws      the caller's workspace for this architecture
     * @return the version of the weights that computed the batch
     */
    public long predictBatch(float[] inputs, int batch, float[] outputs, Workspace ws) {
        Objects.requireNonNull(ws, "ws");
        checkBatch(inputs, batch, outputs);
        Buffers buffers = ws.buffers;
        if (!Arrays.equals(buffers.widths(), layout.widths())) {
            throw new IllegalArgumentException("ws: expected a workspace made by this architecture "
                    + Arrays.toString(layout.widths()) + ", got one for " + Arrays.toString(buffers.widths()));
        }
        if (batch > buffers.capacity()) {
            throw new IllegalArgumentException("batch: expected at most the workspace capacity "
                    + buffers.capacity() + ", got " + batch);
        }
        ServingWeights w = weights();
        w.forward(inputs, 0, batch, buffers, outputs, 0);
        checkFiniteOutputs(outputs, 0, batch, inputs, 0);
        return w.version();
    }

    /**
     * The most likely class of one sample: the index of the largest output (the first of equal ones).
     * Thread-safe and allocation-free after the thread's first call.
     *
     * @param input holds the sample's features
     * @param inOff index of the first feature in {@code input}
     * @return the predicted class index, from 0
     */
    public int predictClass(float[] input, int inOff) {
        Checks.range("input", input, inOff, inputSize());
        checkFiniteInputs("input", input, inOff, 1);
        Scratch s = scratch(1);
        weights().forward(input, inOff, 1, s.a, s.out, 0);
        checkFiniteOutputs(s.out, 0, 1, input, inOff);
        return argmax(s.out, 0, outputSize());
    }

    /**
     * Class probabilities of one sample into {@code dst[dstOff, dstOff+outputSize)}: {@link #predict} then
     * {@link #toProbabilities}.
     *
     * @param input  holds the sample's features
     * @param inOff  index of the first feature in {@code input}
     * @param dst    receives the probabilities
     * @param dstOff index of the first probability in {@code dst}
     * @return the version that computed the call
     * @throws IllegalStateException if the network has no probabilities (a regression loss)
     */
    public long predictProbabilities(float[] input, int inOff, float[] dst, int dstOff) {
        requireProbabilities();
        long v = predict(input, inOff, dst, dstOff);
        LossHead.probabilities(loss, activations[activations.length - 1], dst, dstOff, outputSize(), dst, dstOff);
        return v;
    }

    /**
     * True when the outputs have class probabilities: trained with cross-entropy or binary cross-entropy
     * (see {@link Network#hasProbabilities()}).
     *
     * @return whether {@link #toProbabilities} and {@link #predictProbabilities} may be used
     */
    public boolean hasProbabilities() {
        return LossHead.noProbabilitiesReason(loss, activations[activations.length - 1]) == null;
    }

    /**
     * Converts one sample's outputs {@code outputs[off, off+outputSize)} to probabilities in
     * {@code dst[dstOff, ...)} (softmax of cross-entropy logits, sigmoid of BCE logits, a copy of softmax or
     * sigmoid outputs); {@code dst} may be {@code outputs}. See {@link Network#toProbabilities}.
     *
     * @param outputs holds one sample's outputs as {@link #predict} writes them
     * @param off     index of the first output in {@code outputs}
     * @param dst     receives the probabilities
     * @param dstOff  index of the first probability in {@code dst}
     * @throws IllegalStateException if the network has no probabilities
     */
    public void toProbabilities(float[] outputs, int off, float[] dst, int dstOff) {
        requireProbabilities();
        Checks.range("outputs", outputs, off, outputSize());
        Checks.range("dst", dst, dstOff, outputSize());
        LossHead.probabilities(loss, activations[activations.length - 1], outputs, off, outputSize(), dst, dstOff);
    }

    private void requireProbabilities() {
        String why = LossHead.noProbabilitiesReason(loss, activations[activations.length - 1]);
        if (why != null) {
            throw new IllegalStateException("probabilities: " + why);
        }
    }

    /**
     * The index (from 0, relative to {@code off}) of the largest of {@code values[off, off+len)}, the first
     * of equal ones; NaN is never the largest unless all are NaN (then 0).
     *
     * @param values holds the scores
     * @param off    index of the first score
     * @param len    number of scores, at least 1
     * @return the index of the largest score, relative to {@code off}
     * @throws IllegalArgumentException on a non-positive {@code len} or an out-of-range slice
     */
    public static int argmax(float[] values, int off, int len) {
        Checks.positive("len", len);
        Checks.range("values", values, off, len);
        int best = 0;
        for (int i = 1; i < len; i++) {
            if (ranksAbove(values[off + i], values[off + best])) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Writes the indices (relative to {@code off}) of the {@code k} largest of {@code values[off, off+len)}
     * into {@code indices[idxOff, idxOff+k)}, largest first, equal values in index order; NaN ranks below
     * every number. Allocation-free: {@code O(len * k)}, meant for small k.
     *
     * @param values  holds the scores
     * @param off     index of the first score
     * @param len     number of scores
     * @param k       how many indices to write, from 1 to {@code len}
     * @param indices receives the indices, largest score first
     * @param idxOff  index in {@code indices} of the first one written
     * @throws IllegalArgumentException if {@code k} is not in {@code [1, len]} or a slice is out of range
     */
    public static void topK(float[] values, int off, int len, int k, int[] indices, int idxOff) {
        Checks.positive("len", len);
        Checks.range("values", values, off, len);
        if (k < 1 || k > len) {
            throw new IllegalArgumentException("k: expected a value in [1, " + len + "], got " + k);
        }
        Objects.requireNonNull(indices, "indices");
        if (idxOff < 0 || idxOff > indices.length - k) {
            throw new IllegalArgumentException("indices: expected room for " + k + " values from offset " + idxOff
                    + ", got an array of length " + indices.length);
        }
        int n = 0;
        for (int i = 0; i < len; i++) {
            float v = values[off + i];
            int pos = n;
            while (pos > 0 && ranksAbove(v, values[off + indices[idxOff + pos - 1]])) {
                pos--;
            }
            if (pos >= k) {
                continue;
            }
            int last = Math.min(n, k - 1);
            System.arraycopy(indices, idxOff + pos, indices, idxOff + pos + 1, last - pos);
            indices[idxOff + pos] = i;
            n = Math.min(n + 1, k);
        }
    }

    /** True when {@code v} (seen later) ranks strictly above {@code u}: larger, or a number against NaN. */
    private static boolean ranksAbove(float v, float u) {
        return v > u || Float.isNaN(u) && !Float.isNaN(v);
    }

    // ---- scratch and lifecycle ------------------------------------------------------------------------------

    /** Frees the calling thread's scratch buffers (recreated by its next call). */
    public void releaseThreadScratch() {
        scratch.remove();
    }

    /**
     * Drops the weights and the calling thread's scratch; later calls and publishes throw
     * {@link IllegalStateException}. Calls in flight finish with the snapshot they read. Other threads' scratch
     * is freed as described in the class comment. Idempotent.
     */
    @Override
    public void close() {
        synchronized (publishLock) {
            current = null;
        }
        scratch.remove();
    }

    private ServingWeights weights() {
        ServingWeights w = current; // the one volatile read of a call
        if (w == null) {
            throw new IllegalStateException("predict: the predictor is closed");
        }
        return w;
    }

    private Scratch scratch(int rows) {
        Scratch s = scratch.get();
        if (s == null || s.capacity < rows) {
            Buffers.maxRows("batch", layout, rows);
            s = new Scratch(layout, s == null ? rows : Math.max(rows, s.capacity));
            scratch.set(s);
        }
        return s;
    }

    /** One thread's activation buffers (hidden layers) and a row of outputs for {@link #predictClass}. */
    private static final class Scratch {
        final int capacity;
        final float[][] a;
        final float[] out;

        Scratch(ParameterLayout layout, int capacity) {
            this.capacity = capacity;
            this.a = new float[layout.layerCount()][];
            for (int l = 0; l < layout.layerCount() - 1; l++) {
                a[l] = new float[capacity * layout.outputs(l)];
            }
            this.out = new float[layout.outputs(layout.layerCount() - 1)];
        }
    }

    // ---- validation ---------------------------------------------------------------------------------------

    private void checkBatch(float[] inputs, int batch, float[] outputs) {
        Checks.positive("batch", batch);
        Checks.minLength("inputs", inputs, (long) batch * inputSize());
        Checks.minLength("outputs", outputs, (long) batch * outputSize());
        checkFiniteInputs("inputs", inputs, 0, batch);
    }

    private void checkFiniteInputs(String name, float[] in, int off, int rows) {
        if (!kernels.allFinite(in, off, rows * inputSize())) {
            Checks.finite(name, in, off, rows * inputSize()); // names the first bad value
        }
    }

    private void checkFiniteOutputs(float[] out, int off, int rows, float[] in, int inOff) {
        int n = outputSize();
        if (kernels.allFinite(out, off, rows * n)) {
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
     * The architecture, precision and version, e.g.
     * {@code Predictor[784 -> 256 relu -> 10 identity, bfloat16, version 3]}.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Predictor[").append(inputSize());
        for (int l = 0; l < activations.length; l++) {
            sb.append(" -> ").append(layout.outputs(l)).append(' ').append(activations[l].id());
        }
        ServingWeights w = current;
        return sb.append(", ").append(precision.name().toLowerCase(java.util.Locale.ROOT))
                .append(w == null ? ", closed]" : ", version " + w.version() + "]").toString();
    }
}
