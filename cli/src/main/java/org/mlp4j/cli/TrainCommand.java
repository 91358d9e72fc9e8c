package org.mlp4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code mlp4j train}: trains a network and saves it as safetensors. This class holds the options, checks them
 * and builds the network, optimizer and settings of a new run; {@link TrainRun} loads the data and trains,
 * {@link TrainSummary} prints the result.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        // One line: picocli's generated synopsis for this many options wraps inside option names.
        customSynopsis = "mlp4j train [OPTIONS]   (every option is listed below)",
        description = {"Train a multilayer perceptron and save it as a safetensors model.",
                "Default: the MNIST net 784-256(relu)-128(relu)-10 with cross-entropy, SGD with Nesterov momentum "
                        + "(lr 0.15, momentum 0.9), batch 128, cosine schedule with a 0.3-epoch warm-up, 5 epochs, "
                        + "the test set evaluated after every epoch. MNIST comes from the repository's data/mnist "
                        + "(else it is downloaded once into the cache) unless --data or --csv is given.",
                "Small CSV data sets get a batch of 16 to 128 (about 1/8 of the data) and enough epochs for about "
                        + "1,500 optimizer steps (5 to 500) unless --batch-size / --epochs are given."},
        footer = {"", "Examples:",
                "  mlp4j train --data ~/mnist --epochs 20 --history history.csv --chart history.png",
                "  mlp4j train --csv data/iris/iris.csv --features 4 --validation-split 0.2",
                "  mlp4j train --checkpoint run.ckpt ...   (later: mlp4j train --resume run.ckpt)"})
final class TrainCommand implements Callable<Integer> {
    /** Options that change the trajectory: with --resume they come from the checkpoint. */
    static final List<String> RUN_OPTIONS = List.of("--layers", "--activations", "--loss", "--leaky-slope",
            "--optimizer", "--lr", "--momentum", "--nesterov", "--weight-decay", "--beta1", "--beta2", "--eps",
            "--alpha", "--centered", "--schedule", "--warmup-epochs", "--step-epochs", "--gamma", "--min-lr",
            "--batch-size", "--seed", "--clip-grad-norm", "--validation-split", "--patience", "--max-iterations",
            "--target-loss", "--grad-tolerance", "--standardize");
    /** Options that say where the data comes from; with --resume they default to the checkpoint's. */
    static final List<String> DATA_OPTIONS = List.of("--data", "--csv", "--test-csv", "--features", "--cache-dir");
    /** Defaults of the MNIST recipe (see README: chosen by measurement, 98 % test accuracy within 5 epochs). */
    static final int MNIST_EPOCHS = 5;
    static final int DEFAULT_BATCH = 128;
    static final double SGD_LR = 0.15;
    static final double WARMUP_EPOCHS = 0.3;
    /** Optimizer steps the small-data default aims for. */
    static final int SMALL_DATA_STEPS = 1500;

    enum OptimizerKind { SGD, ADAM, ADAMW, RMSPROP }

    enum ScheduleKind { CONSTANT, STEP, COSINE }

    @Spec
    CommandSpec spec;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--test-csv", paramLabel = "FILE",
            description = "CSV test set evaluated after training (with --csv; MNIST uses its own test set).")
    Path testCsv;

    // ---- architecture
    @Option(names = "--layers", split = ",", paramLabel = "W",
            description = "Layer widths, inputs first (default 784,256,128,10; with --csv: the feature count, 256, 128 "
                    + "and the class count).")
    int[] layers;

    @Option(names = "--activations", split = ",", paramLabel = "NAME",
            description = "One per dense layer (or one per hidden layer: the output then gets the loss's default): "
                    + "identity, sigmoid, tanh, relu, leaky_relu, gelu, gelu_tanh, softmax. Default: relu hidden, "
                    + "identity output (sigmoid for bce).")
    String[] activations;

    @Option(names = "--loss", paramLabel = "NAME", defaultValue = "cross_entropy",
            description = "cross_entropy (class-index targets), mse, bce, bce_with_logits. Default: ${DEFAULT-VALUE}.")
    String loss;

    @Option(names = "--leaky-slope", paramLabel = "X", defaultValue = "0.01",
            description = "Negative slope of leaky_relu (default ${DEFAULT-VALUE}).")
    float leakySlope;

    // ---- optimizer
    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "sgd",
            description = "sgd, adam, adamw or rmsprop (default ${DEFAULT-VALUE}).")
    OptimizerKind optimizer;

    @Option(names = "--lr", paramLabel = "X",
            description = "Peak learning rate (default: 0.15 for sgd, 0.001 otherwise).")
    Double lr;

    @Option(names = "--momentum", paramLabel = "X", description = "Momentum (default: 0.9 for sgd, 0 for rmsprop).")
    Double momentum;

    @Option(names = "--nesterov", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Nesterov momentum (sgd; default on, --no-nesterov for classical momentum).")
    boolean nesterov;

    @Option(names = "--weight-decay", paramLabel = "X",
            description = "Weight decay (default 0; 0.01 for adamw, where it is decoupled).")
    Double weightDecay;

    @Option(names = "--beta1", paramLabel = "X", defaultValue = "0.9", description = "Adam beta1 (default ${DEFAULT-VALUE}).")
    double beta1;

    @Option(names = "--beta2", paramLabel = "X", defaultValue = "0.999", description = "Adam beta2 (default ${DEFAULT-VALUE}).")
    double beta2;

    @Option(names = "--eps", paramLabel = "X", defaultValue = "1e-8", description = "Adam/RMSprop epsilon (default ${DEFAULT-VALUE}).")
    double eps;

    @Option(names = "--alpha", paramLabel = "X", defaultValue = "0.99", description = "RMSprop smoothing (default ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--centered", description = "Centered RMSprop.")
    boolean centered;

    // ---- schedule
    @Option(names = "--schedule", paramLabel = "NAME", defaultValue = "cosine",
            description = "Learning-rate schedule: constant, step or cosine (with linear warm-up). Default: ${DEFAULT-VALUE}.")
    ScheduleKind schedule;

    @Option(names = "--warmup-epochs", paramLabel = "E", defaultValue = "0.3",
            description = "Linear warm-up of the cosine schedule, in epochs (fractions allowed; default ${DEFAULT-VALUE}, "
                    + "at most a tenth of the run).")
    double warmupEpochs;

    @Option(names = "--step-epochs", paramLabel = "E", defaultValue = "5",
            description = "Step schedule: epochs between decays (default ${DEFAULT-VALUE}).")
    double stepEpochs;

    @Option(names = "--gamma", paramLabel = "X", defaultValue = "0.5",
            description = "Step schedule: decay factor (default ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--min-lr", paramLabel = "X", defaultValue = "0",
            description = "Cosine schedule: final learning rate (default ${DEFAULT-VALUE}).")
    double minLr;

    // ---- training loop
    @Option(names = "--batch-size", paramLabel = "N",
            description = "Samples per optimizer step (default 128; small CSV data: about 1/8 of it, 16 to 128).")
    Integer batchSize;

    @Option(names = "--epochs", paramLabel = "N",
            description = "Epoch budget (default 5 for MNIST; small CSV data: about 1,500 steps' worth; with --resume "
                    + "it may be raised, and the cosine schedule is then re-planned for the new length).")
    Integer epochs;

    @Option(names = "--max-iterations", paramLabel = "N", description = "Stop after this many optimizer steps.")
    Long maxIterations;

    @Option(names = "--target-loss", paramLabel = "X", description = "Stop after an epoch whose mean training loss is at most X.")
    Double targetLoss;

    @Option(names = "--grad-tolerance", paramLabel = "X",
            description = "Stop when a mini-batch gradient's global L2 norm is at most X.")
    Double gradTolerance;

    @Option(names = "--clip-grad-norm", paramLabel = "X", description = "Clip each gradient to global L2 norm X.")
    Double clipGradNorm;

    @Option(names = "--validation-split", paramLabel = "F", defaultValue = "0",
            description = "Hold out this fraction of the training data for validation after every epoch (default 0).")
    double validationSplit;

    @Option(names = "--patience", paramLabel = "N", defaultValue = "0",
            description = "Early stopping: stop after N epochs without a lower validation loss and keep the best "
                    + "epoch's weights (needs --validation-split; default 0 = off).")
    int patience;

    @Option(names = "--standardize", negatable = true, fallbackValue = "true",
            description = "Scale every feature to mean 0, variance 1 (statistics of the training data, stored with "
                    + "the model and applied by eval and predict). Default: on with --csv, off for MNIST (pixels "
                    + "are already in [0, 1]).")
    Boolean standardize;

    @Option(names = "--test-every-epoch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Evaluate the test set after every epoch (default on when there is a test set).")
    boolean testEveryEpoch;

    @Option(names = "--warmup-jit", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Warm the JIT on a throw-away copy of the network while MNIST loads (default on; results "
                    + "are the same either way).")
    boolean warmupJit;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all processors).")
    Integer threads;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the initial weights, the validation split and the sample order (default ${DEFAULT-VALUE}).")
    long seed;

    // ---- files
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "model.safetensors",
            description = "Where to save the trained model (default ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Write a training checkpoint (weights, optimizer state, progress) after every epoch.")
    Path checkpoint;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in this checkpoint with its settings (same data required); "
                    + "only --epochs may change.")
    Path resume;

    @Option(names = "--history", paramLabel = "FILE", description = "Write the per-epoch history as CSV.")
    Path history;

    @Option(names = "--chart", paramLabel = "FILE",
            description = "Write a PNG chart: loss (log scale), accuracy (train, validation, test) and learning rate.")
    Path chart;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (a live bar on a terminal, else one line per epoch), bar, plain or none.")
    Progress.Mode progress;

    @Override
    public Integer call() throws IOException {
        long processStart = Clock.processStartNanos();
        validateOptions();
        checkOutputs();
        TrainRun run = TrainRun.prepare(this, processStart);
        TrainRun.Outcome outcome = run.fit();
        new TrainSummary(run, outcome).print(spec.commandLine().getOut());
        return 0;
    }

    /** The command line, for errors that name an option. */
    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** Every output path is checked before training, so that a typo costs seconds, not a training run. */
    private void checkOutputs() {
        checkWritable("-o/--output", output);
        if (checkpoint != null) {
            checkWritable("--checkpoint", checkpoint);
        }
        if (history != null) {
            checkWritable("--history", history);
        }
        if (chart != null) {
            checkWritable("--chart", chart);
        }
    }

    private void checkWritable(String option, Path file) {
        String problem = OutputPaths.problem(file);
        if (problem != null) {
            throw usage(option + ": cannot write " + file + ": " + problem);
        }
    }

    private void validateOptions() {
        try {
            Loss.fromId(loss);
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage());
        }
        if (activations != null) {
            for (String a : activations) {
                try {
                    Activation.fromId(a);
                } catch (IllegalArgumentException e) {
                    throw usage("--activations: " + e.getMessage().replaceFirst("^activation: ", ""));
                }
            }
        }
        if (layers != null) {
            for (int w : layers) {
                positive("--layers", w);
            }
        }
        if (data.isCsv() && data.dataDir != null) {
            throw usage("--csv and --data: give one data source, not both");
        }
        if (patience > 0 && !(validationSplit > 0)) {
            throw usage("--patience: early stopping needs --validation-split (a fraction such as 0.1), got none");
        }
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw usage("--validation-split: expected a fraction in [0, 1), got " + validationSplit);
        }
        if (batchSize != null) {
            positive("--batch-size", batchSize);
        }
        if (epochs != null) {
            positive("--epochs", epochs);
        }
        if (threads != null) {
            positive("--threads", threads);
        }
        if (patience < 0) {
            throw usage("--patience: expected >= 0, got " + patience);
        }
        if (maxIterations != null) {
            positive("--max-iterations", maxIterations);
        }
        if (clipGradNorm != null) {
            positiveFinite("--clip-grad-norm", clipGradNorm);
        }
        if (lr != null) {
            nonNegativeFinite("--lr", lr);
        }
        if (momentum != null) {
            nonNegativeFinite("--momentum", momentum);
        }
        if (weightDecay != null) {
            nonNegativeFinite("--weight-decay", weightDecay);
        }
        if (targetLoss != null && Double.isNaN(targetLoss)) {
            throw usage("--target-loss: expected a number, got NaN");
        }
        if (gradTolerance != null) {
            nonNegativeFinite("--grad-tolerance", gradTolerance);
        }
        nonNegativeFinite("--min-lr", minLr);
        nonNegativeFinite("--warmup-epochs", warmupEpochs);
        if (!(leakySlope >= 0) || !Float.isFinite(leakySlope)) {
            throw usage("--leaky-slope: expected a finite value >= 0, got " + leakySlope);
        }
    }

    private void positive(String name, long v) {
        if (v <= 0) {
            throw usage(name + ": expected a positive number, got " + v);
        }
    }

    private void positiveFinite(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw usage(name + ": expected a finite number > 0, got " + v);
        }
    }

    private void nonNegativeFinite(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw usage(name + ": expected a finite number >= 0, got " + v);
        }
    }

    /** The number of CSV feature columns, from --features or the first --layers width. */
    int csvFeatures() {
        if (data.features != null) {
            positive("--features", data.features);
            if (layers != null && layers[0] != data.features) {
                throw usage("--features " + data.features + " and --layers " + layers[0] + ",...: the first layer "
                        + "width must equal the number of features");
            }
            return data.features;
        }
        if (layers != null) {
            return layers[0];
        }
        throw usage("--csv: give --features N (the number of feature columns) or --layers");
    }

    /**
     * The network of a new run. Widths are checked before anything is allocated: a batch of {@code batch} samples
     * through each layer must fit a Java array, and the whole run must fit the heap.
     */
    Network buildNetwork(int inputs, int classes, int batch) {
        Loss l = Loss.fromId(loss);
        int[] widths = layers != null ? layers : new int[] {inputs, 256, 128, classes};
        if (widths.length < 2) {
            throw usage("--layers: expected at least two widths (inputs and outputs), got " + Arrays.toString(widths));
        }
        if (widths[0] != inputs) {
            throw usage("--layers: expected the first width to be the number of input features " + inputs + ", got "
                    + widths[0]);
        }
        int dense = widths.length - 1;
        if (l == Loss.CROSS_ENTROPY && widths[dense] < classes) {
            throw usage("--layers: the data has class labels up to " + (classes - 1) + ", so the output layer needs "
                    + "at least " + classes + " units, got " + widths[dense]);
        }
        checkSize(widths, batch);
        Activation outDefault = l == Loss.BCE ? Activation.SIGMOID : Activation.IDENTITY;
        Activation[] acts = new Activation[dense];
        if (activations == null) {
            Arrays.fill(acts, Activation.RELU);
            acts[dense - 1] = outDefault;
        } else if (activations.length == dense || activations.length == dense - 1) {
            for (int i = 0; i < activations.length; i++) {
                acts[i] = Activation.fromId(activations[i]);
            }
            if (activations.length == dense - 1) {
                acts[dense - 1] = outDefault;
            }
        } else {
            throw usage("--activations: expected " + dense + " names (one per dense layer of --layers " + join(widths)
                    + ") or " + (dense - 1) + " (hidden layers only), got " + activations.length);
        }
        Network.Builder b = Network.builder(widths[0]).loss(l).leakyReluSlope(leakySlope).seed(seed);
        for (int i = 0; i < dense; i++) {
            b.dense(widths[i + 1], acts[i]);
        }
        return b.build();
    }

    /** Rejects networks whose buffers cannot be Java arrays or whose training would not fit the heap. */
    void checkSize(int[] widths, int batch) {
        long params = 0;
        long activationValues = 0;
        for (int i = 0; i + 1 < widths.length; i++) {
            params += (long) widths[i] * widths[i + 1] + widths[i + 1];
            long perBatch = (long) batch * widths[i + 1];
            if (perBatch > MAX_ARRAY || (long) batch * widths[i] > MAX_ARRAY) {
                throw usage("--layers " + join(widths) + " with --batch-size " + batch + ": a batch through a layer "
                        + "of " + Math.max(widths[i], widths[i + 1]) + " units holds more than " + MAX_ARRAY
                        + " values, too many for one Java array; use narrower layers or a smaller batch");
            }
            activationValues += perBatch;
        }
        if (params > MAX_ARRAY) {
            throw usage("--layers " + join(widths) + ": " + String.format(Locale.ROOT, "%,d", params) + " parameters, "
                    + "more than the " + String.format(Locale.ROOT, "%,d", MAX_ARRAY) + " one network can hold");
        }
        // Parameters, gradients, up to two optimizer buffers and the best copy; activations and their gradients.
        long bytes = 4 * (5 * params + 3 * activationValues);
        long heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap) {
            throw usage(String.format(Locale.ROOT, "--layers %s with --batch-size %d: training needs about %,d MiB, "
                    + "more than the %,d MiB heap; use a smaller network or batch, or a larger heap "
                    + "(MLP4J_JAVA_OPTS=-Xmx...)", join(widths), batch, bytes >> 20, heap >> 20));
        }
    }

    /** A fresh optimizer from the options, through the library's one name/hyperparameter table. */
    Optimizer buildOptimizer() {
        String name = optimizer.name().toLowerCase(Locale.ROOT);
        boolean sgd = optimizer == OptimizerKind.SGD;
        Map<String, String> given = new LinkedHashMap<>();
        given.put("lr", Double.toString(lr != null ? lr : sgd ? SGD_LR : 0.001));
        given.put("momentum", Double.toString(momentum != null ? momentum : sgd ? 0.9 : 0));
        given.put("nesterov", Boolean.toString(nesterov && (momentum == null || momentum > 0)));
        if (weightDecay != null) {
            given.put("weight_decay", Double.toString(weightDecay));
        }
        given.put("beta1", Double.toString(beta1));
        given.put("beta2", Double.toString(beta2));
        given.put("eps", Double.toString(eps));
        given.put("alpha", Double.toString(alpha));
        given.put("centered", Boolean.toString(centered));
        List<String> accepted = Optimizer.hyperparameterNames(name);
        Map<String, String> hyperparameters = new LinkedHashMap<>();
        given.forEach((k, v) -> {
            if (accepted.contains(k)) {
                hyperparameters.put(k, v);
            }
        });
        try {
            return Optimizer.create(name, hyperparameters);
        } catch (IllegalArgumentException e) {
            throw OptionNames.rename(spec.commandLine(), e);
        }
    }

    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** The run's settings for a new run of {@code epochCount} epochs of {@code batchesPerEpoch} steps. */
    RunSettings resolveSettings(int batch, int epochCount, int batchesPerEpoch, double peakLr) {
        long total = (long) epochCount * batchesPerEpoch;
        long warmup = Math.round(warmupEpochs * batchesPerEpoch);
        if (!given("--warmup-epochs")) {
            warmup = Math.min(warmup, total / 10); // the default never takes more than a tenth of a short run
        }
        if (schedule == ScheduleKind.COSINE && (warmup < 0 || warmup >= total)) {
            throw usage("--warmup-epochs: expected at least 0 and fewer than the " + epochCount + " epochs, got "
                    + warmupEpochs);
        }
        if (schedule == ScheduleKind.STEP && !(stepEpochs > 0 && Double.isFinite(stepEpochs))) {
            throw usage("--step-epochs: expected a positive number, got " + stepEpochs);
        }
        long stepSize = Math.max(1, Math.round(stepEpochs * batchesPerEpoch));
        RunSettings s = new RunSettings(batch, epochCount, seed, peakLr, schedule.name().toLowerCase(Locale.ROOT),
                warmup, total, stepSize, gamma, minLr, clipGradNorm != null ? clipGradNorm : 0, validationSplit,
                patience, maxIterations != null ? maxIterations : 0, targetLoss != null ? targetLoss : Double.NaN,
                gradTolerance != null ? gradTolerance : -1,
                standardize != null ? standardize : data.isCsv());
        try {
            s.learningRateSchedule(); // validates gamma, min-lr, ...
        } catch (IllegalArgumentException e) {
            throw OptionNames.rename(spec.commandLine(), e);
        }
        return s;
    }

    static String describe(Network net) {
        StringBuilder sb = new StringBuilder().append(net.inputSize());
        for (int l = 0; l < net.layerCount(); l++) {
            sb.append('-').append(net.layout().outputs(l)).append('(').append(net.activation(l).id()).append(')');
        }
        return sb.append(' ').append(net.loss().id()).toString();
    }

    static String join(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }
}
