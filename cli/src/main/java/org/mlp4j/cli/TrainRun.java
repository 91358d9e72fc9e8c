package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
import org.mlp4j.io.CheckpointListener;
import org.mlp4j.io.Csv;
import org.mlp4j.io.Mnist;
import org.mlp4j.io.ModelFiles;
import org.mlp4j.io.TrainingCheckpoint;

/**
 * One {@code mlp4j train} run: where the data comes from (options, or a checkpoint being resumed), the data
 * itself, the network, optimizer and settings, and the training loop with its listeners.
 */
final class TrainRun {
    /** Test accuracy whose first epoch the summary reports (the MNIST target of the default recipe). */
    static final double TARGET_ACCURACY = 0.98;
    /** Metadata key of the class names (one per line). */
    static final String CLASS_NAMES_KEY = "class_names";
    /** Batch size of the per-epoch and final evaluations. */
    static final int EVAL_BATCH = 256;

    /** What a finished run reports. */
    record Outcome(TrainingResult result, double trainSeconds, long samples, Evaluation test,
                   int targetEpoch, double targetSeconds, int warmupSteps) {
    }

    final TrainCommand cmd;
    final PrintWriter out;
    final PrintWriter err;
    final long processStart;
    TrainingCheckpoint ckpt;
    History history = new History();
    Dataset train;
    Dataset validation;
    Dataset test;
    String dataName;
    final Map<String, String> dataSource = new LinkedHashMap<>();
    List<String> classNames = List.of();
    FeatureScaling scaling;
    Network net;
    Optimizer opt;
    RunSettings settings;
    int batch;
    Warmup warmup;

    private TrainRun(TrainCommand cmd, long processStart) {
        this.cmd = cmd;
        this.out = cmd.spec.commandLine().getOut();
        this.err = cmd.spec.commandLine().getErr();
        this.processStart = processStart;
    }

    static TrainRun prepare(TrainCommand cmd, long processStart) throws IOException {
        TrainRun r = new TrainRun(cmd, processStart);
        r.loadCheckpoint();
        r.loadData();
        r.resolve();
        return r;
    }

    private void loadCheckpoint() throws IOException {
        if (cmd.resume == null) {
            return;
        }
        List<String> ignored = new ArrayList<>();
        for (String name : TrainCommand.RUN_OPTIONS) {
            if (cmd.given(name)) {
                ignored.add(name);
            }
        }
        if (!ignored.isEmpty()) {
            throw cmd.usage(String.join(", ", ignored) + ": a resumed run keeps the settings stored in " + cmd.resume
                    + "; only --epochs and the data, file and progress options may be given with --resume");
        }
        ckpt = ModelFiles.loadCheckpoint(cmd.resume);
        history = History.decode(ckpt.metadata().get("history"));
    }

    // ---------------------------------------------------------------------------------------------- data

    private void loadData() throws IOException {
        Map<String, String> stored = ckpt != null ? ckpt.metadata() : Map.of();
        boolean dataGiven = TrainCommand.DATA_OPTIONS.stream().anyMatch(cmd::given);
        Path csv = cmd.data.csv;
        Path testCsv = cmd.testCsv;
        Path mnistDir = cmd.data.dataDir;
        if (ckpt != null && !dataGiven && stored.containsKey("data.kind")) {
            // The checkpoint remembers its data: a CSV run resumed without --csv stays a CSV run.
            csv = pathOrNull(stored.get("data.csv"));
            testCsv = pathOrNull(stored.get("data.test_csv"));
            mnistDir = pathOrNull(stored.get("data.mnist_dir"));
            out.println("  data as stored in " + cmd.resume);
        } else if (ckpt != null && stored.containsKey("data.kind")) {
            boolean wasCsv = "csv".equals(stored.get("data.kind"));
            if (wasCsv != (csv != null)) {
                throw cmd.usage((csv != null ? "--csv" : "--data") + ": " + cmd.resume + " was trained on "
                        + (wasCsv ? "CSV data (" + stored.get("data.csv") + ")" : "MNIST")
                        + "; resume it on the same kind of data, or give no data option to use the stored one");
            }
        }
        if (csv != null) {
            loadCsv(csv, testCsv, stored);
        } else {
            if (testCsv != null) {
                throw cmd.usage("--test-csv: only with --csv (MNIST has a test set)");
            }
            loadMnist(mnistDir);
        }
    }

    private static Path pathOrNull(String s) {
        return s == null || s.isEmpty() ? null : Paths.get(s);
    }

    private void loadCsv(Path csv, Path testCsv, Map<String, String> stored) throws IOException {
        int features = ckpt != null ? ckpt.network().inputSize() : cmd.csvFeatures();
        Loss l = ckpt != null ? ckpt.network().loss() : Loss.fromId(cmd.loss);
        int outputs = ckpt != null ? ckpt.network().outputSize()
                : cmd.layers != null ? cmd.layers[cmd.layers.length - 1] : -1;
        if (l == Loss.CROSS_ENTROPY) {
            List<String> names = ckpt != null && stored.get(CLASS_NAMES_KEY) != null
                    ? List.of(stored.get(CLASS_NAMES_KEY).split("\n", -1)) : List.of();
            Csv.Labelled t = Csv.readClassification(csv, features, names);
            train = t.data();
            classNames = t.classNames();
            if (testCsv != null) {
                test = Csv.readClassification(testCsv, features, classNames).data();
            }
        } else {
            if (outputs < 0) {
                throw cmd.usage("--layers: required with --csv and loss " + l.id()
                        + " (the output width is the number of target columns)");
            }
            train = Csv.readRegression(csv, features, outputs);
            if (testCsv != null) {
                test = Csv.readRegression(testCsv, features, outputs);
            }
        }
        dataName = csv + String.format(Locale.ROOT, " (%,d samples", train.size())
                + (test != null ? String.format(Locale.ROOT, ", test %,d", test.size()) : "")
                + (classNames.isEmpty() ? "" : ", classes " + String.join(" ", classNames)) + ")";
        dataSource.put("data.kind", "csv");
        dataSource.put("data.csv", csv.toAbsolutePath().toString());
        dataSource.put("data.test_csv", testCsv != null ? testCsv.toAbsolutePath().toString() : "");
        batch = defaultBatch(train.size());
        if (ckpt != null) {
            net = ckpt.network();
        } else {
            int classes = l == Loss.CROSS_ENTROPY ? classes(train, test, classNames) : 0;
            net = cmd.buildNetwork(features, classes, Math.min(batch, train.size()));
        }
    }

    private void loadMnist(Path dir) throws IOException {
        int mnistTrain = 60_000;
        batch = cmd.batchSize != null ? cmd.batchSize : TrainCommand.DEFAULT_BATCH;
        if (ckpt != null) {
            net = ckpt.network();
        } else {
            int inputs = cmd.layers != null ? cmd.layers[0] : 28 * 28;
            net = cmd.buildNetwork(inputs, Mnist.CLASSES, Math.min(batch, mnistTrain));
        }
        if (cmd.warmupJit) {
            // The standard training set: 60,000 images less the validation split.
            int n = (int) Math.round(mnistTrain * (1 - cmd.validationSplit));
            int b = Math.min(ckpt != null ? Integer.parseInt(ckpt.metadata().getOrDefault("batch_size", "128")) : batch,
                    n);
            Optimizer o = ckpt != null ? Optimizer.sgd(0.01).momentum(0.9) : cmd.buildOptimizer();
            warmup = new Warmup(net, o, b, n % b, EVAL_BATCH).start();
        }
        DataOptions.Loaded loaded;
        long loadStart = System.nanoTime();
        int warmSteps = 0;
        try {
            DataOptions d = new DataOptions();
            d.dataDir = dir;
            d.cacheDir = cmd.data.cacheDir;
            loaded = d.mnist(out);
        } finally {
            if (warmup != null) {
                warmSteps = warmup.finish();
            }
        }
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        train = loaded.mnist().train();
        test = loaded.mnist().test();
        dataName = String.format(Locale.ROOT, "MNIST (%,d train, %,d test) from %s, loaded in %.2f s%s", train.size(),
                test.size(), loaded.source(), loadSeconds, warmup != null
                        ? String.format(Locale.ROOT, " (JIT warm-up meanwhile: %d steps)", warmSteps) : "");
        dataSource.put("data.kind", "mnist");
        dataSource.put("data.mnist_dir", dir != null ? dir.toAbsolutePath().toString() : "");
    }

    /**
     * The default batch: 128, or for small data about an eighth of it (at least 16), so that a 150-row file
     * still takes several steps per epoch.
     */
    private int defaultBatch(int samples) {
        if (cmd.batchSize != null) {
            return cmd.batchSize;
        }
        return Math.max(16, Math.min(TrainCommand.DEFAULT_BATCH, Integer.highestOneBit(Math.max(1, samples / 8))));
    }

    /** Classes of a classification data set: the names, else the largest label + 1 (at least 2). */
    private static int classes(Dataset train, Dataset test, List<String> names) {
        if (!names.isEmpty()) {
            return Math.max(2, names.size());
        }
        int max = 1;
        for (Dataset d : test == null ? List.of(train) : List.of(train, test)) {
            for (float t : d.targets()) {
                max = Math.max(max, (int) t);
            }
        }
        return max + 1;
    }

    // ---------------------------------------------------------------------------------------------- settings

    private void resolve() throws IOException {
        if (net.inputSize() != train.featureCount()) {
            throw cmd.usage("--layers: the network expects " + net.inputSize() + " inputs but the data has "
                    + train.featureCount() + " features");
        }
        if (ckpt != null) {
            settings = RunSettings.fromMetadata(ckpt.metadata(), cmd.resume.toString());
            if (cmd.given("--epochs")) {
                settings = settings.withEpochs(cmd.epochs);
            }
            opt = ckpt.optimizer();
            batch = settings.batchSize();
        } else {
            opt = cmd.buildOptimizer();
        }
        double split = settings != null ? settings.validationSplit() : cmd.validationSplit;
        long splitSeed = settings != null ? settings.seed() : cmd.seed;
        if (split > 0) {
            Dataset[] parts = train.split(split, splitSeed);
            train = parts[0];
            validation = parts[1];
        }
        boolean scale = settings != null ? settings.standardize()
                : cmd.standardize != null ? cmd.standardize : cmd.data.isCsv();
        if (scale) {
            scaling = ckpt != null ? FeatureScaling.fromMetadata(ckpt.metadata(), net.inputSize(),
                    cmd.resume.toString()) : FeatureScaling.fit(train);
            if (scaling == null) {
                throw new IllegalArgumentException(cmd.resume + ": expected the standardization statistics of a "
                        + "--standardize run, they are missing");
            }
            train = scaling.apply(train);
            validation = validation != null ? scaling.apply(validation) : null;
            test = test != null ? scaling.apply(test) : null;
        }
        // A batch larger than the data is the whole data: the same steps, without buffers for samples never seen.
        int effectiveBatch = Math.min(batch, train.size());
        int batchesPerEpoch = (int) (((long) train.size() + effectiveBatch - 1) / effectiveBatch);
        if (settings == null) {
            int epochs = cmd.epochs != null ? cmd.epochs : cmd.data.isCsv()
                    ? Math.max(TrainCommand.MNIST_EPOCHS, Math.min(500,
                    (TrainCommand.SMALL_DATA_STEPS + batchesPerEpoch - 1) / batchesPerEpoch))
                    : TrainCommand.MNIST_EPOCHS;
            settings = cmd.resolveSettings(effectiveBatch, epochs, batchesPerEpoch, opt.learningRate());
        }
    }

    // ---------------------------------------------------------------------------------------------- training

    private Trainer.Builder trainerBuilder() {
        try {
            Trainer.Builder tb = Trainer.builder(net, opt).batchSize(settings.batchSize()).epochs(settings.epochs())
                    .seed(settings.seed()).schedule(settings.learningRateSchedule());
            if (cmd.threads != null) {
                tb.threads(cmd.threads);
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
            return tb;
        } catch (IllegalArgumentException e) {
            throw OptionNames.rename(cmd.spec.commandLine(), e);
        }
    }

    /** Entries stored with the model (and the checkpoint): class names and feature scaling. */
    Map<String, String> modelMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        if (!classNames.isEmpty()) {
            m.put(CLASS_NAMES_KEY, String.join("\n", classNames));
        }
        if (scaling != null) {
            scaling.toMetadata(m);
        }
        return m;
    }

    Outcome fit() throws IOException {
        Trainer.Builder tb = trainerBuilder();
        Progress bar = new Progress(cmd.progress, out, err, settings.epochs(), train.size());
        Evaluator testEval = test != null && cmd.testEveryEpoch ? new Evaluator(net, EVAL_BATCH) : null;
        int firstEpoch = history.size();
        double[] target = {Double.NaN};
        int[] targetEpoch = {0};
        for (int i = 0; i < history.size(); i++) {
            if (targetEpoch[0] == 0 && history.testAccuracy(i) >= TARGET_ACCURACY) {
                targetEpoch[0] = (int) history.epoch(i);
            }
        }
        CheckpointListener saver = cmd.checkpoint == null ? null : new CheckpointListener(cmd.checkpoint, stats -> {
            Map<String, String> meta = new LinkedHashMap<>(settings.toMetadata());
            meta.putAll(dataSource);
            meta.putAll(modelMetadata());
            meta.put("history", history.encode());
            return meta;
        });
        tb.listener(new TrainingListener() {
            @Override
            public boolean onBatch(BatchStats stats) {
                return bar.onBatch(stats);
            }

            @Override
            public boolean onEpoch(EpochStats stats) {
                double testLoss = Double.NaN;
                double testAcc = Double.NaN;
                if (testEval != null) {
                    Evaluation e = testEval.evaluate(test);
                    testLoss = e.loss();
                    testAcc = e.accuracy();
                    if (targetEpoch[0] == 0 && testAcc >= TARGET_ACCURACY) {
                        targetEpoch[0] = stats.epoch();
                        target[0] = (System.nanoTime() - processStart) / 1e9;
                    }
                }
                history.add(stats, testLoss, testAcc);
                bar.onEpoch(stats, testLoss, testAcc);
                return saver == null || saver.onEpoch(stats);
            }
        });

        out.println("mlp4j train: " + TrainCommand.describe(net) + ", "
                + String.format(Locale.ROOT, "%,d", net.parameterCount()) + " parameters, kernels " + net.kernelName());
        out.println("  optimizer " + opt.id() + " " + opt.hyperparameters() + ", " + describeSchedule(settings)
                + ", batch " + settings.batchSize() + ", " + settings.epochs()
                + (settings.epochs() == 1 ? " epoch" : " epochs")
                + (settings.clipNorm() > 0 ? ", clip " + settings.clipNorm() : "")
                + (scaling != null ? ", standardized features" : ""));
        out.println("  data " + dataName + (validation != null ? String.format(Locale.ROOT,
                ", validation %,d held out", validation.size()) + (settings.patience() > 0
                ? ", early stopping patience " + settings.patience() : "") : ""));
        out.flush();

        TrainingResult result;
        try (Trainer trainer = tb.build()) {
            if (saver != null) {
                saver.attach(trainer);
            }
            if (ckpt != null) {
                ckpt.restoreInto(trainer);
                out.println("  resumed from " + cmd.resume + " after epoch " + ckpt.completedEpochs() + " ("
                        + ckpt.iterations() + " steps)");
            }
            try {
                result = trainer.fit(train);
            } catch (TrainingDivergedException e) {
                bar.finish();
                writeHistory(0);
                boolean finite = true;
                for (float v : net.parameters()) {
                    finite &= Float.isFinite(v);
                }
                if (finite) {
                    ModelFiles.save(net, cmd.output, modelMetadata());
                    err.println("train: the last finite parameters (before the failing step) were saved to "
                            + cmd.output);
                } else {
                    err.println("train: the parameters are no longer finite; no model was saved");
                }
                throw e;
            } catch (UncheckedIOException e) {
                bar.finish();
                throw e.getCause();
            }
        }
        ModelFiles.save(net, cmd.output, modelMetadata());
        writeHistory(result.bestEpoch());

        double trainSeconds = 0;
        long samples = 0;
        for (int i = firstEpoch; i < history.size(); i++) {
            trainSeconds += history.seconds(i);
            samples += history.samples(i);
        }
        Evaluation e = test != null ? new Evaluator(net, EVAL_BATCH).evaluate(test) : null;
        return new Outcome(result, trainSeconds, samples, e, targetEpoch[0], target[0],
                warmup != null ? warmup.finish() : 0);
    }

    /** Writes the history CSV and chart; {@code bestEpoch} (0: none) is marked on the chart. */
    private void writeHistory(int bestEpoch) throws IOException {
        if (history.size() == 0) {
            return;
        }
        if (cmd.history != null) {
            history.writeCsv(cmd.history);
        }
        if (cmd.chart != null) {
            history.writeChart(cmd.chart, bestEpoch);
        }
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
}
