package org.mlp4j;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import org.mlp4j.internal.engine.Buffers;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.engine.GradientEngine;
import org.mlp4j.internal.engine.LossHead;
import org.mlp4j.internal.engine.Model;
import org.mlp4j.internal.engine.TrainingStep;
import org.mlp4j.internal.engine.WorkerTeam;

/**
 * Mini-batch gradient descent for a {@link Network}: shuffled epochs, gradient averaging over each batch
 * (data-parallel on a ForkJoinPool, bit-identical for any thread count), an {@link Optimizer} step, and
 * the stopping conditions of gradient descent (epoch/iteration budget, target loss, gradient tolerance).
 * Optional: a {@link LearningRateSchedule}, gradient clipping by global norm, and a validation set with
 * early stopping that restores the best parameters.
 *
 * <pre>{@code
 * try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9)).batchSize(128).epochs(10).build()) {
 *     TrainingResult result = trainer.fit(train);
 * }
 * }</pre>
 *
 * A trainer owns its buffers (sized by {@code min(batch size, data size)} at the first step and grown only
 * when a larger batch comes) and, unless a pool was passed in, a dedicated ForkJoinPool
 * that {@link #close()} shuts down. Not thread-safe; do not call {@link Network#predict} on the same
 * network from other threads while training.
 */
public final class Trainer implements AutoCloseable {
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
    private final LearningRateSchedule schedule;
    private final double clipNorm;
    private final Dataset validation;
    private final int patience;
    private final Evaluator evaluator;
    private int bestEpoch;
    private double bestValidationLoss = Double.POSITIVE_INFINITY;
    private float[] bestParameters;
    private final ForkJoinPool pool;
    private final boolean ownsPool;
    private final Model model;
    private final WorkerTeam team;
    private final int shardSize;
    private TrainingStep training; // created at the first step, with buffers for that step's batch
    private float[] batchInputs = new float[0];
    private float[] batchTargets = new float[0];
    private int[] order = new int[0];
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
        this.schedule = b.schedule;
        this.clipNorm = b.clipNorm;
        this.validation = b.validation;
        this.patience = b.patience;
        if (validation != null) {
            checkFits("validation", validation);
            this.evaluator = new Evaluator(net, batchSize);
        } else {
            this.evaluator = null;
        }
        this.ownsPool = b.pool == null && b.threads > 1;
        // The calling thread works too: a dedicated pool has threads - 1 workers; a caller's pool lends all of
        // its parallelism on top of the calling thread.
        this.pool = b.pool != null ? b.pool : (b.threads > 1 ? new ForkJoinPool(b.threads - 1) : null);
        this.team = new WorkerTeam(pool, pool == null ? 0 : pool.getParallelism());
        this.model = net.model();
        this.shardSize = b.shardSize;
    }

    /** The training step with buffers for at least {@code rows} samples (created or grown here). */
    private TrainingStep training(int rows) {
        if (training == null) {
            training = new TrainingStep(model, new GradientEngine(model, rows, shardSize, team, true), team);
            training.setClipNorm(clipNorm);
        } else {
            training.engine().ensureCapacity(rows);
        }
        return training;
    }

    /**
     * Starts configuring a trainer for {@code network} and {@code optimizer}.
     *
     * @param network   the network whose parameters are trained in place
     * @param optimizer the optimizer that updates them
     * @return a builder with the default settings
     */
    public static Builder builder(Network network, Optimizer optimizer) {
        return new Builder(network, optimizer);
    }

    /**
     * The network being trained.
     *
     * @return the network given to {@link #builder}
     */
    public Network network() {
        return net;
    }

    /**
     * The optimizer that updates it.
     *
     * @return the optimizer given to {@link #builder}
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Samples per optimizer step (the last batch of an epoch may be smaller).
     *
     * @return the batch size, {@code >= 1}
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Seed of the per-epoch sample order.
     *
     * @return the seed set with {@link Builder#seed}
     */
    public long seed() {
        return seed;
    }

    /**
     * Epochs completed so far by {@link #fit}; the next call continues with the next epoch.
     *
     * @return the number of completed epochs, {@code >= 0}
     */
    public int completedEpochs() {
        return completedEpochs;
    }

    /**
     * Continues from a checkpoint: the next {@link #fit} starts at epoch {@code completedEpochs + 1}. Each
     * epoch's sample order depends only on the seed and the epoch number, so a resumed run takes the same
     * steps as an uninterrupted one (together with the optimizer state and parameters).
     *
     * @param completedEpochs epochs already completed, {@code >= 0}
     * @param iterations      optimizer steps already taken, {@code >= 0}
     * @throws IllegalArgumentException if either value is negative
     */
    public void restoreProgress(int completedEpochs, long iterations) {
        if (completedEpochs < 0 || iterations < 0) {
            throw new IllegalArgumentException("progress: expected completedEpochs >= 0 and iterations >= 0, got "
                    + completedEpochs + " and " + iterations);
        }
        this.completedEpochs = completedEpochs;
        this.iterations = iterations;
    }

    /**
     * Epoch with the lowest validation loss so far (0 before the first validated epoch or without a
     * validation set).
     *
     * @return the best epoch (1-based), or 0 when there is none yet
     */
    public int bestEpoch() {
        return bestEpoch;
    }

    /**
     * Lowest validation loss so far (+infinity before the first validated epoch).
     *
     * @return the best validation loss, or {@link Double#POSITIVE_INFINITY} when there is none yet
     */
    public double bestValidationLoss() {
        return bestValidationLoss;
    }

    /**
     * A copy of the parameters after {@link #bestEpoch()}, or null when there is none yet.
     *
     * @return a new array of {@link Network#parameterCount()} values, or null
     */
    public float[] bestParameters() {
        return bestParameters == null ? null : bestParameters.clone();
    }

    /**
     * Restores early-stopping progress saved from {@link #bestEpoch()}, {@link #bestValidationLoss()} and
     * {@link #bestParameters()} (e.g. from a checkpoint), so that a resumed run stops and restores exactly as
     * an uninterrupted one. {@code bestParameters} may be null only when {@code bestEpoch} is 0.
     *
     * @param bestEpoch          the saved {@link #bestEpoch()}, {@code >= 0}; 0 clears the progress
     * @param bestValidationLoss the saved {@link #bestValidationLoss()}, not NaN
     * @param bestParameters     the saved {@link #bestParameters()} (copied), of the network's parameter count
     * @throws IllegalArgumentException if a value is negative, NaN, of the wrong length or not finite
     */
    public void restoreBest(int bestEpoch, double bestValidationLoss, float[] bestParameters) {
        if (bestEpoch < 0) {
            throw new IllegalArgumentException("bestEpoch: expected >= 0, got " + bestEpoch);
        }
        if (bestEpoch == 0) {
            this.bestEpoch = 0;
            this.bestValidationLoss = Double.POSITIVE_INFINITY;
            this.bestParameters = null;
            return;
        }
        if (Double.isNaN(bestValidationLoss)) {
            throw new IllegalArgumentException("bestValidationLoss: expected a number, got NaN");
        }
        Checks.length("bestParameters", bestParameters, net.parameterCount());
        Checks.finite("bestParameters", bestParameters, 0, bestParameters.length);
        this.bestEpoch = bestEpoch;
        this.bestValidationLoss = bestValidationLoss;
        this.bestParameters = bestParameters.clone();
    }

    /**
     * Optimizer steps taken by this trainer (including restored progress).
     *
     * @return the number of optimizer steps, {@code >= 0}
     */
    public long iterations() {
        return iterations;
    }

    /**
     * Global L2 norm of the last mini-batch gradient (NaN before the first step).
     *
     * @return the gradient norm before clipping, or NaN before the first step
     */
    public double lastGradientNorm() {
        return training == null ? Double.NaN : training.lastGradientNorm();
    }

    /**
     * One optimizer step on {@code batch} samples: mean loss and gradient, divergence check, clipping,
     * scheduled learning rate, update.
     * Allocation-free once the buffers hold {@code batch} samples (the first step, or a larger batch, sizes
     * them). Inputs and targets are validated.
     *
     * @param inputs  holds {@code batch * inputSize} finite features from {@code inOff}
     * @param inOff   index of the first sample's first feature in {@code inputs}
     * @param targets holds {@code batch * targetWidth} targets from {@code tOff}
     * @param tOff    index of the first sample's first target in {@code targets}
     * @param batch   number of samples, {@code 1 <= batch <= batchSize()}
     * @throws IllegalArgumentException  on a bad batch size or offset, a non-finite input or an invalid target
     * @throws TrainingDivergedException if the loss, gradient norm or an updated parameter is not finite (the step
     *                                   is not applied)
     * @return the batch's mean loss before the step
     */
    public double step(float[] inputs, int inOff, float[] targets, int tOff, int batch) {
        if (batch < 1 || batch > batchSize) {
            throw new IllegalArgumentException("batch: expected 1.." + batchSize + ", got " + batch);
        }
        Checks.range("inputs", inputs, inOff, batch * net.inputSize());
        Checks.range("targets", targets, tOff, batch * net.targetWidth());
        if (!model.kernels().allFinite(inputs, inOff, batch * net.inputSize())) {
            Checks.finite("inputs", inputs, inOff, batch * net.inputSize()); // names the first bad value
        }
        LossHead.checkTargets(net.loss(), targets, tOff, batch, net.outputSize());
        team.begin();
        try {
            return stepUnchecked(inputs, inOff, targets, tOff, batch, 0, 0);
        } finally {
            team.end();
        }
    }

    private double stepUnchecked(float[] x, int xOff, float[] y, int yOff, int batch, int epoch, int batchIndex) {
        if (schedule != null) {
            double lr = schedule.learningRate(iterations);
            if (!(lr >= 0) || Double.isInfinite(lr)) {
                throw new IllegalStateException("learning-rate schedule: expected a finite rate >= 0 at step "
                        + iterations + ", got " + lr);
            }
            optimizer.setLearningRate(lr);
        }
        double loss;
        try {
            loss = training(batch).step(optimizer.engineUpdate(), x, xOff, y, yOff, batch);
        } catch (TrainingStep.DivergedException e) {
            throw new TrainingDivergedException(epoch, batchIndex, e.what(), e.value());
        }
        iterations++;
        return loss;
    }

    /**
     * Trains on {@code data} until a stopping condition holds. The epoch budget counts all epochs this
     * trainer has completed, so a second call (or a resumed trainer) continues where the last one stopped.
     *
     * <p>With a validation set, each epoch ends with its evaluation; with early stopping (patience > 0),
     * training stops after {@code patience} epochs without a lower validation loss, and whenever fit returns
     * normally the network holds the parameters of the best validated epoch.
     *
     * @param data the training set, of the network's input and target widths
     * @return why training stopped, with the epoch and step counts, last loss and best validation epoch
     * @throws IllegalArgumentException   if the dataset does not fit the network or holds bad values
     * @throws TrainingDivergedException if the loss or gradient becomes NaN/infinite
     */
    public TrainingResult fit(Dataset data) {
        checkFits("data", data);
        int n = data.size();
        if (order.length != n) {
            order = new int[n];
        }
        int rows = Math.min(batchSize, n);
        if (batchInputs.length < rows * net.inputSize()) {
            batchInputs = new float[rows * net.inputSize()];
            batchTargets = new float[rows * net.targetWidth()];
        }
        int batches = n / batchSize + (n % batchSize == 0 ? 0 : 1);
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
            team.begin(); // helpers stay with this epoch's steps (and go back to the pool for evaluation)
            try {
                for (int bi = 0; bi < batches; bi++) {
                    int from = bi * batchSize;
                    int count = Math.min(batchSize, n - from);
                    gather(data, from, count);
                    double loss = stepUnchecked(batchInputs, 0, batchTargets, 0, count, epoch, bi);
                    lossSum += loss * count;
                    correct += training.engine().correct();
                    seen += count;
                    StopReason stop = null;
                    if (listener != null && !listener.onBatch(
                            new TrainingListener.BatchStats(epoch, bi, batches, count, loss, iterations))) {
                        stop = StopReason.LISTENER;
                    } else if (training.lastGradientNorm() <= gradientTolerance) {
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
            } finally {
                team.end();
            }
            epochLoss = lossSum / seen;
            completedEpochs = epoch;
            double seconds = (System.nanoTime() - start) / 1e9;
            double accuracy = model.isClassifier() ? (double) correct / seen : Double.NaN;
            double valLoss = Double.NaN;
            double valAccuracy = Double.NaN;
            if (evaluator != null) {
                Evaluation e = evaluator.evaluate(validation);
                valLoss = e.loss();
                valAccuracy = e.accuracy();
                if (valLoss < bestValidationLoss) {
                    bestValidationLoss = valLoss;
                    bestEpoch = epoch;
                    if (bestParameters == null) {
                        bestParameters = new float[net.parameterCount()];
                    }
                    net.copyParametersTo(bestParameters);
                }
            }
            if (listener != null && !listener.onEpoch(new TrainingListener.EpochStats(epoch, epochLoss,
                    accuracy, seen, seconds, seen / seconds, valLoss, valAccuracy, optimizer.learningRate()))) {
                reason = StopReason.LISTENER;
                break;
            }
            if (epochLoss <= targetLoss) {
                reason = StopReason.TARGET_LOSS;
                break;
            }
            if (patience > 0 && bestEpoch > 0 && epoch - bestEpoch >= patience) {
                reason = StopReason.EARLY_STOPPING;
                break;
            }
        }
        if (patience > 0 && bestParameters != null) {
            net.setParameters(bestParameters);
        }
        return new TrainingResult(reason, epoch, iterations, epochLoss, lastGradientNorm(), bestEpoch,
                bestValidationLoss);
    }

    private void checkFits(String name, Dataset data) {
        Objects.requireNonNull(data, name);
        if (data.featureCount() != net.inputSize()) {
            throw new IllegalArgumentException(name + ": expected " + net.inputSize() + " features per sample, got "
                    + data.featureCount());
        }
        if (data.targetWidth() != net.targetWidth()) {
            throw new IllegalArgumentException(name + ": expected " + net.targetWidth() + " target values per sample"
                    + (net.loss() == Loss.CROSS_ENTROPY ? " (a class index)" : "") + ", got " + data.targetWidth());
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException(name + ": expected at least one sample, got none");
        }
        Checks.finite(name + " features", data.features(), 0, data.features().length);
        LossHead.checkTargets(net.loss(), data.targets(), 0, data.size(), net.outputSize());
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
        private LearningRateSchedule schedule;
        private double clipNorm = Double.POSITIVE_INFINITY;
        private Dataset validation;
        private int patience;

        private Builder(Network net, Optimizer optimizer) {
            this.net = Objects.requireNonNull(net, "network");
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        }

        /**
         * Samples per optimizer step (default 32). Buffers hold {@code min(batchSize, data size)} samples, so
         * a batch size beyond the data (full-batch training) costs nothing extra.
         *
         * @param batchSize samples per step, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if not positive or so large that one layer's rows would not fit in
         *                                  a Java array
         */
        public Builder batchSize(int batchSize) {
            Checks.positive("batchSize", batchSize);
            this.batchSize = Buffers.maxRows("batchSize", net.model().layout(), batchSize);
            return this;
        }

        /**
         * Epoch budget (default 10).
         *
         * @param epochs the most epochs {@link Trainer#fit} runs in total, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code epochs} is not positive
         */
        public Builder epochs(int epochs) {
            this.epochs = Checks.positive("epochs", epochs);
            return this;
        }

        /**
         * Optimizer-step budget (default unlimited).
         *
         * @param maxIterations the most optimizer steps in total, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxIterations} is not positive
         */
        public Builder maxIterations(long maxIterations) {
            if (maxIterations <= 0) {
                throw new IllegalArgumentException("maxIterations: expected a positive value, got " + maxIterations);
            }
            this.maxIterations = maxIterations;
            return this;
        }

        /**
         * Stop after an epoch whose mean training loss is at most this (default: never).
         *
         * @param targetLoss the mean loss to reach, not NaN
         * @return this builder
         * @throws IllegalArgumentException if {@code targetLoss} is NaN
         */
        public Builder targetLoss(double targetLoss) {
            if (Double.isNaN(targetLoss)) {
                throw new IllegalArgumentException("targetLoss: expected a number, got NaN");
            }
            this.targetLoss = targetLoss;
            return this;
        }

        /**
         * Stop when a mini-batch gradient's global L2 norm is at most this (default: off).
         *
         * @param tolerance the gradient norm to reach, finite and {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code tolerance} is negative, infinite or NaN
         */
        public Builder gradientTolerance(double tolerance) {
            this.gradientTolerance = Checks.nonNegative("gradientTolerance", tolerance);
            return this;
        }

        /**
         * Reshuffle the samples every epoch (default true).
         *
         * @param shuffle false to visit the samples in dataset order
         * @return this builder
         */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Seed of the sample order: same seed and data, same parameters.
         *
         * @param seed seed of the sample order, any value
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Threads that work on a training step, the calling thread included (default: available processors;
         * 1 = the calling thread alone). The trainer creates a dedicated ForkJoinPool of {@code threads - 1}
         * workers, never the common pool.
         *
         * @param threads number of threads, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code threads} is not positive
         */
        public Builder threads(int threads) {
            this.threads = Checks.positive("threads", threads);
            return this;
        }

        /**
         * Use the caller's pool instead of a dedicated one: its parallelism helps the calling thread (the pool
         * is not shut down by {@link Trainer#close()}).
         *
         * @param pool the pool to run the parallel tasks in
         * @return this builder
         */
        public Builder pool(ForkJoinPool pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /**
         * Samples per parallel forward/backward task (default 16). The batch is cut into tasks of this size
         * whatever the thread count, so results never depend on the number of threads (they may depend on
         * this value in the last bits).
         *
         * @param shardSize samples per task, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code shardSize} is not positive
         */
        public Builder shardSize(int shardSize) {
            this.shardSize = Checks.positive("shardSize", shardSize);
            return this;
        }

        /**
         * Receives per-batch and per-epoch progress (null for none).
         *
         * @param listener called after every step and epoch, or null for none
         * @return this builder
         */
        public Builder listener(TrainingListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Sets the optimizer's learning rate before every step from {@code schedule} (null: keep the
         * optimizer's own rate).
         *
         * @param schedule the rate for each step, or null
         * @return this builder
         */
        public Builder schedule(LearningRateSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        /**
         * Gradient clipping by global norm: when a mini-batch gradient's L2 norm over all parameters exceeds
         * {@code maxNorm}, it is scaled by {@code maxNorm / norm} before the optimizer step (after the
         * divergence check; {@link Trainer#lastGradientNorm()} reports the norm before clipping). Default off.
         *
         * @param maxNorm the largest gradient norm kept, finite and {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxNorm} is not a finite positive value
         */
        public Builder clipGradientNorm(double maxNorm) {
            this.clipNorm = Checks.positive("maxNorm", maxNorm);
            return this;
        }

        /**
         * Evaluates {@code data} after every epoch (loss and accuracy appear in
         * {@link TrainingListener.EpochStats}). With {@code patience > 0}, early stopping: training stops
         * after {@code patience} epochs without a lower validation loss and the network gets the parameters
         * of the best epoch back; with 0 the set is only monitored.
         *
         * @param data     the validation set, of the network's input and target widths
         * @param patience epochs without improvement before stopping, {@code >= 0} (0: monitor only)
         * @return this builder
         * @throws IllegalArgumentException if {@code patience} is negative
         */
        public Builder validation(Dataset data, int patience) {
            this.validation = Objects.requireNonNull(data, "validation");
            if (patience < 0) {
                throw new IllegalArgumentException("patience: expected >= 0 epochs, got " + patience);
            }
            this.patience = patience;
            return this;
        }

        /**
         * The trainer; it owns a dedicated pool when {@code threads > 1} and no pool was given.
         *
         * @return a new trainer; close it to release its pool
         */
        public Trainer build() {
            return new Trainer(this);
        }
    }
}
