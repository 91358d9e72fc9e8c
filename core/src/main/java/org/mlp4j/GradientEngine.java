package org.mlp4j;

import org.mlp4j.internal.kernel.ActivationMath;
import org.mlp4j.internal.kernel.Kernels;
import org.mlp4j.internal.kernel.PackedWeights;

/**
 * Loss and gradients of a mini-batch through the matrix kernels, in two parallel phases per step run by a
 * {@link WorkerTeam} (the calling thread plus helpers on a ForkJoinPool).
 *
 * <pre>
 *   phase 1, one task per block of sampleBlock samples (rows are independent, so no sync between layers):
 *       forward  l = 0..L-1 : Z_l = A_{l-1} W_l^T + b_l,  A_l = act(Z_l)
 *       loss                : dZ_{L-1} and the block's loss
 *       backward l = L-1..1 : dZ_{l-1} = (dZ_l W_l) * act'(Z_{l-1})
 *   phase 2, one task per block of ROW_BLOCK weight rows of every layer (sums over the whole batch):
 *       dW_l = dZ_l^T A_{l-1},  db_l = sum over samples of dZ_l
 * </pre>
 *
 * <p>Blocks are fixed by the problem, never by the thread count, and every output element is written by
 * exactly one task with a summation order that depends only on the data: results are bit-identical for
 * any number of threads, with no per-thread gradient copies to reduce. Two phases per step keep the
 * synchronisation cost low; the sample block's activations stay in cache from forward to backward.
 * Buffers are allocated once: a steady-state {@link #compute} allocates nothing.
 */
final class GradientEngine {
    /** Default samples per phase-1 task: a multiple of the kernels' 4-sample register block. */
    static final int DEFAULT_SHARD_SIZE = 16;
    /** Weight rows per phase-2 task: a multiple of the kernels' 4-row register block. */
    static final int ROW_BLOCK = 16;
    /**
     * Below this many multiply-adds per step the whole step runs on the calling thread: forking costs
     * microseconds, more than a tiny network's step. Blocks stay the same, so results do too.
     */
    static final long INLINE_MACS = 1L << 18;

    private final Network net;
    private final Kernels kernels;
    private final ParameterLayout layout;
    private final int layers;
    private final int sampleBlock;
    private final int maxBatch;
    private final long macsPerSample;
    private final float[][] z;
    private final float[][] a;
    private final float[][] dz;
    private final int[] rowBlockStart; // first phase-2 task of each layer; [layers] = total tasks
    private final float[] gradients;
    private final PackedWeights packed; // the step's weights packed for the forward kernel
    private final double[] blockLoss;
    private final long[] blockCorrect;
    private final WorkerTeam team;
    private final WorkerTeam.Body sampleBody = this::sampleBlockTask;
    private final WorkerTeam.Body rowBody = this::rowBlockTask;

    // the step in flight, read by the tasks
    private float[] x;
    private int xOff;
    private float[] t;
    private int tOff;
    private int batch;
    private float scale;
    private int lastBlocks;

    GradientEngine(Network net, int maxBatch, int sampleBlock, WorkerTeam team) {
        this.net = net;
        this.kernels = net.kernels();
        this.layout = net.layout();
        this.layers = layout.layerCount();
        this.sampleBlock = Checks.positive("shardSize", sampleBlock);
        this.maxBatch = Checks.positive("batchSize", maxBatch);
        this.z = new float[layers][];
        this.a = new float[layers][];
        this.dz = new float[layers][];
        this.rowBlockStart = new int[layers + 1];
        long macs = 0;
        for (int l = 0; l < layers; l++) {
            int out = layout.outputs(l);
            z[l] = new float[maxBatch * out];
            a[l] = new float[maxBatch * out];
            dz[l] = new float[maxBatch * out];
            rowBlockStart[l + 1] = rowBlockStart[l] + blocks(out, ROW_BLOCK);
            macs += (long) layout.inputs(l) * out;
        }
        this.macsPerSample = 3 * macs; // forward, weight gradient, input gradient
        this.gradients = new float[layout.parameterCount()];
        this.packed = new PackedWeights(kernels, layout);
        int maxSampleBlocks = blocks(maxBatch, sampleBlock); // loss and accuracy partials, one per block
        this.blockLoss = new double[maxSampleBlocks];
        this.blockCorrect = new long[maxSampleBlocks];
        this.team = team;
    }

    private static int blocks(int n, int size) {
        return (n + size - 1) / size;
    }

    /** The gradient of the last {@link #compute} call (live array). */
    float[] gradients() {
        return gradients;
    }

    /** True when {@link #correct()} is meaningful (classification losses). */
    boolean countsCorrect() {
        Loss l = net.loss();
        return l == Loss.CROSS_ENTROPY || ((l == Loss.BCE || l == Loss.BCE_WITH_LOGITS) && net.outputSize() == 1);
    }

    /** Correctly classified samples in the last {@link #compute} call (argmax, or threshold for one output). */
    long correct() {
        long c = 0;
        for (int s = 0; s < lastBlocks; s++) {
            c += blockCorrect[s];
        }
        return c;
    }

    /**
     * Mean loss of {@code batch} samples and, in {@link #gradients()}, its gradient. Inputs and targets are
     * assumed validated.
     */
    double compute(float[] inputs, int inOff, float[] targets, int targetOff, int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch: expected 1.." + maxBatch + ", got " + batch);
        }
        this.x = inputs;
        this.xOff = inOff;
        this.t = targets;
        this.tOff = targetOff;
        this.batch = batch;
        this.scale = (float) Losses.meanFactor(net.loss(), batch, net.outputSize());
        packed.pack(net.parameterArray()); // the parameters change every step: pack cost is part of it
        int sampleBlocks = blocks(batch, sampleBlock);
        boolean inline = batch * macsPerSample < INLINE_MACS;
        team.run(sampleBody, sampleBlocks, inline);
        team.run(rowBody, rowBlockStart[layers], inline);
        double loss = 0;
        for (int s = 0; s < sampleBlocks; s++) {
            loss += blockLoss[s];
        }
        lastBlocks = sampleBlocks;
        x = null;
        t = null;
        return loss * Losses.meanFactor(net.loss(), batch, net.outputSize());
    }

    /** Phase 1 for one sample block: forward through every layer, loss, and the dZ chain back to layer 0. */
    private void sampleBlockTask(int block) {
        int s0 = block * sampleBlock;
        int n = Math.min(sampleBlock, batch - s0);
        float[] params = net.parameterArray();
        float slope = net.leakyReluSlope();
        for (int l = 0; l < layers; l++) {
            int in = layout.inputs(l);
            int out = layout.outputs(l);
            float[] prev = l == 0 ? x : a[l - 1];
            int prevOff = l == 0 ? xOff + s0 * in : s0 * in;
            Activation act = net.activation(l);
            packed.forward(l, prev, prevOff, n, z[l], s0 * out, a[l], s0 * out, act, slope);
            if (act == Activation.SOFTMAX) {
                for (int b = s0; b < s0 + n; b++) {
                    ActivationMath.softmaxInPlace(a[l], b * out, out);
                }
            }
        }
        int last = layers - 1;
        int out = layout.outputs(last);
        int tw = net.targetWidth();
        double sum = 0;
        for (int b = s0; b < s0 + n; b++) {
            sum += Losses.rowLossAndDelta(net.loss(), net.activation(last), slope, z[last], a[last], b * out, out,
                    t, tOff + b * tw, dz[last], b * out, scale, b);
        }
        blockLoss[block] = sum;
        blockCorrect[block] = countCorrect(z[last], s0, n, out, tw);
        for (int l = last; l > 0; l--) {
            int rows = layout.outputs(l);
            int cols = layout.inputs(l);
            kernels.gemmBackwardInput(dz[l], s0 * rows, n, params, layout.weightOffset(l), rows, cols, dz[l - 1],
                    s0 * cols);
            kernels.activationBackward(net.activation(l - 1), slope, dz[l - 1], z[l - 1], a[l - 1], s0 * cols,
                    n * cols);
        }
    }

    /** Phase 2 for one block of weight rows of one layer: dW and db summed over the whole batch. */
    private void rowBlockTask(int task) {
        int l = 0;
        while (task >= rowBlockStart[l + 1]) {
            l++;
        }
        int r0 = (task - rowBlockStart[l]) * ROW_BLOCK;
        int out = layout.outputs(l);
        int in = layout.inputs(l);
        int rows = Math.min(ROW_BLOCK, out - r0);
        float[] prev = l == 0 ? x : a[l - 1];
        int prevOff = l == 0 ? xOff : 0;
        kernels.gemmWeightGradient(dz[l], r0, out, batch, prev, prevOff, rows, in, gradients,
                layout.weightOffset(l) + r0 * in, layout.biasOffset(l) + r0);
    }

    private long countCorrect(float[] logits, int s0, int n, int out, int tw) {
        if (!countsCorrect()) {
            return 0;
        }
        long c = 0;
        for (int b = s0; b < s0 + n; b++) {
            float target = t[tOff + b * tw];
            if (out == 1) {
                int predicted = logits[b] > 0f ? 1 : 0; // sigmoid(z) > 0.5
                c += predicted == Math.round(target) ? 1 : 0;
            } else {
                int predicted = 0;
                for (int j = 1; j < out; j++) {
                    if (logits[b * out + j] > logits[b * out + predicted]) {
                        predicted = j;
                    }
                }
                c += predicted == (int) target ? 1 : 0;
            }
        }
        return c;
    }
}
