package org.mlp4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.TrainingListener;
import org.mlp4j.io.Mnist;

/**
 * Training throughput per epoch of the README's MNIST network, to compare runs with and without
 * {@code --add-modules jdk.incubator.vector} (docs/add-modules.md).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:examples/target/classes \
 *      org.mlp4j.examples.TrainingThroughput data/mnist 12800 6
 * </pre>
 */
public final class TrainingThroughput {
    private TrainingThroughput() {
    }

    /**
     * Trains 784-256-128-10 (SGD 0.1, momentum 0.9, batch 128) on the first {@code samples} images.
     *
     * @param dataDir directory with the four MNIST IDX files (raw or .gz)
     * @param samples how many training images to use
     * @param epochs  epochs to train
     * @param network receives the trained network's kernel name
     * @return samples per second of each epoch
     * @throws IOException if the MNIST files cannot be read
     */
    public static List<Double> run(String dataDir, int samples, int epochs, StringBuilder network) throws IOException {
        Dataset train = Mnist.load(Path.of(dataDir)).train().slice(0, samples);
        Network net = Network.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(42).build();
        List<Double> perEpoch = new ArrayList<>();
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9)).batchSize(128).epochs(epochs).seed(1)
                .listener(new TrainingListener() {
                    @Override
                    public boolean onEpoch(EpochStats s) {
                        perEpoch.add(s.samplesPerSecond());
                        return true;
                    }
                }).build()) {
            t.fit(train);
        }
        network.append(net.kernelName());
        return perEpoch;
    }

    /**
     * Runs it: {@code TrainingThroughput [DATA_DIR [SAMPLES [EPOCHS]]]}.
     *
     * @param args data directory (default data/mnist), training samples (12800), epochs (6)
     * @throws IOException if the MNIST files cannot be read
     */
    public static void main(String[] args) throws IOException {
        StringBuilder kernels = new StringBuilder();
        List<Double> r = run(args.length > 0 ? args[0] : "data/mnist", args.length > 1 ? Integer.parseInt(args[1]) : 12_800,
                args.length > 2 ? Integer.parseInt(args[2]) : 6, kernels);
        for (int e = 0; e < r.size(); e++) {
            System.out.printf("epoch %d: %,.0f samples/s%n", e + 1, r.get(e));
        }
        System.out.println("kernels: " + kernels);
    }
}
