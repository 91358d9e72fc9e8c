package org.mlp4j;

import java.util.Objects;

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
    private final float[][] zs;
    private final float[][] acts;

    /**
     * @param network   the network to evaluate (its current parameters are read at every call)
     * @param batchSize samples per forward pass ({@code > 0}); results do not depend on it beyond rounding
     */
    public Evaluator(Network network, int batchSize) {
        this.net = Objects.requireNonNull(network, "network");
        this.batchSize = Checks.positive("batchSize", batchSize);
        ParameterLayout layout = net.layout();
        zs = new float[layout.layerCount()][];
        acts = new float[layout.layerCount()][];
        for (int l = 0; l < zs.length; l++) {
            zs[l] = new float[batchSize * layout.outputs(l)];
            acts[l] = new float[batchSize * layout.outputs(l)];
        }
    }

    /** The network being evaluated. */
    public Network network() {
        return net;
    }

    /** True when the network is a classifier, so {@link Evaluation#accuracy()} and the confusion matrix exist. */
    public static boolean isClassifier(Network network) {
        Loss l = network.loss();
        return l == Loss.CROSS_ENTROPY || ((l == Loss.BCE || l == Loss.BCE_WITH_LOGITS) && network.outputSize() == 1);
    }

    /**
     * Evaluates the network on every sample of {@code data}.
     *
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
        Losses.checkTargets(net.loss(), data.targets(), 0, n, net.outputSize());
        boolean classifier = isClassifier(net);
        int out = net.outputSize();
        int classes = net.loss() == Loss.CROSS_ENTROPY ? out : 2;
        long[][] confusion = classifier ? new long[classes][classes] : null;
        int last = zs.length - 1;
        int tw = net.targetWidth();
        float[] x = data.features();
        float[] t = data.targets();
        double sum = 0;
        long correct = 0;
        for (int from = 0; from < n; from += batchSize) {
            int count = Math.min(batchSize, n - from);
            net.forwardBatch(x, from * net.inputSize(), count, zs, acts, null);
            for (int b = 0; b < count; b++) {
                int sample = from + b;
                sum += Losses.rowLoss(net.loss(), zs[last], acts[last], b * out, out, t, sample * tw, sample);
                if (classifier) {
                    int actual;
                    int predicted;
                    if (net.loss() == Loss.CROSS_ENTROPY) {
                        actual = (int) t[sample];
                        predicted = 0;
                        for (int j = 1; j < out; j++) {
                            if (zs[last][b * out + j] > zs[last][b * out + predicted]) {
                                predicted = j;
                            }
                        }
                    } else {
                        actual = t[sample] >= 0.5f ? 1 : 0;
                        predicted = zs[last][b] > 0f ? 1 : 0; // sigmoid(z) > 0.5
                    }
                    confusion[actual][predicted]++;
                    correct += actual == predicted ? 1 : 0;
                }
            }
        }
        double loss = sum * Losses.meanFactor(net.loss(), n, out);
        return new Evaluation(loss, classifier ? (double) correct / n : Double.NaN, n, confusion);
    }
}
