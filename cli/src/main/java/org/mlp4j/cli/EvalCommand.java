package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mlp4j.Dataset;
import org.mlp4j.Evaluation;
import org.mlp4j.Evaluator;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.io.Csv;
import org.mlp4j.io.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mlp4j eval}: loss, accuracy and confusion matrix of a saved model on a labelled dataset. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Evaluate a saved model: loss, and for classifiers accuracy, the confusion matrix and per-class precision, "
                        + "recall and F1.",
                "Data: the MNIST test set (--data DIR, the repository's data/mnist, or the download cache), or a labelled CSV "
                        + "file (--csv; class names as the model was trained with)."},
        footer = {"", "Examples:", "  mlp4j eval --model model.safetensors --data ~/mnist",
                "  mlp4j eval --model iris.safetensors --csv iris-test.csv"})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = ModelSource.MODEL_HELP)
    Path model;

    @Mixin
    ModelSource modelSource = new ModelSource();

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256", description = "Default ${DEFAULT-VALUE}.")
    int batchSize;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (data.isCsv() && data.dataDir != null) {
            throw new ParameterException(spec.commandLine(), "--csv and --data: give one data source, not both");
        }
        if (batchSize <= 0) {
            throw new ParameterException(spec.commandLine(), "--batch-size: expected a positive number, got " + batchSize);
        }
        Network net = modelSource.load(model, spec.commandLine());
        Map<String, String> meta = ModelFiles.loadMetadata(model);
        List<String> classNames = meta.containsKey(TrainRun.CLASS_NAMES_KEY)
                ? List.of(meta.get(TrainRun.CLASS_NAMES_KEY).split("\n", -1)) : List.of();
        FeatureScaling scaling = FeatureScaling.fromMetadata(meta, net.inputSize(), model.toString());
        Dataset d;
        String name;
        if (data.isCsv()) {
            if (data.features != null && data.features != net.inputSize()) {
                throw new ParameterException(spec.commandLine(), "--features: the model expects " + net.inputSize()
                        + " features, got " + data.features);
            }
            if (net.loss() == Loss.CROSS_ENTROPY) {
                d = Csv.readClassification(data.csv, net.inputSize(), classNames).data();
            } else {
                d = Csv.readRegression(data.csv, net.inputSize(), net.outputSize());
            }
            name = data.csv.toString();
        } else {
            DataOptions.Loaded loaded = data.mnist(out);
            d = loaded.mnist().test();
            name = "MNIST test set from " + loaded.source();
            if (net.inputSize() != d.featureCount()) {
                throw new ParameterException(spec.commandLine(), "--model: " + model + " expects " + net.inputSize()
                        + " inputs, MNIST images have " + d.featureCount() + " pixels");
            }
        }
        if (scaling != null) {
            d = scaling.apply(d);
        }
        Evaluation e = new Evaluator(net, (int) Math.min(batchSize, d.size())).evaluate(d);
        out.println("model    " + model + ": " + TrainCommand.describe(net)
                + (scaling != null ? " (standardized inputs)" : ""));
        out.println("data     " + name);
        out.println(String.format(Locale.ROOT, "samples  %,d", e.samples()));
        out.println(String.format(Locale.ROOT, "loss     %.6f", e.loss()));
        if (e.confusion() != null) {
            out.println(String.format(Locale.ROOT, "accuracy %.2f %%", 100 * e.accuracy()));
            out.println();
            out.print(confusionTable(e.confusion()));
            if (!classNames.isEmpty()) {
                StringBuilder legend = new StringBuilder("classes:");
                for (int i = 0; i < classNames.size(); i++) {
                    legend.append(i == 0 ? " " : ", ").append(i).append(' ').append(classNames.get(i));
                }
                out.println(legend);
            }
            out.println();
            out.print(classReport(e.confusion(), classNames));
        }
        out.flush();
        return 0;
    }

    /**
     * Precision, recall, F1 and support of every class, then their macro average (unweighted mean over the
     * classes that occur) and the support-weighted average, as scikit-learn's classification_report prints them.
     * A class never predicted has precision 0 (reported as such, not NaN).
     */
    static String classReport(long[][] m, List<String> names) {
        int k = m.length;
        int nameWidth = 5;
        for (int i = 0; i < k; i++) {
            nameWidth = Math.max(nameWidth, label(i, names).length());
        }
        nameWidth = Math.max(nameWidth, "weighted avg".length());
        String fmt = "%" + nameWidth + "s  %9.4f  %9.4f  %9.4f  %,9d%n";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%" + nameWidth + "s  %9s  %9s  %9s  %9s%n",
                "class", "precision", "recall", "f1", "support"));
        double[] macro = new double[3];
        double[] weighted = new double[3];
        int present = 0;
        long total = 0;
        for (int i = 0; i < k; i++) {
            long tp = m[i][i];
            long actual = 0;
            long predicted = 0;
            for (int j = 0; j < k; j++) {
                actual += m[i][j];
                predicted += m[j][i];
            }
            double p = predicted == 0 ? 0 : (double) tp / predicted;
            double r = actual == 0 ? 0 : (double) tp / actual;
            double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
            if (actual == 0 && predicted == 0) {
                continue; // a class of the output layer that this data never uses
            }
            sb.append(String.format(Locale.ROOT, fmt, label(i, names), p, r, f1, actual));
            present++;
            total += actual;
            macro[0] += p;
            macro[1] += r;
            macro[2] += f1;
            weighted[0] += p * actual;
            weighted[1] += r * actual;
            weighted[2] += f1 * actual;
        }
        if (present > 0) {
            sb.append(String.format(Locale.ROOT, fmt, "macro avg", macro[0] / present, macro[1] / present,
                    macro[2] / present, total));
            sb.append(String.format(Locale.ROOT, fmt, "weighted avg", weighted[0] / Math.max(1, total),
                    weighted[1] / Math.max(1, total), weighted[2] / Math.max(1, total), total));
        }
        return sb.toString();
    }

    private static String label(int i, List<String> names) {
        return i < names.size() ? names.get(i) : Integer.toString(i);
    }

    /** The confusion matrix with per-class recall, rows = true class, columns = predicted class. */
    static String confusionTable(long[][] m) {
        int k = m.length;
        long max = 1;
        for (long[] row : m) {
            for (long v : row) {
                max = Math.max(max, v);
            }
        }
        int w = Math.max(Long.toString(max).length(), Integer.toString(k - 1).length()) + 1;
        StringBuilder sb = new StringBuilder("confusion matrix (rows: true class, columns: predicted class)\n");
        sb.append(String.format(Locale.ROOT, "%" + (w + 5) + "s", "true\\pred"));
        for (int j = 0; j < k; j++) {
            sb.append(String.format(Locale.ROOT, "%" + (w + 1) + "d", j));
        }
        sb.append("   recall\n");
        for (int i = 0; i < k; i++) {
            sb.append(String.format(Locale.ROOT, "%" + (w + 5) + "d", i));
            long total = 0;
            for (int j = 0; j < k; j++) {
                sb.append(String.format(Locale.ROOT, "%" + (w + 1) + "d", m[i][j]));
                total += m[i][j];
            }
            sb.append(total == 0 ? "        -" : String.format(Locale.ROOT, "  %6.2f%%", 100.0 * m[i][i] / total));
            sb.append('\n');
        }
        return sb.toString();
    }
}
