package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Workspace;
import org.mlp4j.io.Csv;
import org.mlp4j.io.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mlp4j predict}: runs a saved model on the rows of a CSV file. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Run a saved model on a CSV file of feature rows and write the predictions as CSV.",
                "Input: one row per sample with exactly as many numeric columns as the model has inputs (an optional "
                        + "header line is skipped). Output for classifiers: 'class' (the predicted class) followed "
                        + "by one probability column per class ('p0', 'p1', ...); a model trained on named classes "
                        + "writes 'label' (the class name) first and names the probability columns after the classes; "
                        + "otherwise one column per output ('y0', 'y1', ...). Inputs are standardized as in training "
                        + "when the model was trained with --standardize."},
        footer = {"", "Example:", "  mlp4j predict --model model.safetensors --input digits.csv --output predictions.csv"})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = ModelSource.MODEL_HELP)
    Path model;

    @Mixin
    ModelSource modelSource = new ModelSource();

    @Option(names = {"-i", "--input"}, paramLabel = "FILE", required = true, description = "CSV file of feature rows.")
    Path input;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true,
            description = "CSV file to write (replaced atomically).")
    Path output;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256", description = "Default ${DEFAULT-VALUE}.")
    int batchSize;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (batchSize <= 0) {
            throw new ParameterException(spec.commandLine(), "--batch-size: expected a positive number, got " + batchSize);
        }
        String problem = OutputPaths.problem(output);
        if (problem != null) {
            throw new ParameterException(spec.commandLine(), "-o/--output: cannot write " + output + ": " + problem);
        }
        Network net = modelSource.load(model, spec.commandLine());
        Map<String, String> meta = ModelFiles.loadMetadata(model);
        List<String> classNames = meta.containsKey(TrainRun.CLASS_NAMES_KEY)
                ? List.of(meta.get(TrainRun.CLASS_NAMES_KEY).split("\n", -1)) : List.of();
        FeatureScaling scaling = FeatureScaling.fromMetadata(meta, net.inputSize(), model.toString());
        Csv.Table table = Csv.readFeatures(input);
        int in = net.inputSize();
        if (table.columns() != in) {
            throw new IllegalArgumentException(input + ": expected " + in + " feature columns (the inputs of " + model
                    + "), got " + table.columns() + (table.columns() == in + 1 ? " (remove the label column)" : ""));
        }
        int rows = table.rows();
        int outs = net.outputSize();
        float[] x = table.values();
        if (scaling != null) {
            scaling.applyInPlace(x);
        }
        float[] y = new float[Math.multiplyExact(rows, outs)];
        // Buffers follow the data, not the option: a batch larger than the file is the whole file.
        int batch = Math.min(batchSize, rows);
        if ((long) batch * Math.max(in, widest(net)) > TrainCommand.MAX_ARRAY) {
            batch = (int) (TrainCommand.MAX_ARRAY / Math.max(in, widest(net)));
        }
        Workspace ws = net.newWorkspace(batch);
        float[] chunkIn = new float[batch * in];
        float[] chunkOut = new float[batch * outs];
        for (int from = 0; from < rows; from += batch) {
            int n = Math.min(batch, rows - from);
            System.arraycopy(x, from * in, chunkIn, 0, n * in);
            net.predictBatch(chunkIn, n, chunkOut, ws);
            System.arraycopy(chunkOut, 0, y, from * outs, n * outs);
        }
        List<String> header = new ArrayList<>();
        float[] values;
        int columns;
        Loss loss = net.loss();
        Activation last = net.activation(net.layerCount() - 1);
        if (loss == Loss.CROSS_ENTROPY) {
            columns = outs + 1;
            header.add("class");
            for (int j = 0; j < outs; j++) {
                header.add("p" + j);
            }
            values = new float[rows * columns];
            for (int r = 0; r < rows; r++) {
                int best = 0;
                for (int j = 1; j < outs; j++) {
                    if (y[r * outs + j] > y[r * outs + best]) {
                        best = j;
                    }
                }
                values[r * columns] = best;
                if (last == Activation.SOFTMAX) {
                    System.arraycopy(y, r * outs, values, r * columns + 1, outs);
                } else {
                    net.toProbabilities(y, r * outs, values, r * columns + 1);
                }
            }
        } else if ((loss == Loss.BCE || loss == Loss.BCE_WITH_LOGITS) && outs == 1) {
            columns = 2;
            header.add("class");
            header.add("p1");
            values = new float[rows * 2];
            for (int r = 0; r < rows; r++) {
                float p = last == Activation.SIGMOID ? y[r] : (float) (1 / (1 + Math.exp(-y[r])));
                values[r * 2] = p > 0.5f ? 1 : 0;
                values[r * 2 + 1] = p;
            }
        } else {
            columns = outs;
            for (int j = 0; j < outs; j++) {
                header.add("y" + j);
            }
            values = y;
            if (loss == Loss.BCE_WITH_LOGITS && last == Activation.IDENTITY) {
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (1 / (1 + Math.exp(-values[i])));
                }
            }
        }
        if (!classNames.isEmpty() && loss == Loss.CROSS_ENTROPY) {
            // Class names back: a 'label' column first, probability columns named after the classes.
            List<String> labels = new ArrayList<>(rows);
            for (int r = 0; r < rows; r++) {
                int c = (int) values[r * columns];
                labels.add(c < classNames.size() ? classNames.get(c) : Integer.toString(c));
            }
            List<String> named = new ArrayList<>(List.of("label", "class"));
            for (int j = 0; j < outs; j++) {
                named.add("p_" + (j < classNames.size() && headerSafe(classNames.get(j))
                        ? classNames.get(j) : Integer.toString(j)));
            }
            Csv.write(output, named, labels, values, columns);
        } else {
            Csv.write(output, header, values, columns);
        }
        out.println(String.format(Locale.ROOT, "wrote %,d predictions to %s", rows, output));
        out.flush();
        return 0;
    }

    /** Whether a class name can be part of a CSV header name as written (no separators, quotes or blanks). */
    private static boolean headerSafe(String name) {
        return !name.isBlank() && name.strip().equals(name)
                && name.chars().noneMatch(ch -> ch == ',' || ch == '"' || ch == '\n' || ch == '\r');
    }

    private static int widest(Network net) {
        int w = net.inputSize();
        for (int l = 0; l < net.layerCount(); l++) {
            w = Math.max(w, net.layout().outputs(l));
        }
        return w;
    }
}
