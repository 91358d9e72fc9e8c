package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mlp4j.Dataset;
import org.mlp4j.Evaluation;
import org.mlp4j.Evaluator;
import org.mlp4j.Network;
import org.mlp4j.io.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mlp4j eval}: loss, accuracy and confusion matrix of a saved model on a labelled dataset. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Evaluate a saved model: loss, and for classifiers accuracy and the confusion matrix.",
                "Data: the MNIST test set (--data DIR, or the download cache), or a labelled CSV file (--csv)."},
        footer = {"", "Examples:", "  mlp4j eval --model model.safetensors --data ~/mnist",
                "  mlp4j eval --model iris.safetensors --csv iris-test.csv"})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true,
            description = "Model file (safetensors, from 'mlp4j train' or PyTorch).")
    Path model;

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
        Network net = ModelFiles.load(model);
        Dataset d;
        String name;
        if (data.isCsv()) {
            if (data.features != null && data.features != net.inputSize()) {
                throw new ParameterException(spec.commandLine(), "--features: the model expects " + net.inputSize()
                        + " features, got " + data.features);
            }
            d = DataOptions.readCsv(data.csv, net.inputSize(), net.loss(), net.outputSize());
            name = data.csv.toString();
        } else {
            d = data.mnist(out).test();
            name = "MNIST test set";
            if (net.inputSize() != d.featureCount()) {
                throw new ParameterException(spec.commandLine(), "--model: " + model + " expects " + net.inputSize()
                        + " inputs, MNIST images have " + d.featureCount() + " pixels");
            }
        }
        Evaluation e = new Evaluator(net, batchSize).evaluate(d);
        out.println("model    " + model + ": " + TrainCommand.describe(net));
        out.println("data     " + name);
        out.println(String.format(Locale.ROOT, "samples  %,d", e.samples()));
        out.println(String.format(Locale.ROOT, "loss     %.6f", e.loss()));
        if (e.confusion() != null) {
            out.println(String.format(Locale.ROOT, "accuracy %.2f %%", 100 * e.accuracy()));
            out.println();
            out.print(confusionTable(e.confusion()));
        }
        out.flush();
        return 0;
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
