package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Evaluation;
import org.mlp4j.Evaluator;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.TrainingDivergedException;
import org.mlp4j.TrainingListener;
import org.mlp4j.TrainingResult;
import org.mlp4j.io.ModelFiles;
import org.mlp4j.io.Mnist;
import org.mlp4j.io.TrainingCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mlp4j train}: trains a network and saves it as safetensors. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Train a multilayer perceptron and save it as a safetensors model.",
                "Default: the MNIST net 784-256(relu)-128(relu)-10 with cross-entropy, SGD (lr 0.1, momentum 0.9), "
                        + "batch 128, cosine schedule with 1 warm-up epoch, 15 epochs; MNIST is downloaded into "
                        + "~/.cache/mlp4j/mnist unless --data or --csv is given."},
        footer = {"", "Examples:",
                "  mlp4j train --data ~/mnist --epochs 20 --history history.csv --chart history.png",
                "  mlp4j train --csv iris.csv --features 4 --layers 4,16,3 --optimizer adam --lr 0.01 "
                        + "--validation-split 0.2 --patience 10",
                "  mlp4j train --checkpoint run.ckpt ...   (later: mlp4j train --resume run.ckpt)"})
final class TrainCommand implements Callable<Integer> {
    /** Options that change the trajectory: with --resume they come from the checkpoint. */
    private static final List<String> RUN_OPTIONS = List.of("--layers", "--activations", "--loss", "--leaky-slope",
            "--optimizer", "--lr", "--momentum", "--nesterov", "--weight-decay", "--beta1", "--beta2", "--eps",
            "--alpha", "--centered", "--schedule", "--warmup-epochs", "--step-epochs", "--gamma", "--min-lr",
            "--batch-size", "--seed", "--clip-grad-norm", "--validation-split", "--patience", "--max-iterations",
            "--target-loss", "--grad-tolerance");

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
            description = "Layer widths, inputs first (default 784,256,128,10; with --csv: FEATURES,256,128,CLASSES).")
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
            description = "Peak learning rate (default: 0.1 for sgd, 0.001 otherwise).")
    Double lr;

    @Option(names = "--momentum", paramLabel = "X", description = "Momentum (default: 0.9 for sgd, 0 for rmsprop).")
    Double momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum (sgd).")
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

    @Option(names = "--warmup-epochs", paramLabel = "E", defaultValue = "1",
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
    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "128", description = "Default ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "15",
            description = "Epoch budget (default ${DEFAULT-VALUE}; with --resume it may be raised).")
    int epochs;

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

    @Option(names = "--chart", paramLabel = "FILE", description = "Write loss and accuracy curves as a PNG chart.")
    Path chart;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (a live bar on a terminal, else one line per epoch), bar, plain or none.")
    Progress.Mode progress;

    @Override
    public Integer call() throws IOException {
        long wallStart = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        validateOptions();

        TrainingCheckpoint ckpt = null;
        History hist = new History();
        if (resume != null) {
            List<String> ignored = new ArrayList<>();
            for (String name : RUN_OPTIONS) {
                if (spec.commandLine().getParseResult().hasMatchedOption(name)) {
                    ignored.add(name);
                }
            }
            if (!ignored.isEmpty()) {
                throw new ParameterException(spec.commandLine(), String.join(", ", ignored) + ": a resumed run keeps "
                        + "the settings stored in " + resume + "; only --epochs and the file and progress options "
                        + "may be given with --resume");
            }
            ckpt = ModelFiles.loadCheckpoint(resume);
            hist = History.decode(ckpt.metadata().get("history"));
        }

        // ---- data
        Dataset train;
        Dataset test = null;
        String dataName;
        Network net;
        if (data.isCsv()) {
            int features = ckpt != null ? ckpt.network().inputSize() : csvFeatures();
            Loss l = ckpt != null ? ckpt.network().loss() : Loss.fromId(loss);
            int outputs = ckpt != null ? ckpt.network().outputSize() : layers != null ? layers[layers.length - 1] : -1;
            if (l != Loss.CROSS_ENTROPY && outputs < 0) {
                throw new ParameterException(spec.commandLine(), "--layers: required with --csv and loss " + l.id()
                        + " (the output width is the number of target columns)");
            }
            train = DataOptions.readCsv(data.csv, features, l, outputs);
            if (testCsv != null) {
                test = DataOptions.readCsv(testCsv, features, l, outputs);
            }
            dataName = data.csv.getFileName() + " (" + String.format(Locale.ROOT, "%,d", train.size()) + " samples"
                    + (test != null ? String.format(Locale.ROOT, ", test %,d", test.size()) : "") + ")";
            net = ckpt != null ? ckpt.network() : buildNetwork(features, classes(train, test));
        } else {
            if (testCsv != null) {
                throw new ParameterException(spec.commandLine(), "--test-csv: only with --csv (MNIST has a test set)");
            }
            Mnist mnist = data.mnist(out);
            train = mnist.train();
            test = mnist.test();
            dataName = String.format(Locale.ROOT, "MNIST (%,d train, %,d test)", train.size(), test.size());
            net = ckpt != null ? ckpt.network() : buildNetwork(train.featureCount(), Mnist.CLASSES);
        }

        // ---- settings
        RunSettings settings;
        Optimizer opt;
        int batchesPerEpoch;
        if (ckpt != null) {
            settings = RunSettings.fromMetadata(ckpt.metadata(), resume.toString());
            if (spec.commandLine().getParseResult().hasMatchedOption("--epochs")) {
                settings = settings.withEpochs(epochs);
            }
            opt = ckpt.optimizer();
        } else {
            opt = buildOptimizer();
            settings = null;
        }
        Dataset validation = null;
        double split = settings != null ? settings.validationSplit() : validationSplit;
        long splitSeed = settings != null ? settings.seed() : seed;
        if (split > 0) {
            Dataset[] parts = train.split(split, splitSeed);
            train = parts[0];
            validation = parts[1];
        }
        int batch = settings != null ? settings.batchSize() : batchSize;
        batchesPerEpoch = (train.size() + batch - 1) / batch;
        if (settings == null) {
            settings = resolveSettings(batchesPerEpoch, opt.learningRate());
        }
        if (net.inputSize() != train.featureCount()) {
            throw new ParameterException(spec.commandLine(), "--layers: the network expects " + net.inputSize()
                    + " inputs but the data has " + train.featureCount() + " features");
        }

        Trainer.Builder tb = Trainer.builder(net, opt).batchSize(settings.batchSize()).epochs(settings.epochs())
                .seed(settings.seed()).schedule(settings.learningRateSchedule());
        if (threads != null) {
            tb.threads(threads);
        }
        if (settings.clipNorm() > 0) {
            tb.clipGradientNorm(settings.clipNorm());
        }
        if (validation != null) {
            tb.validation(validation, settings.patience());
        }
        if (settings.maxIterations() > 0) {
            tb.maxIterations(settings.maxIterations());
        }
        if (!Double.isNaN(settings.targetLoss())) {
            tb.targetLoss(settings.targetLoss());
        }
        if (settings.gradTolerance() >= 0) {
            tb.gradientTolerance(settings.gradTolerance());
        }
        Progress bar = new Progress(progress, out, err, settings.epochs(), train.size());
        History h = hist;
        RunSettings s = settings;
        Trainer[] self = new Trainer[1];
        tb.listener(new TrainingListener() {
            @Override
            public boolean onBatch(BatchStats stats) {
                return bar.onBatch(stats);
            }

            @Override
            public boolean onEpoch(EpochStats stats) {
                h.add(stats);
                bar.onEpoch(stats);
                if (checkpoint != null) {
                    Map<String, String> meta = new LinkedHashMap<>(s.toMetadata());
                    meta.put("history", h.encode());
                    try {
                        ModelFiles.saveCheckpoint(self[0], checkpoint, meta);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return true;
            }
        });

        out.println("mlp4j train: " + describe(net) + ", " + String.format(Locale.ROOT, "%,d", net.parameterCount())
                + " parameters, kernels " + net.kernelName());
        out.println("  optimizer " + opt.id() + " " + opt.hyperparameters() + ", " + describeSchedule(settings)
                + ", batch " + settings.batchSize() + ", " + settings.epochs() + (settings.epochs() == 1 ? " epoch" : " epochs")
                + (settings.clipNorm() > 0 ? ", clip " + settings.clipNorm() : ""));
        out.println("  data " + dataName + (validation != null ? String.format(Locale.ROOT,
                ", validation %,d held out", validation.size()) + (settings.patience() > 0
                ? ", early stopping patience " + settings.patience() : "") : ""));
        out.flush();

        TrainingResult result;
        try (Trainer trainer = tb.build()) {
            self[0] = trainer;
            if (ckpt != null) {
                ckpt.restoreInto(trainer);
                out.println("  resumed from " + resume + " after epoch " + ckpt.completedEpochs() + " ("
                        + ckpt.iterations() + " steps)");
            }
            try {
                result = trainer.fit(train);
            } catch (TrainingDivergedException e) {
                bar.finish();
                writeHistory(h);
                boolean finite = true;
                for (float v : net.parameters()) {
                    finite &= Float.isFinite(v);
                }
                if (finite) {
                    ModelFiles.save(net, output);
                    err.println("train: the last finite parameters (before the failing step) were saved to " + output);
                } else {
                    err.println("train: the parameters are no longer finite; no model was saved");
                }
                throw e;
            } catch (UncheckedIOException e) {
                bar.finish();
                throw e.getCause();
            }
        }
        ModelFiles.save(net, output);
        writeHistory(h);

        // ---- summary
        double trainSeconds = 0;
        long samples = 0;
        for (int i = 0; i < h.size(); i++) {
            trainSeconds += h.seconds(i);
            samples += h.samples(i);
        }
        out.println("stopped: " + reason(result));
        if (test != null) {
            Evaluation e = new Evaluator(net, 256).evaluate(test);
            out.println(Double.isNaN(e.accuracy())
                    ? String.format(Locale.ROOT, "test loss %.4f (%,d samples)", e.loss(), e.samples())
                    : String.format(Locale.ROOT, "test accuracy %.2f %% (loss %.4f, %,d samples)", 100 * e.accuracy(),
                    e.loss(), e.samples()));
        } else {
            out.println("no test set (pass --test-csv FILE to evaluate one)");
        }
        double wall = (System.nanoTime() - wallStart) / 1e9;
        out.println(String.format(Locale.ROOT, "wall time %.1f s, training %.1f s, %,.0f samples/s", wall, trainSeconds,
                trainSeconds > 0 ? samples / trainSeconds : 0));
        out.println("model saved to " + output + (history != null ? ", history to " + history : "")
                + (chart != null ? ", chart to " + chart : "") + (checkpoint != null ? ", checkpoint " + checkpoint : ""));
        out.flush();
        return 0;
    }

    private void writeHistory(History h) throws IOException {
        if (h.size() == 0) {
            return;
        }
        if (history != null) {
            h.writeCsv(history);
        }
        if (chart != null) {
            h.writeChart(chart);
        }
    }

    private void validateOptions() {
        try {
            Loss.fromId(loss);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
        if (activations != null) {
            for (String a : activations) {
                try {
                    Activation.fromId(a);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "--activations: "
                            + e.getMessage().replaceFirst("^activation: ", ""));
                }
            }
        }
        if (layers != null) {
            for (int w : layers) {
                positive("--layers", w);
            }
        }
        if (data.isCsv() && data.dataDir != null) {
            throw new ParameterException(spec.commandLine(), "--csv and --data: give one data source, not both");
        }
        if (patience > 0 && !(validationSplit > 0)) {
            throw new ParameterException(spec.commandLine(), "--patience: early stopping needs --validation-split "
                    + "(a fraction such as 0.1), got none");
        }
        if (validationSplit < 0 || validationSplit >= 1) {
            throw new ParameterException(spec.commandLine(), "--validation-split: expected a fraction in [0, 1), got "
                    + validationSplit);
        }
        positive("--batch-size", batchSize);
        positive("--epochs", epochs);
        if (threads != null) {
            positive("--threads", threads);
        }
        if (patience < 0) {
            throw new ParameterException(spec.commandLine(), "--patience: expected >= 0, got " + patience);
        }
    }

    private void positive(String name, long v) {
        if (v <= 0) {
            throw new ParameterException(spec.commandLine(), name + ": expected a positive number, got " + v);
        }
    }

    private int csvFeatures() {
        if (data.features != null) {
            positive("--features", data.features);
            if (layers != null && layers[0] != data.features) {
                throw new ParameterException(spec.commandLine(), "--features " + data.features + " and --layers "
                        + layers[0] + ",...: the first layer width must equal the number of features");
            }
            return data.features;
        }
        if (layers != null) {
            return layers[0];
        }
        throw new ParameterException(spec.commandLine(), "--csv: give --features N (the number of feature columns) "
                + "or --layers");
    }

    /** Classes of a classification CSV: the largest label + 1 (at least 2). */
    private static int classes(Dataset train, Dataset test) {
        int max = 1;
        for (Dataset d : test == null ? List.of(train) : List.of(train, test)) {
            if (d.targetWidth() == 1) {
                for (float t : d.targets()) {
                    max = Math.max(max, (int) t);
                }
            }
        }
        return max + 1;
    }

    private Network buildNetwork(int inputs, int classes) {
        Loss l = Loss.fromId(loss);
        int[] widths = layers != null ? layers : new int[] {inputs, 256, 128, classes};
        if (widths.length < 2) {
            throw new ParameterException(spec.commandLine(), "--layers: expected at least two widths (inputs and "
                    + "outputs), got " + Arrays.toString(widths));
        }
        if (widths[0] != inputs) {
            throw new ParameterException(spec.commandLine(), "--layers: expected the first width to be the number of "
                    + "input features " + inputs + ", got " + widths[0]);
        }
        int dense = widths.length - 1;
        if (l == Loss.CROSS_ENTROPY && widths[dense] < classes) {
            throw new ParameterException(spec.commandLine(), "--layers: the data has class labels up to "
                    + (classes - 1) + ", so the output layer needs at least " + classes + " units, got " + widths[dense]);
        }
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
            throw new ParameterException(spec.commandLine(), "--activations: expected " + dense + " names (one per "
                    + "dense layer of --layers " + join(widths) + ") or " + (dense - 1) + " (hidden layers only), got "
                    + activations.length);
        }
        Network.Builder b = Network.builder(widths[0]).loss(l).leakyReluSlope(leakySlope).seed(seed);
        for (int i = 0; i < dense; i++) {
            b.dense(widths[i + 1], acts[i]);
        }
        return b.build();
    }

    /** The optimizer from the options, through the library's one name/hyperparameter table. */
    private Optimizer buildOptimizer() {
        String name = optimizer.name().toLowerCase(Locale.ROOT);
        boolean sgd = optimizer == OptimizerKind.SGD;
        Map<String, String> given = new LinkedHashMap<>();
        given.put("lr", Double.toString(lr != null ? lr : sgd ? 0.1 : 0.001));
        given.put("momentum", Double.toString(momentum != null ? momentum : sgd ? 0.9 : 0));
        given.put("nesterov", Boolean.toString(nesterov));
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
        return Optimizer.create(name, hyperparameters);
    }

    private RunSettings resolveSettings(int batchesPerEpoch, double peakLr) {
        long total = (long) epochs * batchesPerEpoch;
        long warmup = Math.round(warmupEpochs * batchesPerEpoch);
        if (!spec.commandLine().getParseResult().hasMatchedOption("--warmup-epochs")) {
            warmup = Math.min(warmup, total / 10); // the default never takes more than a tenth of a short run
        }
        if (schedule == ScheduleKind.COSINE && (warmup < 0 || warmup >= total)) {
            throw new ParameterException(spec.commandLine(), "--warmup-epochs: expected at least 0 and fewer than the "
                    + epochs + " epochs, got " + warmupEpochs);
        }
        long stepSize = Math.max(1, Math.round(stepEpochs * batchesPerEpoch));
        if (schedule == ScheduleKind.STEP && !(stepEpochs > 0)) {
            throw new ParameterException(spec.commandLine(), "--step-epochs: expected a positive number, got "
                    + stepEpochs);
        }
        RunSettings s = new RunSettings(batchSize, epochs, seed, peakLr, schedule.name().toLowerCase(Locale.ROOT),
                warmup, total, stepSize, gamma, minLr, clipGradNorm != null ? clipGradNorm : 0, validationSplit,
                patience, maxIterations != null ? maxIterations : 0, targetLoss != null ? targetLoss : Double.NaN,
                gradTolerance != null ? gradTolerance : -1);
        s.learningRateSchedule(); // validates gamma, min-lr, ...
        return s;
    }

    static String describe(Network net) {
        StringBuilder sb = new StringBuilder().append(net.inputSize());
        for (int l = 0; l < net.layerCount(); l++) {
            sb.append('-').append(net.layout().outputs(l)).append('(').append(net.activation(l).id()).append(')');
        }
        return sb.append(' ').append(net.loss().id()).toString();
    }

    private static String describeSchedule(RunSettings s) {
        switch (s.schedule()) {
            case "cosine":
                return "cosine schedule (warm-up " + s.warmupSteps() + " steps, min lr " + s.minLr() + ")";
            case "step":
                return "step schedule (x" + s.gamma() + " every " + s.stepSize() + " steps)";
            default:
                return "constant lr";
        }
    }

    private static String reason(TrainingResult r) {
        switch (r.reason()) {
            case EARLY_STOPPING:
                return "early stopping after epoch " + r.epochs() + "; restored the best epoch " + r.bestEpoch()
                        + String.format(Locale.ROOT, " (validation loss %.4f)", r.bestValidationLoss());
            case MAX_EPOCHS:
                return "epoch budget reached (" + r.epochs() + (r.epochs() == 1 ? " epoch, " : " epochs, ") + r.iterations() + " steps)"
                        + (r.bestEpoch() > 0 ? String.format(Locale.ROOT, "; best validation loss %.4f at epoch %d",
                        r.bestValidationLoss(), r.bestEpoch()) : "");
            case MAX_ITERATIONS:
                return "iteration budget reached (" + r.iterations() + " steps, epoch " + r.epochs() + ")";
            case TARGET_LOSS:
                return String.format(Locale.ROOT, "target loss reached (%.4g at epoch %d)", r.loss(), r.epochs());
            case GRADIENT_TOLERANCE:
                return String.format(Locale.ROOT, "gradient norm %.3g below the tolerance (epoch %d, step %d)",
                        r.gradientNorm(), r.epochs(), r.iterations());
            default:
                return r.reason().toString();
        }
    }

    private static String join(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }
}
