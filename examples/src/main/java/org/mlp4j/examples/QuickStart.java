package org.mlp4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.TrainingResult;
import org.mlp4j.Workspace;
import org.mlp4j.io.Mnist;

/**
 * The README's "Usage" example: train the MNIST classifier and run one image through it.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:examples/target/classes \
 *      org.mlp4j.examples.QuickStart data/mnist 60000
 * </pre>
 */
public final class QuickStart {
    private QuickStart() {
    }

    /**
     * Trains on the first {@code trainSamples} MNIST images for {@code epochs} epochs.
     *
     * @param dataDir      directory with the four MNIST IDX files (raw or .gz)
     * @param trainSamples how many training images to use (at most 60,000)
     * @param epochs       training epochs
     * @return the training result and the logits of the first image
     * @throws IOException if the MNIST files cannot be read
     */
    public static Result run(String dataDir, int trainSamples, int epochs) throws IOException {
        // README:begin usage
        Mnist mnist = Mnist.load(Path.of(dataDir));                  // the four MNIST files, raw or .gz
        Dataset train = mnist.train().slice(0, trainSamples);         // up to 60,000 images
        float[] pixels = train.features();                            // 784 values in [0, 1] per image
        float[] labels = train.targets();                             // the digit (class index) of each image

        Network net = Network.builder(784)
                .dense(256, Activation.RELU)
                .dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY)      // logits
                .loss(Loss.CROSS_ENTROPY)            // fused softmax + log-sum-exp
                .seed(42)
                .build();

        TrainingResult result;
        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9))
                .batchSize(128).epochs(epochs).seed(1).build()) {
            result = trainer.fit(Dataset.of(pixels, 784, labels, 1));
        }

        Workspace ws = net.newWorkspace();           // one per thread, reused
        float[] logits = new float[10];
        net.predict(pixels, 0, logits, 0, ws);       // allocation-free
        // README:end
        return new Result(net, result, logits, (int) labels[0]);
    }

    /**
     * What {@link #run} produced.
     *
     * @param network the trained network
     * @param result  how training ended
     * @param logits  the network's outputs for the first training image
     * @param label   that image's digit
     */
    public record Result(Network network, TrainingResult result, float[] logits, int label) {
    }

    /**
     * Runs the example: {@code QuickStart [DATA_DIR [TRAIN_SAMPLES [EPOCHS]]]}.
     *
     * @param args data directory (default data/mnist), training samples (60000), epochs (10)
     * @throws IOException if the MNIST files cannot be read
     */
    public static void main(String[] args) throws IOException {
        Result r = run(args.length > 0 ? args[0] : "data/mnist", args.length > 1 ? Integer.parseInt(args[1]) : 60_000,
                args.length > 2 ? Integer.parseInt(args[2]) : 10);
        int best = 0;
        for (int j = 1; j < r.logits().length; j++) {
            best = r.logits()[j] > r.logits()[best] ? j : best;
        }
        System.out.printf("%s after %d epochs, loss %.4f; first image: predicted %d, label %d%n", r.result().reason(),
                r.result().epochs(), r.result().loss(), best, r.label());
    }
}
