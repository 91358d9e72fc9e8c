package org.mlp4j.internal.engine;

import org.mlp4j.Activation;
import org.mlp4j.ParameterLayout;
import org.mlp4j.internal.kernel.Kernels;

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
 * Buffers grow to the largest batch seen, never beyond (a batch size larger than the data costs nothing): a
 * steady-state {@link #compute} allocates nothing.
 */
public final class GradientEngine {
    /** Default samples per phase-1 task: a multiple of the kernels' 4-sample register block. */
    public static final int DEFAULT_SHARD_SIZE = 16;
    /** Weight rows per phase-2 task: a multiple of the kernels' 4-row register block. */
    static final int ROW_BLOCK = 16;
    /**
     * Below this many multiply-adds per step the whole step runs on the calling thread: forking costs
     * microseconds, more than a tiny network's step. Blocks stay the same, so results do too.
     */
    static final long INLINE_MACS = 1L << 18;

    private final Model model;
    private final Kernels kernels;
    private final ParameterLayout layout;
    private final int layers;
    private final int sampleBlock;
    private final long macsPerSample;
    private final int[] rowBlockStart; // first phase-2 task of each layer; [layers] = total tasks
    private final boolean skipFrozen;
    // phase-2 tasks of the layers with trainable parameters, and the lowest such layer (when skipFrozen)
    private final int[] activeLayer;
    private final int[] activeStart;
    // phase 2's sums of squares of the trainable gradient it wrote, per task (the step's norm, in task order)
    private final double[] taskSquares;
    // where each active phase-2 task's weight rows start in the parameters, then the end of the last task's
    private final int[] rowTaskOffset;
    private int activeCount;
    private int lowestActive;
    private int frozenVersion = -1;
    private final float[] gradients;
    private Buffers buffers;
    private int maxBatch;
    private double[] blockLoss;
    private long[] blockCorrect;
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

    /**
     * An engine for {@code model} with buffers for {@code initialBatch} samples (they grow on demand),
     * {@code sampleBlock} samples per phase-1 task, run by {@code team}.
     */
    public GradientEngine(Model model, int initialBatch, int sampleBlock, WorkerTeam team) {
        this(model, initialBatch, sampleBlock, team, false);
    }

    /**
     * As {@link #GradientEngine(Model, int, int, WorkerTeam)}; with {@code skipFrozen} the gradient of layers
     * whose weights and bias are both frozen is not computed (left stale), nor the backward pass below the
     * lowest layer with trainable parameters: the training step reads only trainable ranges.
     */
    public GradientEngine(Model model, int initialBatch, int sampleBlock, WorkerTeam team, boolean skipFrozen) {
        this.model = model;
        this.kernels = model.kernels();
        this.layout = model.layout();
        this.layers = layout.layerCount();
        this.sampleBlock = Checks.positive("shardSize", sampleBlock);
        this.rowBlockStart = new int[layers + 1];
        long macs = 0;
        for (int l = 0; l < layers; l++) {
            int out = layout.outputs(l);
            rowBlockStart[l + 1] = rowBlockStart[l] + blocks(out, ROW_BLOCK);
            macs += (long) layout.inputs(l) * out;
        }
        this.macsPerSample = 3 * macs; // forward, weight gradient, input gradient
        this.gradients = new float[layout.parameterCount()];
        this.team = team;
        this.skipFrozen = skipFrozen;
        this.activeLayer = new int[layers];
        this.activeStart = new int[layers + 1];
        this.rowTaskOffset = new int[rowBlockStart[layers] + 1];
        this.taskSquares = new double[rowBlockStart[layers]];
        refreshActiveLayers();
        ensureCapacity(Checks.positive("batchSize", initialBatch));
    }

    /** Which layers' gradients to compute: all, or (skipFrozen) those with a trainable parameter. */
    private void refreshActiveLayers() {
        int n = 0;
        lowestActive = layers;
        for (int l = 0; l < layers; l++) {
            if (!skipFrozen || model.weightsTrainable(l) || model.biasTrainable(l)) {
                activeLayer[n] = l;
                activeStart[n + 1] = activeStart[n] + (rowBlockStart[l + 1] - rowBlockStart[l]);
                lowestActive = Math.min(lowestActive, l);
                n++;
            }
        }
        activeCount = n;
        for (int i = 0, task = 0; i < n; i++) {
            int l = activeLayer[i];
            int in = layout.inputs(l);
            for (int r0 = 0; r0 < layout.outputs(l); r0 += ROW_BLOCK, task++) {
                rowTaskOffset[task] = layout.weightOffset(l) + r0 * in;
                rowTaskOffset[task + 1] = layout.weightOffset(l) + layout.outputs(l) * in;
            }
        }
        frozenVersion = model.trainableVersion();
    }

    /** Grows the buffers to hold {@code rows} samples (no-op when they already do). */
    public void ensureCapacity(int rows) {
        if (buffers != null && rows <= maxBatch) {
            return;
        }
        buffers = new Buffers(layout, Buffers.maxRows("batchSize", layout, rows), Buffers.Use.TRAINING);
        maxBatch = rows;
        int maxSampleBlocks = blocks(rows, sampleBlock); // loss and accuracy partials, one per block
        blockLoss = new double[maxSampleBlocks];
        blockCorrect = new long[maxSampleBlocks];
    }

    /** Samples the buffers hold now. */
    public int capacity() {
        return maxBatch;
    }

    private static int blocks(int n, int size) {
        return n / size + (n % size == 0 ? 0 : 1);
    }

    /** The gradient of the last {@link #compute} call (live array). */
    public float[] gradients() {
        return gradients;
    }

    /** True when {@link #correct()} is meaningful (classification losses). */
    public boolean countsCorrect() {
        return model.isClassifier();
    }

    /** Correctly classified samples in the last {@link #compute} call (argmax, or threshold for one output). */
    public long correct() {
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
    public double compute(float[] inputs, int inOff, float[] targets, int targetOff, int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch: expected 1.." + maxBatch + ", got " + batch);
        }
        this.x = inputs;
        this.xOff = inOff;
        this.t = targets;
        this.tOff = targetOff;
        this.batch = batch;
        this.scale = (float) LossHead.meanFactor(model.loss(), batch, model.outputSize());
        int sampleBlocks = blocks(batch, sampleBlock);
        boolean inline = batch * macsPerSample < INLINE_MACS;
        // the parameters changed since the last step: the pack is part of this step's cost, shared by its threads
        model.ensurePacked(team, inline);
        if (skipFrozen && frozenVersion != model.trainableVersion()) {
            refreshActiveLayers();
        }
        team.run(sampleBody, sampleBlocks, inline);
        // by parameter offset: the thread that writes a part of the gradient is the one that updates that part
        team.run(rowBody, activeStart[activeCount], inline, rowTaskOffset);
        double loss = 0;
        for (int s = 0; s < sampleBlocks; s++) {
            loss += blockLoss[s];
        }
        lastBlocks = sampleBlocks;
        x = null;
        t = null;
        return loss * LossHead.meanFactor(model.loss(), batch, model.outputSize());
    }

    /** Phase 1 for one sample block: forward through every layer, loss, and the dZ chain back to layer 0. */
    private void sampleBlockTask(int block) {
        int s0 = block * sampleBlock;
        int n = Math.min(sampleBlock, batch - s0);
        float[] params = model.parameters();
        float slope = model.leakySlope();
        float[][] z = buffers.z;
        float[][] a = buffers.a;
        float[][] dz = buffers.dz;
        model.forward(x, xOff + s0 * layout.inputs(0), n, buffers, s0, null, 0);
        int last = layers - 1;
        int out = layout.outputs(last);
        int tw = model.targetWidth();
        Activation lastAct = model.activation(last);
        double sum = 0;
        for (int b = s0; b < s0 + n; b++) {
            sum += LossHead.rowLossAndDelta(model.loss(), lastAct, slope, z[last], a[last], b * out, out,
                    t, tOff + b * tw, dz[last], b * out, scale, b);
        }
        blockLoss[block] = sum;
        blockCorrect[block] = countCorrect(z[last], s0, n, out, tw);
        for (int l = last; l > lowestActive; l--) { // dz[l-1] only where a layer below trains
            int rows = layout.outputs(l);
            int cols = layout.inputs(l);
            kernels.gemmBackwardInput(dz[l], s0 * rows, n, params, layout.weightOffset(l), rows, cols, dz[l - 1],
                    s0 * cols);
            kernels.activationBackward(model.activation(l - 1), slope, dz[l - 1], z[l - 1], a[l - 1], s0 * cols,
                    n * cols);
        }
    }

    /** Phase 2 for one block of weight rows of one layer: dW and db summed over the whole batch. */
    private void rowBlockTask(int task) {
        int i = 0;
        while (task >= activeStart[i + 1]) {
            i++;
        }
        int l = activeLayer[i];
        int r0 = (task - activeStart[i]) * ROW_BLOCK;
        int out = layout.outputs(l);
        int in = layout.inputs(l);
        int rows = Math.min(ROW_BLOCK, out - r0);
        float[] prev = l == 0 ? x : buffers.a[l - 1];
        int prevOff = l == 0 ? xOff : 0;
        int gw = layout.weightOffset(l) + r0 * in;
        int gb = layout.biasOffset(l) + r0;
        kernels.gemmWeightGradient(buffers.dz[l], r0, out, batch, prev, prevOff, rows, in, gradients, gw, gb);
        // the norm's share of this block while it is in cache (a serial pass over the whole gradient after
        // phase 2 also pulled the other core's half across)
        double sq = 0;
        if (model.weightsTrainable(l)) {
            sq += kernels.sumOfSquares(gradients, gw, rows * in);
        }
        if (model.biasTrainable(l)) {
            sq += kernels.sumOfSquares(gradients, gb, rows);
        }
        taskSquares[task] = sq;
    }

    /**
     * The sum of squares of the trainable part of the last {@link #compute}'s gradient: per weight-row block
     * (its weights, then its bias), added in block order, whatever the thread count.
     */
    public double gradientSquares() {
        double s = 0;
        for (int t = 0; t < activeStart[activeCount]; t++) {
            s += taskSquares[t];
        }
        return s;
    }

    private long countCorrect(float[] logits, int s0, int n, int out, int tw) {
        if (!countsCorrect()) {
            return 0;
        }
        long c = 0;
        for (int b = s0; b < s0 + n; b++) {
            int actual = LossHead.actualClass(model.loss(), t[tOff + b * tw]);
            c += LossHead.predictedClass(logits, b * out, out) == actual ? 1 : 0;
        }
        return c;
    }
}
