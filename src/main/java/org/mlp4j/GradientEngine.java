package org.mlp4j;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Loss and gradients of a mini-batch through the matrix kernels, data-parallel over shards.
 *
 * <p>The batch is cut into shards of {@code shardSize} samples (the last may be shorter); the boundaries
 * depend on the batch only, never on the thread count. Each shard runs forward, loss and backward into its
 * own gradient buffer; buffers are then summed in shard order. So the result is bit-identical for any
 * number of threads. All buffers are allocated once here: a steady-state {@link #compute} allocates nothing.
 */
final class GradientEngine {
    /** Default shard size: large enough for the matrix kernels' register blocks, small enough to spread. */
    static final int DEFAULT_SHARD_SIZE = 32;

    private final Network net;
    private final Kernels kernels;
    private final ParameterLayout layout;
    private final int shardSize;
    private final Shard[] shards;
    private final float[] gradients;
    private final ParallelRunner runner;

    // arguments of the step in flight, read by the shard tasks
    private float[] stepInputs;
    private int stepInOff;
    private float[] stepTargets;
    private int stepTOff;
    private int stepBatch;
    private float stepScale;
    private int lastShardCount;

    GradientEngine(Network net, int maxBatch, int shardSize, ForkJoinPool pool) {
        this.net = net;
        this.kernels = net.kernels();
        this.layout = net.layout();
        this.shardSize = Checks.positive("shardSize", shardSize);
        Checks.positive("batchSize", maxBatch);
        int count = (maxBatch + shardSize - 1) / shardSize;
        this.gradients = new float[layout.parameterCount()];
        this.shards = new Shard[count];
        for (int s = 0; s < count; s++) {
            shards[s] = new Shard(Math.min(shardSize, maxBatch - s * shardSize), s == 0 ? gradients : null);
        }
        this.runner = new ParallelRunner(pool, this::runShard, count);
    }

    /** True when {@link #correct()} is meaningful (classification losses). */
    boolean countsCorrect() {
        Loss l = net.loss();
        return l == Loss.CROSS_ENTROPY || ((l == Loss.BCE || l == Loss.BCE_WITH_LOGITS) && net.outputSize() == 1);
    }

    /** Correctly classified samples in the last {@link #compute} call (argmax, or threshold for one output). */
    long correct() {
        long c = 0;
        for (int s = 0; s < lastShardCount; s++) {
            c += shards[s].correct;
        }
        return c;
    }

    /** The gradient of the last {@link #compute} call (live array). */
    float[] gradients() {
        return gradients;
    }

    int maxBatch() {
        int total = 0;
        for (Shard s : shards) {
            total += s.capacity;
        }
        return total;
    }

    /**
     * Mean loss of {@code batch} samples and, in {@link #gradients()}, its gradient. Inputs and targets are
     * assumed validated.
     */
    double compute(float[] inputs, int inOff, float[] targets, int tOff, int batch) {
        int count = (batch + shardSize - 1) / shardSize;
        if (count > shards.length || batch > maxBatch()) {
            throw new IllegalArgumentException("batch: expected at most " + maxBatch() + ", got " + batch);
        }
        stepInputs = inputs;
        stepInOff = inOff;
        stepTargets = targets;
        stepTOff = tOff;
        stepBatch = batch;
        stepScale = (float) Losses.meanFactor(net.loss(), batch, net.outputSize());
        runner.run(count);
        lastShardCount = count;
        double loss = shards[0].loss;
        for (int s = 1; s < count; s++) {
            kernels.add(gradients, shards[s].gradients, 0, gradients.length);
            loss += shards[s].loss;
        }
        stepInputs = null;
        stepTargets = null;
        return loss * Losses.meanFactor(net.loss(), batch, net.outputSize());
    }

    private void runShard(int s) {
        int from = s * shardSize;
        int n = Math.min(shardSize, stepBatch - from);
        shards[s].run(stepInputs, stepInOff + from * net.inputSize(), stepTargets,
                stepTOff + from * net.targetWidth(), n, from, stepScale);
    }

    private long countCorrect(float[] logits, float[] t, int tOff, int n, int out, int tw) {
        if (!countsCorrect()) {
            return 0;
        }
        long c = 0;
        for (int b = 0; b < n; b++) {
            int predicted;
            if (out == 1) {
                predicted = logits[b] > 0f ? 1 : 0; // sigmoid(z) > 0.5
                c += predicted == Math.round(t[tOff + b * tw]) ? 1 : 0;
            } else {
                predicted = 0;
                for (int j = 1; j < out; j++) {
                    if (logits[b * out + j] > logits[b * out + predicted]) {
                        predicted = j;
                    }
                }
                c += predicted == (int) t[tOff + b * tw] ? 1 : 0;
            }
        }
        return c;
    }

    /** One shard's buffers and its forward/backward pass. */
    private final class Shard {
        final int capacity;
        final float[][] z;
        final float[][] a;
        final float[] deltaA;
        final float[] deltaB;
        final float[] gradients;
        double loss;
        long correct;

        Shard(int capacity, float[] gradients) {
            this.capacity = capacity;
            int layers = layout.layerCount();
            z = new float[layers][];
            a = new float[layers][];
            int maxWidth = 0;
            for (int l = 0; l < layers; l++) {
                z[l] = new float[capacity * layout.outputs(l)];
                a[l] = new float[capacity * layout.outputs(l)];
                maxWidth = Math.max(maxWidth, layout.outputs(l));
            }
            deltaA = new float[capacity * maxWidth];
            deltaB = new float[capacity * maxWidth];
            this.gradients = gradients != null ? gradients : new float[layout.parameterCount()];
        }

        void run(float[] x, int xOff, float[] t, int tOff, int n, int firstSample, float scale) {
            Arrays.fill(gradients, 0f);
            net.forwardBatch(x, xOff, n, z, a, null);
            int last = layout.layerCount() - 1;
            int out = layout.outputs(last);
            int tw = net.targetWidth();
            Activation lastAct = net.activation(last);
            float slope = net.leakyReluSlope();
            double sum = 0;
            for (int b = 0; b < n; b++) {
                sum += Losses.rowLossAndDelta(net.loss(), lastAct, slope, z[last], a[last], b * out, out, t,
                        tOff + b * tw, deltaA, b * out, scale, firstSample + b);
            }
            loss = sum;
            correct = countCorrect(z[last], t, tOff, n, out, tw);
            float[] params = net.parameterArray();
            float[] dz = deltaA;
            for (int l = last; l >= 0; l--) {
                float[] prev = l == 0 ? x : a[l - 1];
                int prevOff = l == 0 ? xOff : 0;
                int rows = layout.outputs(l);
                int cols = layout.inputs(l);
                kernels.gemmWeightGradient(dz, 0, n, prev, prevOff, rows, cols, gradients, layout.weightOffset(l),
                        layout.biasOffset(l));
                if (l > 0) {
                    float[] next = dz == deltaA ? deltaB : deltaA;
                    kernels.gemmBackwardInput(dz, 0, n, params, layout.weightOffset(l), rows, cols, next, 0);
                    kernels.activationBackward(net.activation(l - 1), slope, next, z[l - 1], a[l - 1], 0, n * cols);
                    dz = next;
                }
            }
        }
    }
}
