package org.mlp4j;

import java.util.concurrent.ForkJoinPool;
import org.mlp4j.internal.kernel.ActivationMath;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Loss and gradients of a mini-batch through the matrix kernels, layer by layer, each layer's work split
 * into tasks on a ForkJoinPool.
 *
 * <p>Partitions are fixed by the problem, never by the thread count: forward, loss and input-gradient
 * tasks take blocks of {@code sampleBlock} samples; weight-gradient tasks take blocks of
 * {@value #ROW_BLOCK} weight rows and sum over the whole batch. Every output element is written by exactly
 * one task with a summation order that depends only on the data, so results are bit-identical for any
 * number of threads, and no per-thread gradient copies or reductions are needed. Buffers are allocated
 * once: a steady-state {@link #compute} allocates nothing.
 *
 * <pre>
 *   forward  l = 0..L-1 : Z_l = A_{l-1} W_l^T + b_l, A_l = act(Z_l)      tasks: sample blocks
 *   loss                : dZ_{L-1} per sample, loss partial per block   (fused into the last forward)
 *   backward l = L-1..0 : dW_l = dZ_l^T A_{l-1}, db_l = sum dZ_l        tasks: row blocks
 *                         dZ_{l-1} = (dZ_l W_l) * act'(Z_{l-1})         tasks: sample blocks (same phase)
 * </pre>
 */
final class GradientEngine {
    /** Default samples per forward/backward task: a multiple of the kernels' 4-sample register block. */
    static final int DEFAULT_SHARD_SIZE = 16;
    /** Weight rows per weight-gradient task: a multiple of the kernels' 4-row register block. */
    static final int ROW_BLOCK = 16;
    /**
     * Below this many multiply-adds per step the whole step runs on the calling thread: forking costs
     * microseconds, more than a tiny network's step. Partitions stay the same, so results do too.
     */
    static final long INLINE_MACS = 1L << 18;

    private final Network net;
    private final Kernels kernels;
    private final ParameterLayout layout;
    private final int layers;
    private final int sampleBlock;
    private final int maxBatch;
    private final float[][] z;
    private final float[][] a;
    private final float[] deltaA;
    private final float[] deltaB;
    private final float[] gradients;
    private final double[] blockLoss;
    private final long[] blockCorrect;
    private final ParallelRunner runner;

    // the step and phase in flight, read by the tasks
    private float[] x;
    private int xOff;
    private float[] t;
    private int tOff;
    private int batch;
    private int sampleBlocks;
    private float scale;
    private int layer;
    private boolean backward;
    private float[] dz;
    private float[] dzPrev;
    private int lastBlocks;
    private boolean inline;
    private final long macsPerSample;

    GradientEngine(Network net, int maxBatch, int sampleBlock, ForkJoinPool pool) {
        this.net = net;
        this.kernels = net.kernels();
        this.layout = net.layout();
        this.layers = layout.layerCount();
        this.sampleBlock = Checks.positive("shardSize", sampleBlock);
        this.maxBatch = Checks.positive("batchSize", maxBatch);
        this.z = new float[layers][];
        this.a = new float[layers][];
        int maxWidth = 0;
        int maxRowBlocks = 0;
        for (int l = 0; l < layers; l++) {
            z[l] = new float[maxBatch * layout.outputs(l)];
            a[l] = new float[maxBatch * layout.outputs(l)];
            maxWidth = Math.max(maxWidth, layout.outputs(l));
            maxRowBlocks = Math.max(maxRowBlocks, blocks(layout.outputs(l), ROW_BLOCK));
        }
        long macs = 0;
        for (int l = 0; l < layers; l++) {
            macs += (long) layout.inputs(l) * layout.outputs(l);
        }
        this.macsPerSample = 3 * macs; // forward, weight gradient, input gradient
        this.deltaA = new float[maxBatch * maxWidth];
        this.deltaB = new float[maxBatch * maxWidth];
        this.gradients = new float[layout.parameterCount()];
        int maxSampleBlocks = blocks(maxBatch, sampleBlock);
        this.blockLoss = new double[maxSampleBlocks];
        this.blockCorrect = new long[maxSampleBlocks];
        this.runner = new ParallelRunner(pool, this::runTask, maxRowBlocks + maxSampleBlocks);
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
        this.sampleBlocks = blocks(batch, sampleBlock);
        this.scale = (float) Losses.meanFactor(net.loss(), batch, net.outputSize());
        this.inline = batch * macsPerSample < INLINE_MACS;
        backward = false;
        for (layer = 0; layer < layers; layer++) {
            runner.run(sampleBlocks, inline);
        }
        backward = true;
        dz = deltaA;
        dzPrev = deltaB;
        for (layer = layers - 1; layer >= 0; layer--) {
            int rowBlocks = blocks(layout.outputs(layer), ROW_BLOCK);
            runner.run(layer > 0 ? rowBlocks + sampleBlocks : rowBlocks, inline);
            float[] swap = dz;
            dz = dzPrev;
            dzPrev = swap;
        }
        double loss = 0;
        for (int s = 0; s < sampleBlocks; s++) {
            loss += blockLoss[s];
        }
        lastBlocks = sampleBlocks;
        x = null;
        t = null;
        return loss * Losses.meanFactor(net.loss(), batch, net.outputSize());
    }

    private void runTask(int task) {
        if (!backward) {
            forwardBlock(task);
            return;
        }
        int rowBlocks = blocks(layout.outputs(layer), ROW_BLOCK);
        if (task < rowBlocks) {
            weightGradientBlock(task);
        } else {
            inputGradientBlock(task - rowBlocks);
        }
    }

    /** Forward of layer {@link #layer} for one sample block; on the last layer also loss and output delta. */
    private void forwardBlock(int block) {
        int s0 = block * sampleBlock;
        int n = Math.min(sampleBlock, batch - s0);
        int l = layer;
        int in = layout.inputs(l);
        int out = layout.outputs(l);
        float[] prev = l == 0 ? x : a[l - 1];
        int prevOff = l == 0 ? xOff + s0 * in : s0 * in;
        Activation act = net.activation(l);
        kernels.gemmForward(prev, prevOff, n, net.parameterArray(), layout.weightOffset(l), layout.biasOffset(l), out,
                in, z[l], s0 * out, a[l], s0 * out, act, net.leakyReluSlope());
        if (act == Activation.SOFTMAX) {
            for (int b = s0; b < s0 + n; b++) {
                ActivationMath.softmaxInPlace(a[l], b * out, out);
            }
        }
        if (l == layers - 1) {
            int tw = net.targetWidth();
            double sum = 0;
            for (int b = s0; b < s0 + n; b++) {
                sum += Losses.rowLossAndDelta(net.loss(), act, net.leakyReluSlope(), z[l], a[l], b * out, out, t,
                        tOff + b * tw, deltaA, b * out, scale, b);
            }
            blockLoss[block] = sum;
            blockCorrect[block] = countCorrect(z[l], s0, n, out, tw);
        }
    }

    /** dW and db of layer {@link #layer} for one block of weight rows, summed over the whole batch. */
    private void weightGradientBlock(int block) {
        int l = layer;
        int r0 = block * ROW_BLOCK;
        int out = layout.outputs(l);
        int rows = Math.min(ROW_BLOCK, out - r0);
        int in = layout.inputs(l);
        float[] prev = l == 0 ? x : a[l - 1];
        int prevOff = l == 0 ? xOff : 0;
        kernels.gemmWeightGradient(dz, r0, out, batch, prev, prevOff, rows, in, gradients,
                layout.weightOffset(l) + r0 * in, layout.biasOffset(l) + r0);
    }

    /** dZ of layer {@link #layer}-1 for one sample block: (dZ W) times the activation derivative. */
    private void inputGradientBlock(int block) {
        int l = layer;
        int s0 = block * sampleBlock;
        int n = Math.min(sampleBlock, batch - s0);
        int out = layout.outputs(l);
        int in = layout.inputs(l);
        kernels.gemmBackwardInput(dz, s0 * out, n, net.parameterArray(), layout.weightOffset(l), out, in, dzPrev,
                s0 * in);
        kernels.activationBackward(net.activation(l - 1), net.leakyReluSlope(), dzPrev, z[l - 1], a[l - 1], s0 * in,
                n * in);
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
