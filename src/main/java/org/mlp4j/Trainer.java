package org.mlp4j;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;

/**
 * Mini-batch gradient descent for a {@link Network}: shuffled epochs, gradient averaging over each batch
 * (data-parallel on a ForkJoinPool, bit-identical for any thread count), an {@link Optimizer} step, and
 * the stopping conditions of gradient descent (epoch/iteration budget, target loss, gradient tolerance).
 *
 * <pre>{@code
 * try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9)).batchSize(128).epochs(10).build()) {
 *     TrainingResult result = trainer.fit(train);
 * }
 * }</pre>
 *
 * A trainer owns its buffers (created once) and, unless a pool was passed in, a dedicated ForkJoinPool
 * that {@link #close()} shuts down. Not thread-safe; do not call {@link Network#predict} on the same
 * network from other threads while training.
 */
public final class Trainer implements AutoCloseable {
    /** Parameter chunk per parallel optimizer task; smaller models update inline. */
    private static final int UPDATE_CHUNK = 1 << 16;

    private final Network net;
    private final Optimizer optimizer;
    private final int batchSize;
    private final int maxEpochs;
    private final long maxIterations;
    private final double targetLoss;
    private final double gradientTolerance;
    private final boolean shuffle;
    private final long seed;
    private final TrainingListener listener;
    private final ForkJoinPool pool;
    private final boolean ownsPool;
    private final GradientEngine engine;
    private final ParallelRunner updater;
    private final float[] previousParameters;
    private final boolean[] chunkFinite;
    private final float[] batchInputs;
    private final float[] batchTargets;
    private int[] order = new int[0];
    private double lastGradientNorm = Double.NaN;
    private int completedEpochs;
    private long iterations;

    private Trainer(Builder b) {
        this.net = b.net;
        this.optimizer = b.optimizer;
        this.batchSize = b.batchSize;
        this.maxEpochs = b.epochs;
        this.maxIterations = b.maxIterations;
        this.targetLoss = b.targetLoss;
        this.gradientTolerance = b.gradientTolerance;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.listener = b.listener;
        this.ownsPool = b.pool == null && b.threads > 1;
        this.pool = b.pool != null ? b.pool : (b.threads > 1 ? new ForkJoinPool(b.threads) : null);
        this.engine = new GradientEngine(net, batchSize, b.shardSize, pool);
        int chunks = (net.parameterCount() + UPDATE_CHUNK - 1) / UPDATE_CHUNK;
        this.updater = new ParallelRunner(pool, this::updateChunk, Math.max(1, chunks));
        this.previousParameters = new float[net.parameterCount()];
        this.chunkFinite = new boolean[Math.max(1, chunks)];
        this.batchInputs = new float[batchSize * net.inputSize()];
        this.batchTargets = new float[batchSize * net.targetWidth()];
    }

    /** Starts configuring a trainer for {@code network} and {@code optimizer}. */
    public static Builder builder(Network network, Optimizer optimizer) {
        return new Builder(network, optimizer);
    }

    public Network network() {
        return net;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Seed of the per-epoch sample order. */
    public long seed() {
        return seed;
    }

    /** Epochs completed so far by {@link #fit}; the next call continues with the next epoch. */
    public int completedEpochs() {
        return completedEpochs;
    }

    /**
     * Continues from a checkpoint: the next {@link #fit} starts at epoch {@code completedEpochs + 1}. Each
     * epoch's sample order depends only on the seed and the epoch number, so a resumed run takes the same
     * steps as an uninterrupted one (together with the optimizer state and parameters).
     */
    public void restoreProgress(int completedEpochs, long iterations) {
        if (completedEpochs < 0 || iterations < 0) {
            throw new IllegalArgumentException("progress: expected completedEpochs >= 0 and iterations >= 0, got "
                    + completedEpochs + " and " + iterations);
        }
        this.completedEpochs = completedEpochs;
        this.iterations = iterations;
    }

    /** Optimizer steps taken by this trainer (including restored progress). */
    public long iterations() {
        return iterations;
    }

    /** Global L2 norm of the last mini-batch gradient (NaN before the first step). */
    public double lastGradientNorm() {
        return lastGradientNorm;
    }

    /**
     * One optimizer step on {@code batch} samples: mean loss and gradient, divergence check, update.
     * Allocation-free. Inputs and targets are validated.
     *
     * @return the batch's mean loss before the step
     */
    public double step(float[] inputs, int inOff, float[] targets, int tOff, int batch) {
        if (batch < 1 || batch > batchSize) {
            throw new IllegalArgumentException("batch: expected 1.." + batchSize + ", got " + batch);
        }
        checkSlice("inputs", inputs, inOff, batch * net.inputSize());
        checkSlice("targets", targets, tOff, batch * net.targetWidth());
        Checks.finite("inputs", inputs, inOff, batch * net.inputSize());
        Losses.checkTargets(net.loss(), targets, tOff, batch, net.outputSize());
        return stepUnchecked(inputs, inOff, targets, tOff, batch, 0, 0);
    }

    private double stepUnchecked(float[] x, int xOff, float[] y, int yOff, int batch, int epoch, int batchIndex) {
        double loss = engine.compute(x, xOff, y, yOff, batch);
        if (!Double.isFinite(loss)) {
            throw new TrainingDivergedException(epoch, batchIndex, "the loss", loss);
        }
        float[] g = engine.gradients();
        double norm = Math.sqrt(net.kernels().sumOfSquares(g, 0, g.length));
        if (!Double.isFinite(norm)) {
            throw new TrainingDivergedException(epoch, batchIndex, "the gradient norm", norm);
        }
        lastGradientNorm = norm;
        optimizer.beginStep(g.length);
        int chunks = (g.length + UPDATE_CHUNK - 1) / UPDATE_CHUNK;
        updater.run(chunks);
        optimizer.endStep();
        for (int c = 0; c < chunks; c++) {
            if (!chunkFinite[c]) {
                // A finite gradient can still overflow a float parameter (huge learning rate): undo the step.
                float[] p = net.parameterArray();
                float bad = firstNonFinite(p);
                System.arraycopy(previousParameters, 0, p, 0, p.length);
                throw new TrainingDivergedException(epoch, batchIndex, "an updated parameter", bad);
            }
        }
        iterations++;
        return loss;
    }

    private static float firstNonFinite(float[] p) {
        for (float v : p) {
            if (!Float.isFinite(v)) {
                return v;
            }
        }
        return Float.NaN;
    }

    private void updateChunk(int chunk) {
        float[] g = engine.gradients();
        int off = chunk * UPDATE_CHUNK;
        int len = Math.min(UPDATE_CHUNK, g.length - off);
        float[] p = net.parameterArray();
        System.arraycopy(p, off, previousParameters, off, len);
        optimizer.update(net.kernels(), p, g, off, len);
        chunkFinite[chunk] = net.kernels().allFinite(p, off, len);
    }

    /**
     * Trains on {@code data} until a stopping condition holds. The epoch budget counts all epochs this
     * trainer has completed, so a second call (or a resumed trainer) continues where the last one stopped.
     *
     * @throws IllegalArgumentException   if the dataset does not fit the network or holds bad values
     * @throws TrainingDivergedException if the loss or gradient becomes NaN/infinite
     */
    public TrainingResult fit(Dataset data) {
        Objects.requireNonNull(data, "data");
        if (data.featureCount() != net.inputSize()) {
            throw new IllegalArgumentException("data: expected " + net.inputSize() + " features per sample, got "
                    + data.featureCount());
        }
        if (data.targetWidth() != net.targetWidth()) {
            throw new IllegalArgumentException("data: expected " + net.targetWidth() + " target values per sample"
                    + (net.loss() == Loss.CROSS_ENTROPY ? " (a class index)" : "") + ", got " + data.targetWidth());
        }
        Checks.finite("data features", data.features(), 0, data.features().length);
        Losses.checkTargets(net.loss(), data.targets(), 0, data.size(), net.outputSize());
        int n = data.size();
        if (order.length != n) {
            order = new int[n];
        }
        int batches = (n + batchSize - 1) / batchSize;
        double epochLoss = Double.NaN;
        int epoch = completedEpochs;
        StopReason reason = StopReason.MAX_EPOCHS;
        outer:
        while (epoch < maxEpochs) {
            epoch++;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            if (shuffle) {
                // The order of epoch e depends on (seed, e) only: resuming at any epoch is exact.
                Dataset.shuffle(order, new SplittableRandom(seed + 0x9E3779B97F4A7C15L * epoch));
            }
            double lossSum = 0;
            long correct = 0;
            long seen = 0;
            for (int bi = 0; bi < batches; bi++) {
                int from = bi * batchSize;
                int count = Math.min(batchSize, n - from);
                gather(data, from, count);
                double loss = stepUnchecked(batchInputs, 0, batchTargets, 0, count, epoch, bi);
                lossSum += loss * count;
                correct += engine.correct();
                seen += count;
                StopReason stop = null;
                if (listener != null && !listener.onBatch(
                        new TrainingListener.BatchStats(epoch, bi, batches, count, loss, iterations))) {
                    stop = StopReason.LISTENER;
                } else if (lastGradientNorm <= gradientTolerance) {
                    stop = StopReason.GRADIENT_TOLERANCE;
                } else if (iterations >= maxIterations) {
                    stop = StopReason.MAX_ITERATIONS;
                }
                if (stop != null) {
                    epochLoss = lossSum / seen;
                    reason = stop;
                    if (bi == batches - 1) {
                        completedEpochs = epoch; // every batch of this epoch ran: a resume must not replay it
                    }
                    break outer;
                }
            }
            epochLoss = lossSum / seen;
            completedEpochs = epoch;
            double seconds = (System.nanoTime() - start) / 1e9;
            double accuracy = engine.countsCorrect() ? (double) correct / seen : Double.NaN;
            if (listener != null && !listener.onEpoch(new TrainingListener.EpochStats(epoch, epochLoss,
                    accuracy, seen, seconds, seen / seconds))) {
                reason = StopReason.LISTENER;
                break;
            }
            if (epochLoss <= targetLoss) {
                reason = StopReason.TARGET_LOSS;
                break;
            }
        }
        return new TrainingResult(reason, epoch, iterations, epochLoss, lastGradientNorm);
    }

    private void gather(Dataset data, int from, int count) {
        int f = net.inputSize();
        int t = net.targetWidth();
        float[] xs = data.features();
        float[] ys = data.targets();
        for (int i = 0; i < count; i++) {
            int s = order[from + i];
            System.arraycopy(xs, s * f, batchInputs, i * f, f);
            System.arraycopy(ys, s * t, batchTargets, i * t, t);
        }
    }

    private static void checkSlice(String name, float[] a, int off, int len) {
        Objects.requireNonNull(a, name);
        if (off < 0 || (long) off + len > a.length) {
            throw new IllegalArgumentException(name + ": expected " + len + " values from offset " + off
                    + ", but the array has length " + a.length);
        }
    }

    /** Shuts down the trainer's own pool (a pool passed in is left alone). */
    @Override
    public void close() {
        if (ownsPool) {
            pool.shutdown();
        }
    }

    /** Configures a {@link Trainer}; values are validated when set. */
    public static final class Builder {
        private final Network net;
        private final Optimizer optimizer;
        private int batchSize = 32;
        private int epochs = 10;
        private long maxIterations = Long.MAX_VALUE;
        private double targetLoss = Double.NEGATIVE_INFINITY;
        private double gradientTolerance = -1;
        private boolean shuffle = true;
        private long seed = 1;
        private int threads = Runtime.getRuntime().availableProcessors();
        private ForkJoinPool pool;
        private int shardSize = GradientEngine.DEFAULT_SHARD_SIZE;
        private TrainingListener listener;

        private Builder(Network net, Optimizer optimizer) {
            this.net = Objects.requireNonNull(net, "network");
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        }

        /** Samples per optimizer step (default 32). */
        public Builder batchSize(int batchSize) {
            this.batchSize = Checks.positive("batchSize", batchSize);
            return this;
        }

        /** Epoch budget (default 10). */
        public Builder epochs(int epochs) {
            this.epochs = Checks.positive("epochs", epochs);
            return this;
        }

        /** Optimizer-step budget (default unlimited). */
        public Builder maxIterations(long maxIterations) {
            if (maxIterations <= 0) {
                throw new IllegalArgumentException("maxIterations: expected a positive value, got " + maxIterations);
            }
            this.maxIterations = maxIterations;
            return this;
        }

        /** Stop after an epoch whose mean training loss is at most this (default: never). */
        public Builder targetLoss(double targetLoss) {
            if (Double.isNaN(targetLoss)) {
                throw new IllegalArgumentException("targetLoss: expected a number, got NaN");
            }
            this.targetLoss = targetLoss;
            return this;
        }

        /** Stop when a mini-batch gradient's global L2 norm is at most this (default: off). */
        public Builder gradientTolerance(double tolerance) {
            this.gradientTolerance = Checks.nonNegative("gradientTolerance", tolerance);
            return this;
        }

        /** Reshuffle the samples every epoch (default true). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Seed of the sample order: same seed and data, same parameters. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Threads of the trainer's own ForkJoinPool (default: available processors; 1 = inline). */
        public Builder threads(int threads) {
            this.threads = Checks.positive("threads", threads);
            return this;
        }

        /** Use the caller's pool instead of a dedicated one (not shut down by {@link Trainer#close()}). */
        public Builder pool(ForkJoinPool pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /**
         * Samples per parallel forward/backward task (default 16). The batch is cut into tasks of this size
         * whatever the thread count, so results never depend on the number of threads (they may depend on
         * this value in the last bits).
         */
        public Builder shardSize(int shardSize) {
            this.shardSize = Checks.positive("shardSize", shardSize);
            return this;
        }

        public Builder listener(TrainingListener listener) {
            this.listener = listener;
            return this;
        }

        public Trainer build() {
            return new Trainer(this);
        }
    }
}
