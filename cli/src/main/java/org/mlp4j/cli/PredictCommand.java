package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Workspace;
import org.mlp4j.io.Csv;
import org.mlp4j.io.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mlp4j predict}: runs a saved model on the rows of a CSV file. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Run a saved model on a CSV file of feature rows and write the predictions as CSV.",
                "Input: one row per sample with exactly as many numeric columns as the model has inputs (an optional "
                        + "header line is skipped). Output for classifiers: 'class' (the predicted class) followed "
                        + "by one probability column per class ('p0', 'p1', ...); otherwise one column per output "
                        + "('y0', 'y1', ...)."},
        footer = {"", "Example:", "  mlp4j predict --model model.safetensors --input digits.csv --output predictions.csv"})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "Model file (safetensors).")
    Path model;

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
        Network net = ModelFiles.load(model);
        Csv.Table table = Csv.readFeatures(input);
        int in = net.inputSize();
        if (table.columns() != in) {
            throw new IllegalArgumentException(input + ": expected " + in + " feature columns (the inputs of " + model
                    + "), got " + table.columns() + (table.columns() == in + 1 ? " (remove the label column)" : ""));
        }
        int rows = table.rows();
        int outs = net.outputSize();
        float[] x = table.values();
        float[] y = new float[rows * outs];
        Workspace ws = net.newWorkspace(batchSize);
        float[] chunkIn = new float[batchSize * in];
        float[] chunkOut = new float[batchSize * outs];
        for (int from = 0; from < rows; from += batchSize) {
            int n = Math.min(batchSize, rows - from);
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
        Csv.write(output, header, values, columns);
        out.println(String.format(Locale.ROOT, "wrote %,d predictions to %s", rows, output));
        out.flush();
        return 0;
    }
}
