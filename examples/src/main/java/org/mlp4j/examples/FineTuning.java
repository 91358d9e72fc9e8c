package org.mlp4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.io.Mnist;

/**
 * The README's "Fine-tuning, features and probabilities" example: train briefly, freeze the first layer,
 * fine-tune the rest with Adam (AMSGrad), then read one image's probabilities and every layer's activations.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:examples/target/classes \
 *      org.mlp4j.examples.FineTuning data/mnist 60000
 * </pre>
 */
public final class FineTuning {
    private FineTuning() {
    }

    /**
     * Runs the example on the first {@code trainSamples} MNIST training images.
     *
     * @param dataDir      the MNIST directory
     * @param trainSamples training images to use
     * @return what the example produced
     * @throws IOException if the MNIST files cannot be read
     */
    public static Result run(String dataDir, int trainSamples) throws IOException {
        Dataset train = Mnist.load(Path.of(dataDir)).train().slice(0, trainSamples);
        Network net = Network.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(42).build();
        try (Trainer pretrain = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9)).batchSize(128).epochs(1)
                .seed(1).build()) {
            pretrain.fit(train);
        }
        float[] firstLayerBefore = net.weights(0);
        float[] image = java.util.Arrays.copyOf(train.features(), 784);

        // README:begin fine-tuning
        net.setTrainable(0, false, false);            // freeze layer 0's weights and bias (requires_grad = False)
        Optimizer opt = Optimizer.adam(1e-3).amsgrad(true);   // also maximize(true) on every optimizer
        Optimizer same = Optimizer.create("adam", Map.of("lr", "0.001", "amsgrad", "true"));  // names as in files
        try (Trainer fineTune = Trainer.builder(net, opt).batchSize(128).epochs(1).seed(2).build()) {
            fineTune.fit(train);                      // updates layers 1 and 2 only
        }

        float[] probabilities = net.predictProbabilities(image);      // softmax of the logits
        float[][] layers = {new float[256], new float[128], new float[10]};
        net.predictLayers(image, 1, layers);          // every layer's activations (embeddings), caller's arrays
        // README:end
        return new Result(net, firstLayerBefore, opt.hyperparameters().equals(same.hyperparameters()),
                probabilities, layers, (int) train.targets()[0]);
    }

    /**
     * What {@link #run} produced.
     *
     * @param network          the fine-tuned network
     * @param firstLayerBefore layer 0's weights before fine-tuning
     * @param sameOptimizer    whether the builder and {@code Optimizer.create} made the same optimizer
     * @param probabilities    the first image's class probabilities
     * @param layers           the first image's activations, one array per layer
     * @param label            the first image's digit
     */
    public record Result(Network network, float[] firstLayerBefore, boolean sameOptimizer, float[] probabilities,
                         float[][] layers, int label) {
    }

    /**
     * Runs the example: {@code FineTuning [DATA_DIR [TRAIN_SAMPLES]]}.
     *
     * @param args data directory (default data/mnist), training samples (60000)
     * @throws IOException if the MNIST files cannot be read
     */
    public static void main(String[] args) throws IOException {
        Result r = run(args.length > 0 ? args[0] : "data/mnist", args.length > 1 ? Integer.parseInt(args[1]) : 60_000);
        System.out.printf("first image (digit %d): probability %.3f%n", r.label(), r.probabilities()[r.label()]);
    }
}
