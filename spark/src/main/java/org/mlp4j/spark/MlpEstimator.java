package org.mlp4j.spark;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Spark ML {@link Estimator} that trains an mlp4j multilayer perceptron data-parallel, by synchronous rounds
 * of local SGD: each round broadcasts the parameters and optimizer state, every partition runs
 * {@link #localSteps() k} steps of mlp4j's {@link org.mlp4j.Trainer} on its own examples, and the driver averages
 * the partitions' parameters and optimizer state weighted by their example counts. With k = 1, plain SGD and
 * equal partitions this is single-machine mini-batch SGD at a global batch of {@code partitions * batchSize}.
 *
 * <pre>{@code
 * MlpEstimator mlp = new MlpEstimator()
 *         .setLayers(new int[] {784, 256, 128, 10})    // input, hidden..., output (= classes)
 *         .setActivations(new String[] {"relu"})       // every hidden layer
 *         .setOptimizer("adam").setLearningRate(1e-3)
 *         .setBatchSize(64).setLocalSteps(100).setEpochs(10);
 * MlpModel model = mlp.fit(train);                     // train: a "features" vector and a "label" column
 * Dataset<Row> scored = model.transform(test);         // + rawPrediction, probability, prediction
 * }</pre>
 *
 * <p>Tasks: {@code classification} (default; the output layer has one logit per class, cross-entropy loss,
 * labels are class indices 0..classes-1) and {@code regression} (one linear output, MSE, any finite label).
 * The input's partitioning is the unit of data parallelism: repartition the input to choose it. The result is
 * bit-identical for the same seed, data and partitioning (partitions are collected in partition order and
 * summed in a fixed order, never by tree aggregation), whatever the threads per task.
 *
 * <p>Divergence: a round in which any partition sees a NaN or infinite loss, gradient or parameter ends training
 * with a {@link DistributedTrainingException} that carries the model of the last good round.
 */
public final class MlpEstimator extends Estimator<MlpModel> implements MLWritable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MlpEstimator.class);

    private final String uid;
    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;
    private final Param<String> rawPredictionCol;
    private final Param<String> task;
    private final IntArrayParam layers;
    private final StringArrayParam activations;
    private final DoubleParam leakyReluSlope;
    private final Param<String> optimizer;
    private final DoubleParam learningRate;
    private final DoubleParam momentum;
    private final BooleanParam nesterov;
    private final DoubleParam weightDecay;
    private final DoubleParam beta1;
    private final DoubleParam beta2;
    private final DoubleParam eps;
    private final DoubleParam rmsAlpha;
    private final IntParam batchSize;
    private final IntParam epochs;
    private final IntParam maxRounds;
    private final IntParam localSteps;
    private final LongParam seed;
    private final BooleanParam shuffle;
    private final IntParam threadsPerTask;
    private final IntParam scoringBatchSize;
    private final DoubleArrayParam thresholds;
    private transient List<RoundListener> listeners = new ArrayList<>();

    /** A new estimator with a random uid. */
    public MlpEstimator() {
        this(Identifiable$.MODULE$.randomUID("mlp4j"));
    }

    /** A new estimator with the given uid (used by copy and load). */
    public MlpEstimator(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", "features column (a vector of the input width)");
        labelCol = new Param<>(this, "labelCol", "label column (numeric: class index or regression target)");
        predictionCol = new Param<>(this, "predictionCol", "prediction column name ('' for none)");
        probabilityCol = new Param<>(this, "probabilityCol",
                "class-probability column name ('' for none; classification only)");
        rawPredictionCol = new Param<>(this, "rawPredictionCol",
                "raw-prediction (logits) column name ('' for none; classification only)");
        task = new Param<>(this, "task", "classification or regression",
                ParamValidators.inArray(new String[] {"classification", "regression"}));
        layers = new IntArrayParam(this, "layers", "layer widths: input, hidden..., output (classes, or 1 for "
                + "regression)", arr -> arr.length >= 2 && Arrays.stream(arr).allMatch(w -> w > 0));
        activations = new StringArrayParam(this, "activations", "hidden-layer activations: one for all hidden layers"
                + " or one per hidden layer (identity, sigmoid, tanh, relu, leaky_relu, gelu, gelu_tanh)",
                arr -> arr.length >= 1);
        leakyReluSlope = new DoubleParam(this, "leakyReluSlope", "negative slope of leaky_relu",
                ParamValidators.gtEq(0));
        optimizer = new Param<>(this, "optimizer", "sgd, adam, adamw or rmsprop",
                ParamValidators.inArray(new String[] {"sgd", "adam", "adamw", "rmsprop"}));
        learningRate = new DoubleParam(this, "learningRate", "learning rate (> 0)", ParamValidators.gt(0));
        momentum = new DoubleParam(this, "momentum", "momentum of sgd and rmsprop (0 = none)",
                ParamValidators.inRange(0, 1, true, false));
        nesterov = new BooleanParam(this, "nesterov", "Nesterov momentum (sgd)");
        weightDecay = new DoubleParam(this, "weightDecay", "weight decay (L2 for sgd/adam/rmsprop, decoupled for"
                + " adamw)", ParamValidators.gtEq(0));
        beta1 = new DoubleParam(this, "beta1", "Adam beta1", ParamValidators.inRange(0, 1, true, false));
        beta2 = new DoubleParam(this, "beta2", "Adam beta2", ParamValidators.inRange(0, 1, true, false));
        eps = new DoubleParam(this, "eps", "epsilon of adam/adamw/rmsprop", ParamValidators.gt(0));
        rmsAlpha = new DoubleParam(this, "rmsAlpha", "RMSprop smoothing constant alpha",
                ParamValidators.inRange(0, 1, true, true));
        batchSize = new IntParam(this, "batchSize", "examples per local step on each partition",
                ParamValidators.gtEq(1));
        epochs = new IntParam(this, "epochs", "passes over the data (each partition over its own shard)",
                ParamValidators.gtEq(1));
        maxRounds = new IntParam(this, "maxRounds", "rounds to run; 0 = as many as the epochs need",
                ParamValidators.gtEq(0));
        localSteps = new IntParam(this, "localSteps", "k: local steps per partition between two averagings",
                ParamValidators.gtEq(1));
        seed = new LongParam(this, "seed", "seed of the initial weights and of the example order");
        shuffle = new BooleanParam(this, "shuffle", "reshuffle each partition's examples every local epoch");
        threadsPerTask = new IntParam(this, "threadsPerTask", "threads of one task's training steps (match "
                + "spark.task.cpus)", ParamValidators.gtEq(1));
        scoringBatchSize = new IntParam(this, "scoringBatchSize", "rows per batched forward pass when scoring",
                ParamValidators.gtEq(1));
        thresholds = new DoubleArrayParam(this, "thresholds", "the fitted classifier's per-class thresholds (see "
                + "MlpModel.thresholds)", MlpModel.thresholdsValidator());
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(rawPredictionCol, "rawPrediction");
        setDefault(task, "classification");
        setDefault(activations, new String[] {"relu"});
        setDefault(leakyReluSlope, 0.01);
        setDefault(optimizer, "adam");
        setDefault(learningRate, 1e-3);
        setDefault(momentum, 0.0);
        setDefault(nesterov, false);
        setDefault(weightDecay, 0.0);
        setDefault(beta1, 0.9);
        setDefault(beta2, 0.999);
        setDefault(eps, 1e-8);
        setDefault(rmsAlpha, 0.99);
        setDefault(batchSize, 64);
        setDefault(epochs, 10);
        setDefault(maxRounds, 0);
        setDefault(localSteps, 10);
        setDefault(seed, 1L);
        setDefault(shuffle, true);
        setDefault(threadsPerTask, 1);
        setDefault(scoringBatchSize, 256);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- params (Spark lists them by reflection over these public no-argument methods) -----------------------

    /** Features column, default {@code features}. */
    public Param<String> featuresCol() {
        return featuresCol;
    }

    /** Label column, default {@code label}. */
    public Param<String> labelCol() {
        return labelCol;
    }

    /** Prediction column, default {@code prediction}. */
    public Param<String> predictionCol() {
        return predictionCol;
    }

    /** Probability column (classification), default {@code probability}. */
    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    /** Raw prediction (logits) column (classification), default {@code rawPrediction}. */
    public Param<String> rawPredictionCol() {
        return rawPredictionCol;
    }

    /** {@code classification} (default) or {@code regression}. */
    public Param<String> task() {
        return task;
    }

    /** Layer widths including input and output, e.g. {@code [784, 256, 128, 10]}; required. */
    public IntArrayParam layers() {
        return layers;
    }

    /** Hidden-layer activations, default {@code [relu]}; the output layer is always linear (logits). */
    public StringArrayParam activations() {
        return activations;
    }

    /** Negative slope of {@code leaky_relu}, default 0.01. */
    public DoubleParam leakyReluSlope() {
        return leakyReluSlope;
    }

    /** Optimizer: sgd, adam (default), adamw, rmsprop. */
    public Param<String> optimizer() {
        return optimizer;
    }

    /** Learning rate, default 1e-3. */
    public DoubleParam learningRate() {
        return learningRate;
    }

    /** Momentum (sgd, rmsprop), default 0. */
    public DoubleParam momentum() {
        return momentum;
    }

    /** Nesterov momentum (sgd), default false. */
    public BooleanParam nesterov() {
        return nesterov;
    }

    /** Weight decay, default 0. */
    public DoubleParam weightDecay() {
        return weightDecay;
    }

    /** Adam's beta1, default 0.9. */
    public DoubleParam beta1() {
        return beta1;
    }

    /** Adam's beta2, default 0.999. */
    public DoubleParam beta2() {
        return beta2;
    }

    /** Epsilon (adam, adamw, rmsprop), default 1e-8. */
    public DoubleParam eps() {
        return eps;
    }

    /** RMSprop's alpha, default 0.99. */
    public DoubleParam rmsAlpha() {
        return rmsAlpha;
    }

    /** Examples per local step on each partition, default 64 (global batch: partitions x this). */
    public IntParam batchSize() {
        return batchSize;
    }

    /** Epochs, default 10: each partition passes this often over its shard (the largest shard sets the count). */
    public IntParam epochs() {
        return epochs;
    }

    /** Rounds; 0 (default) derives them from the epochs. */
    public IntParam maxRounds() {
        return maxRounds;
    }

    /** Local steps k per round, default 10 (1 = average after every step). */
    public IntParam localSteps() {
        return localSteps;
    }

    /** Seed of the initial weights and the example order, default 1. */
    public LongParam seed() {
        return seed;
    }

    /** Reshuffle every local epoch, default true. */
    public BooleanParam shuffle() {
        return shuffle;
    }

    /** Threads per training task, default 1. */
    public IntParam threadsPerTask() {
        return threadsPerTask;
    }

    /** Rows per batched forward pass of the fitted model, default 256. */
    public IntParam scoringBatchSize() {
        return scoringBatchSize;
    }

    /** The fitted classifier's per-class thresholds ({@link MlpModel#thresholds()}), unset by default. */
    public DoubleArrayParam thresholds() {
        return thresholds;
    }

    // ---- setters and getters ---------------------------------------------------------------------------------

    /** Sets {@link #featuresCol()}. */
    public MlpEstimator setFeaturesCol(String v) {
        set(featuresCol, v);
        return this;
    }

    /** Sets {@link #labelCol()}. */
    public MlpEstimator setLabelCol(String v) {
        set(labelCol, v);
        return this;
    }

    /** Sets {@link #predictionCol()}. */
    public MlpEstimator setPredictionCol(String v) {
        set(predictionCol, v);
        return this;
    }

    /** Sets {@link #probabilityCol()}. */
    public MlpEstimator setProbabilityCol(String v) {
        set(probabilityCol, v);
        return this;
    }

    /** Sets {@link #rawPredictionCol()}. */
    public MlpEstimator setRawPredictionCol(String v) {
        set(rawPredictionCol, v);
        return this;
    }

    /** Sets {@link #task()}. */
    public MlpEstimator setTask(String v) {
        set(task, v.toLowerCase(Locale.ROOT));
        return this;
    }

    /** Sets {@link #layers()}. */
    public MlpEstimator setLayers(int[] v) {
        set(layers, v.clone());
        return this;
    }

    /** Sets {@link #activations()}. */
    public MlpEstimator setActivations(String[] v) {
        set(activations, v.clone());
        return this;
    }

    /** Sets {@link #leakyReluSlope()}. */
    public MlpEstimator setLeakyReluSlope(double v) {
        set(leakyReluSlope, v);
        return this;
    }

    /** Sets {@link #optimizer()}. */
    public MlpEstimator setOptimizer(String v) {
        set(optimizer, v.toLowerCase(Locale.ROOT));
        return this;
    }

    /** Sets {@link #learningRate()}. */
    public MlpEstimator setLearningRate(double v) {
        set(learningRate, v);
        return this;
    }

    /** Sets {@link #momentum()}. */
    public MlpEstimator setMomentum(double v) {
        set(momentum, v);
        return this;
    }

    /** Sets {@link #nesterov()}. */
    public MlpEstimator setNesterov(boolean v) {
        set(nesterov, v);
        return this;
    }

    /** Sets {@link #weightDecay()}. */
    public MlpEstimator setWeightDecay(double v) {
        set(weightDecay, v);
        return this;
    }

    /** Sets {@link #beta1()}. */
    public MlpEstimator setBeta1(double v) {
        set(beta1, v);
        return this;
    }

    /** Sets {@link #beta2()}. */
    public MlpEstimator setBeta2(double v) {
        set(beta2, v);
        return this;
    }

    /** Sets {@link #eps()}. */
    public MlpEstimator setEps(double v) {
        set(eps, v);
        return this;
    }

    /** Sets {@link #rmsAlpha()}. */
    public MlpEstimator setRmsAlpha(double v) {
        set(rmsAlpha, v);
        return this;
    }

    /** Sets {@link #batchSize()}. */
    public MlpEstimator setBatchSize(int v) {
        set(batchSize, v);
        return this;
    }

    /** Sets {@link #epochs()}. */
    public MlpEstimator setEpochs(int v) {
        set(epochs, v);
        return this;
    }

    /** Sets {@link #maxRounds()}. */
    public MlpEstimator setMaxRounds(int v) {
        set(maxRounds, v);
        return this;
    }

    /** Sets {@link #localSteps()}. */
    public MlpEstimator setLocalSteps(int v) {
        set(localSteps, v);
        return this;
    }

    /** Sets {@link #seed()}. */
    public MlpEstimator setSeed(long v) {
        set(seed, v);
        return this;
    }

    /** Sets {@link #shuffle()}. */
    public MlpEstimator setShuffle(boolean v) {
        set(shuffle, v);
        return this;
    }

    /** Sets {@link #threadsPerTask()}. */
    public MlpEstimator setThreadsPerTask(int v) {
        set(threadsPerTask, v);
        return this;
    }

    /** Sets {@link #scoringBatchSize()}. */
    public MlpEstimator setScoringBatchSize(int v) {
        set(scoringBatchSize, v);
        return this;
    }

    /** Sets {@link #thresholds()}, passed on to the fitted model; fails as {@link MlpModel#setThresholds} does. */
    public MlpEstimator setThresholds(double[] v) {
        String problem = MlpModel.validThresholds(v);
        if (problem != null) {
            throw new IllegalArgumentException("thresholds: " + problem + ", got " + Arrays.toString(v));
        }
        set(thresholds, v.clone());
        return this;
    }

    /** Adds a listener called after every round (not a param: not saved, not copied). */
    public MlpEstimator addRoundListener(RoundListener listener) {
        if (listener == null) {
            throw new IllegalArgumentException("listener: expected a RoundListener, got null");
        }
        listeners().add(listener);
        return this;
    }

    private List<RoundListener> listeners() {
        if (listeners == null) { // after deserialization
            listeners = new ArrayList<>();
        }
        return listeners;
    }

    /** The layer widths ({@link #layers()}). */
    public int[] getLayers() {
        return $(layers).clone();
    }

    /** The number of local steps per round ({@link #localSteps()}). */
    public int getLocalSteps() {
        return (Integer) $(localSteps);
    }

    // ---- schema ----------------------------------------------------------------------------------------------

    @Override
    public StructType transformSchema(StructType schema) {
        String features = $(featuresCol);
        String label = $(labelCol);
        requireField(schema, features);
        if (!schema.apply(features).dataType().equals(SQLDataTypes.VectorType())) {
            throw new IllegalArgumentException("featuresCol '" + features + "': expected a vector column, got "
                    + schema.apply(features).dataType().simpleString());
        }
        requireField(schema, label);
        if (!(schema.apply(label).dataType() instanceof NumericType)) {
            throw new IllegalArgumentException("labelCol '" + label + "': expected a numeric column, got "
                    + schema.apply(label).dataType().simpleString());
        }
        int[] widths = $(layers);
        if (classification() && isSet(thresholds) && $(thresholds).length != widths[widths.length - 1]) {
            throw new IllegalArgumentException("thresholds: expected " + widths[widths.length - 1] + " values (one per"
                    + " class), got " + $(thresholds).length);
        }
        return MlpModel.outputSchema(schema, classification() ? widths[widths.length - 1] : 0, $(rawPredictionCol),
                $(probabilityCol), $(predictionCol));
    }

    static void requireField(StructType schema, String name) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException("column '" + name + "': not in the data set (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
    }

    private boolean classification() {
        return "classification".equals($(task));
    }

    // ---- training --------------------------------------------------------------------------------------------

    /**
     * Trains on {@code dataset} by synchronous rounds of local SGD and returns the fitted model.
     *
     * @throws IllegalArgumentException      on a bad param combination, a missing or mistyped column, a feature
     *                                       vector of the wrong size or with NaN/infinite values, or a bad label
     * @throws DistributedTrainingException if a round diverges (the exception holds the last good model)
     */
    @Override
    public MlpModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        boolean classify = classification();
        int[] widths = $(layers);
        if (widths == null) {
            throw new IllegalArgumentException("layers: not set; expected the widths input, hidden..., output");
        }
        int out = widths[widths.length - 1];
        if (classify && out < 2) {
            throw new IllegalArgumentException("layers: a classifier needs an output width of at least 2 classes, got "
                    + out);
        }
        if (!classify && out != 1) {
            throw new IllegalArgumentException("layers: a regressor has one output, got an output width of " + out);
        }
        String[] acts = layerActivations(widths);
        String loss = classify ? Loss.CROSS_ENTROPY.id() : Loss.MSE.id();
        float slope = (float) (double) (Double) $(leakyReluSlope);
        long seedValue = (Long) $(seed);
        Network initial = NetSpec.build(widths, acts, loss, slope, seedValue);
        TrainConfig config = new TrainConfig($(optimizer), (Double) $(learningRate), (Double) $(momentum),
                (Boolean) $(nesterov), (Double) $(weightDecay), (Double) $(beta1), (Double) $(beta2), (Double) $(eps),
                (Double) $(rmsAlpha), (Integer) $(batchSize), (Integer) $(localSteps), seedValue, (Boolean) $(shuffle),
                (Integer) $(threadsPerTask));
        Optimizer driverOptimizer = config.newOptimizer(); // validates the hyperparameters before any job runs

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        JavaRDD<Row> rows = dataset.select(col($(featuresCol)), col($(labelCol)).cast("double")).toJavaRDD();
        JavaRDD<Shard> shards = rows.mapPartitionsWithIndex(new ShardBuilder(widths[0], classify ? out : 0,
                $(featuresCol), $(labelCol)), true).persist(StorageLevel.MEMORY_ONLY());
        try {
            List<Integer> sizes = job(() -> shards.map(s -> s.size).collect());
            long total = sizes.stream().mapToLong(Integer::longValue).sum();
            if (total == 0) {
                throw new IllegalArgumentException("dataset: no rows to train on");
            }
            int largest = Collections.max(sizes);
            int batch = Math.min(config.batchSize, largest);
            long stepsPerEpoch = (largest + batch - 1) / batch;
            long rounds = (Integer) $(maxRounds) > 0 ? (Integer) $(maxRounds)
                    : (stepsPerEpoch * (Integer) $(epochs) + config.localSteps - 1) / config.localSteps;
            if (rounds > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("epochs: " + $(epochs) + " epochs need " + rounds
                        + " rounds, more than " + Integer.MAX_VALUE + "; raise localSteps or set maxRounds");
            }
            LOG.info("mlp4j-spark: fitting {} on {} rows in {} partitions (sizes {}), {} rounds of {} local steps,"
                    + " batch {} per partition", Arrays.toString(widths), total, sizes.size(), sizes, rounds,
                    config.localSteps, config.batchSize);
            NetSpec trained = train(jsc, shards, config, NetSpec.of(initial), driverOptimizer, (int) rounds);
            MlpModel model = new MlpModel(uid, trained);
            copyValues(model, extractParamMap());
            model.setParent(this);
            return model;
        } finally {
            shards.unpersist(false);
        }
    }

    private String[] layerActivations(int[] widths) {
        String[] hidden = $(activations);
        int hiddenLayers = widths.length - 2;
        if (hidden.length != 1 && hidden.length != hiddenLayers) {
            throw new IllegalArgumentException("activations: expected 1 or " + hiddenLayers + " (one per hidden layer)"
                    + " names, got " + hidden.length + ": " + Arrays.toString(hidden));
        }
        String[] acts = new String[widths.length - 1];
        for (int l = 0; l < hiddenLayers; l++) {
            Activation a = Activation.fromId(hidden.length == 1 ? hidden[0] : hidden[l]);
            if (a == Activation.SOFTMAX) {
                throw new IllegalArgumentException("activations: softmax is only for the output layer, got it for "
                        + "hidden layer " + (l + 1));
            }
            acts[l] = a.id();
        }
        acts[hiddenLayers] = Activation.IDENTITY.id(); // logits (classification) or the linear output (regression)
        return acts;
    }

    /** The rounds: broadcast, k local steps per partition, collect in partition order, weighted average. */
    private NetSpec train(JavaSparkContext jsc, JavaRDD<Shard> shards, TrainConfig config, NetSpec start,
                          Optimizer driverOptimizer, int rounds) {
        NetSpec current = start;
        long optimizerSteps = 0;
        Map<String, float[]> optimizerState = driverOptimizer.state(); // empty before the first step
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            Broadcast<RoundTask.State> state = jsc.broadcast(
                    new RoundTask.State(current, optimizerSteps, optimizerState, round));
            List<RoundTask.Result> results;
            try {
                results = job(() -> shards.mapPartitionsWithIndex(new RoundTask(state, config), true).collect());
            } finally {
                state.destroy();
            }
            long examples = 0;
            double lossSum = 0;
            List<RoundTask.Result> contributing = new ArrayList<>();
            for (RoundTask.Result r : results) { // partition order: mapPartitionsWithIndex + collect keeps it
                if (r.failure != null) {
                    LOG.error("mlp4j-spark: {}", r.failure);
                    throw new DistributedTrainingException(round, r.failure, lastGood(current));
                }
                if (r.examples > 0) {
                    contributing.add(r);
                    examples += r.examples;
                    lossSum += r.lossSum;
                }
            }
            float[] params = average(contributing, r -> r.parameters, examples);
            Map<String, float[]> nextState = new LinkedHashMap<>();
            for (String key : contributing.get(0).optimizerState.keySet()) {
                nextState.put(key, average(contributing, r -> r.optimizerState.get(key), examples));
            }
            for (float v : params) {
                if (!Float.isFinite(v)) { // each partition's parameters were finite, but a sum can overflow
                    throw new DistributedTrainingException(round, "an averaged parameter is " + v, lastGood(current));
                }
            }
            current = new NetSpec(current.widths, current.activations, current.loss, current.leakySlope, params);
            optimizerState = nextState;
            optimizerSteps += config.localSteps;
            RoundStats stats = new RoundStats(round, rounds, lossSum / examples, examples, System.nanoTime() - t0,
                    current);
            LOG.info("mlp4j-spark: {}", stats);
            for (RoundListener l : listeners()) {
                l.onRound(stats);
            }
        }
        return current;
    }

    private MlpModel lastGood(NetSpec spec) {
        MlpModel model = new MlpModel(uid, spec);
        copyValues(model, extractParamMap());
        return model.setParent(this);
    }

    /** {@code sum_p n_p * x_p / sum_p n_p}, summed in partition order in double precision. */
    private static float[] average(List<RoundTask.Result> results, Function<RoundTask.Result, float[]> pick,
                                   long examples) {
        int n = pick.apply(results.get(0)).length;
        double[] acc = new double[n];
        for (RoundTask.Result r : results) {
            float[] x = pick.apply(r);
            double w = r.examples;
            for (int i = 0; i < n; i++) {
                acc[i] += w * x[i];
            }
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (acc[i] / examples);
        }
        return out;
    }

    /**
     * Runs a Spark job, turning a task's bad-input error back into the IllegalArgumentException it was (Spark
     * wraps task failures in its checked SparkException, which Java code sees without a throws clause).
     */
    static <T> T job(Supplier<T> job) {
        try {
            return job.get();
        } catch (Exception e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof IllegalArgumentException) {
                    throw new IllegalArgumentException(c.getMessage(), e);
                }
            }
            if (e instanceof RuntimeException) {
                throw (RuntimeException) e;
            }
            throw new IllegalStateException("Spark job failed: " + e.getMessage(), e);
        }
    }

    /** Turns one partition's rows (features vector, label as double) into a {@link Shard}, validating them. */
    private static final class ShardBuilder
            implements org.apache.spark.api.java.function.Function2<Integer, Iterator<Row>, Iterator<Shard>> {
        private static final long serialVersionUID = 1L;
        private final int inputs;
        private final int classes;
        private final String featuresName;
        private final String labelName;

        ShardBuilder(int inputs, int classes, String featuresName, String labelName) {
            this.inputs = inputs;
            this.classes = classes;
            this.featuresName = featuresName;
            this.labelName = labelName;
        }

        @Override
        public Iterator<Shard> call(Integer partition, Iterator<Row> rows) {
            float[] x = new float[inputs * 64];
            float[] y = new float[64];
            int n = 0;
            while (rows.hasNext()) {
                Row row = rows.next();
                if (n == y.length) {
                    x = Arrays.copyOf(x, x.length * 2);
                    y = Arrays.copyOf(y, y.length * 2);
                }
                if (row.isNullAt(0)) {
                    throw new IllegalArgumentException(where(partition, n) + featuresName + " is null");
                }
                Vector v = (Vector) row.get(0);
                if (v.size() != inputs) {
                    throw new IllegalArgumentException(where(partition, n) + featuresName + ": expected a vector of "
                            + inputs + " values (layers[0]), got " + v.size());
                }
                MlpModel.copyFeatures(v, x, n * inputs);
                for (int i = n * inputs, end = i + inputs; i < end; i++) {
                    if (!Float.isFinite(x[i])) {
                        throw new IllegalArgumentException(where(partition, n) + featuresName + "[" + (i - n * inputs)
                                + "]: expected a finite float, got " + v.apply(i - n * inputs));
                    }
                }
                if (row.isNullAt(1)) {
                    throw new IllegalArgumentException(where(partition, n) + labelName + " is null");
                }
                double label = row.getDouble(1);
                if (classes > 0 && !(label >= 0 && label < classes && label == Math.rint(label))) {
                    throw new IllegalArgumentException(where(partition, n) + labelName + ": expected a class index 0.."
                            + (classes - 1) + " (layers ends with " + classes + " outputs), got " + label);
                }
                if (classes == 0 && !Float.isFinite((float) label)) {
                    throw new IllegalArgumentException(where(partition, n) + labelName
                            + ": expected a finite float target, got " + label);
                }
                y[n++] = (float) label;
            }
            return Collections.singletonList(new Shard(partition, n, inputs, Arrays.copyOf(x, n * inputs),
                    Arrays.copyOf(y, n))).iterator();
        }

        private static String where(int partition, int row) {
            return "row " + row + " of partition " + partition + ": ";
        }
    }

    // ---- copy and persistence --------------------------------------------------------------------------------

    @Override
    public MlpEstimator copy(ParamMap extra) {
        MlpEstimator copy = copyValues(new MlpEstimator(uid), extra);
        copy.listeners().addAll(listeners());
        return copy;
    }

    /** A writer that saves this estimator's params (Spark's metadata layout, readable by {@link #read()}). */
    @Override
    public MLWriter write() {
        MlpEstimator self = this;
        return new MLWriter() {
            @Override
            public void saveImpl(String path) {
                Persistence.saveMetadata(self, path, sc());
            }
        };
    }

    /** The reader for estimators saved with {@link #write()} (also used by {@code Pipeline.load}). */
    public static MLReader<MlpEstimator> read() {
        return new MLReader<>() {
            @Override
            public MlpEstimator load(String path) {
                var meta = Persistence.readMetadata(path, sc(), MlpEstimator.class);
                MlpEstimator e = new MlpEstimator(meta.get("uid").asText());
                Persistence.applyParams(meta, path, e);
                return e;
            }
        };
    }

    /** Loads an estimator saved with {@code write().save(path)}. */
    public static MlpEstimator load(String path) {
        return read().load(path);
    }
}
