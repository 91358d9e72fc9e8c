package org.mlp4j;

import java.util.Objects;
import org.mlp4j.internal.engine.Buffers;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.engine.LossHead;
import org.mlp4j.internal.engine.Model;

/**
 * Computes a network's loss, accuracy and confusion matrix over a dataset in mini-batches, reusing its
 * buffers across calls (used by {@link Trainer} for validation, and by applications for test sets). One
 * evaluator belongs to one thread; the network must not be trained concurrently.
 *
 * <pre>{@code
 * Evaluation e = new Evaluator(net, 256).evaluate(test);
 * System.out.printf("loss %.4f, accuracy %.2f%%%n", e.loss(), 100 * e.accuracy());
 * }</pre>
 */
public final class Evaluator {
    private final Network net;
    private final int batchSize;
    private Buffers buffers; // sized by min(batchSize, data size) at the first evaluation, grown if needed

    /**
     * An evaluator of {@code network} that runs the data in forward passes of {@code batchSize} samples.
     *
     * @param network   the network to evaluate (its current parameters are read at every call)
     * @param batchSize samples per forward pass ({@code > 0}); results do not depend on it beyond rounding.
     *                  Buffers hold {@code min(batchSize, data size)} samples, so a large value costs
     *                  nothing beyond the data
     */
    public Evaluator(Network network, int batchSize) {
        this.net = Objects.requireNonNull(network, "network");
        this.batchSize = Checks.positive("batchSize", batchSize);
    }

    /**
     * The network being evaluated.
     *
     * @return the network given to the constructor
     */
    public Network network() {
        return net;
    }

    /**
     * True when the network is a classifier, so {@link Evaluation#accuracy()} and the confusion matrix exist.
     *
     * @param network the network to check
     * @return whether the network's loss and output width make it a classifier
     */
    public static boolean isClassifier(Network network) {
        return LossHead.isClassifier(network.loss(), network.outputSize());
    }

    /**
     * Evaluates the network on every sample of {@code data}.
     *
     * @param data the samples, of the network's input and target widths
     * @return the mean loss, accuracy and confusion matrix over all of {@code data}
     * @throws IllegalArgumentException if the dataset is empty, does not fit the network or holds bad values
     */
    public Evaluation evaluate(Dataset data) {
        Objects.requireNonNull(data, "data");
        if (data.featureCount() != net.inputSize()) {
            throw new IllegalArgumentException("data: expected " + net.inputSize() + " features per sample, got "
                    + data.featureCount());
        }
        if (data.targetWidth() != net.targetWidth()) {
            throw new IllegalArgumentException("data: expected " + net.targetWidth() + " target values per sample"
                    + (net.loss() == Loss.CROSS_ENTROPY ? " (a class index)" : "") + ", got " + data.targetWidth());
        }
        int n = data.size();
        if (n == 0) {
            throw new IllegalArgumentException("data: expected at least one sample, got none");
        }
        Checks.finite("data features", data.features(), 0, data.features().length);
        LossHead.checkTargets(net.loss(), data.targets(), 0, n, net.outputSize());
        Model model = net.model();
        int rows = Math.min(batchSize, n);
        if (buffers == null || buffers.capacity() < rows) {
            buffers = new Buffers(model.layout(), rows, Buffers.Use.EVALUATION);
        }
        boolean classifier = model.isClassifier();
        int out = net.outputSize();
        int classes = LossHead.classes(net.loss(), out);
        long[][] confusion = classifier ? new long[classes][classes] : null;
        float[] logits = buffers.preActivations(net.layerCount() - 1);
        int tw = net.targetWidth();
        float[] x = data.features();
        float[] t = data.targets();
        double sum = 0;
        long correct = 0;
        for (int from = 0; from < n; from += rows) {
            int count = Math.min(rows, n - from);
            model.forward(x, from * net.inputSize(), count, buffers, 0, null, 0);
            sum = model.lossSum(sum, buffers, count, t, from * tw, from);
            if (classifier) {
                for (int b = 0; b < count; b++) {
                    int actual = LossHead.actualClass(net.loss(), t[(from + b) * tw]);
                    int predicted = LossHead.predictedClass(logits, b * out, out);
                    confusion[actual][predicted]++;
                    correct += actual == predicted ? 1 : 0;
                }
            }
        }
        double loss = sum * LossHead.meanFactor(net.loss(), n, out);
        return new Evaluation(loss, classifier ? (double) correct / n : Double.NaN, n, confusion);
    }
}
