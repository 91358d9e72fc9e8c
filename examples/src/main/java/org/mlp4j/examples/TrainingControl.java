package org.mlp4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Evaluation;
import org.mlp4j.Evaluator;
import org.mlp4j.LearningRateSchedule;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.TrainingListener;
import org.mlp4j.TrainingResult;
import org.mlp4j.io.Mnist;

/**
 * The README's "Training control" example: a warm-up + cosine schedule, gradient clipping, a validation split
 * with early stopping, a per-epoch listener, and the test-set evaluation.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:examples/target/classes \
 *      org.mlp4j.examples.TrainingControl data/mnist 60000 30
 * </pre>
 */
public final class TrainingControl {
    private TrainingControl() {
    }

    /**
     * Trains on a validation split of the first {@code samples} MNIST training images.
     *
     * @param dataDir directory with the four MNIST IDX files (raw or .gz)
     * @param samples how many training images to use, a tenth of them held out for validation
     * @param epochs  the most epochs to train
     * @return the training result and the test-set evaluation
     * @throws IOException if the MNIST files cannot be read
     */
    public static Result run(String dataDir, int samples, int epochs) throws IOException {
        Network net = Network.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(42).build();
        // README:begin training-control
        Mnist mnist = Mnist.load(Path.of(dataDir));
        Dataset[] parts = mnist.train().slice(0, samples).split(0.1, 7);  // seeded shuffle: [train, validation]
        Dataset train = parts[0];
        Dataset validationSet = parts[1];
        Dataset test = mnist.test();

        int batchesPerEpoch = (train.size() + 127) / 128;
        TrainingResult r;
        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9))
                .batchSize(128).epochs(epochs)
                .schedule(LearningRateSchedule.cosineWithWarmup(0.1, batchesPerEpoch,
                        (long) epochs * batchesPerEpoch, 0.0))
                .clipGradientNorm(5.0)                       // global L2 norm
                .validation(validationSet, 5)                // early stopping, restores the best epoch
                .listener(new TrainingListener() {           // per batch / per epoch: loss, accuracy, samples/s
                    @Override public boolean onEpoch(EpochStats s) {
                        System.out.printf("epoch %d: validation loss %.4f, accuracy %.4f%n",
                                s.epoch(), s.validationLoss(), s.validationAccuracy());
                        return true;                         // false stops training
                    }
                })
                .build()) {
            r = trainer.fit(train);                          // r.reason(): MAX_EPOCHS, EARLY_STOPPING, TARGET_LOSS, ...
        }
        Evaluation e = new Evaluator(net, 256).evaluate(test); // loss, accuracy, confusion matrix
        // README:end
        return new Result(r, e);
    }

    /**
     * What {@link #run} produced.
     *
     * @param training   how training ended
     * @param evaluation the trained network on the test set
     */
    public record Result(TrainingResult training, Evaluation evaluation) {
    }

    /**
     * Runs the example: {@code TrainingControl [DATA_DIR [SAMPLES [EPOCHS]]]}.
     *
     * @param args data directory (default data/mnist), training samples (60000), epochs (30)
     * @throws IOException if the MNIST files cannot be read
     */
    public static void main(String[] args) throws IOException {
        Result r = run(args.length > 0 ? args[0] : "data/mnist", args.length > 1 ? Integer.parseInt(args[1]) : 60_000,
                args.length > 2 ? Integer.parseInt(args[2]) : 30);
        System.out.printf("%s after %d epochs; test accuracy %.2f %%%n", r.training().reason(),
                r.training().epochs(), 100 * r.evaluation().accuracy());
    }
}
