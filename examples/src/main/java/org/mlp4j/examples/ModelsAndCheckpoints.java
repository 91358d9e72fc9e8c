package org.mlp4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.io.Mnist;
import org.mlp4j.io.ModelFiles;
import org.mlp4j.io.TrainingCheckpoint;

/**
 * The README's "Models and checkpoints" example: save and load a model, checkpoint a run halfway and resume it.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:examples/target/classes \
 *      org.mlp4j.examples.ModelsAndCheckpoints data/mnist 60000 out/
 * </pre>
 */
public final class ModelsAndCheckpoints {
    private ModelsAndCheckpoints() {
    }

    /** The network every run of this example starts from (same seed, same weights). */
    static Network newNetwork() {
        return Network.builder(784).dense(128, Activation.RELU).dense(10, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).seed(42).build();
    }

    /**
     * Trains {@code epochs} epochs with a checkpoint after the first half, resumes from it, and saves the model.
     *
     * @param dataDir directory with the four MNIST IDX files (raw or .gz)
     * @param samples how many training images to use
     * @param epochs  total epochs (the checkpoint is written after {@code epochs / 2})
     * @param out     directory for model.safetensors and run.ckpt
     * @return the resumed network and the model loaded back from disk
     * @throws IOException if the MNIST files cannot be read or the files cannot be written
     */
    public static Network[] run(String dataDir, int samples, int epochs, Path out) throws IOException {
        Files.createDirectories(out);
        Dataset train = Mnist.load(Path.of(dataDir)).train().slice(0, samples);
        Network net = newNetwork();
        Path checkpoint = out.resolve("run.ckpt");
        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9))
                .seed(1).batchSize(128).epochs(epochs / 2).build()) {
            trainer.fit(train);
            // README:begin checkpoint-save
            ModelFiles.saveCheckpoint(trainer, checkpoint, Map.of("data", dataDir));  // + optimizer state, progress
            // README:end
        }
        // README:begin models
        TrainingCheckpoint c = ModelFiles.loadCheckpoint(checkpoint);
        try (Trainer t = Trainer.builder(c.network(), c.optimizer()).seed(c.seed()).batchSize(128).epochs(epochs)
                .build()) {
            c.restoreInto(t);
            t.fit(train);                             // bit-identical to an uninterrupted run
        }
        Network trained = c.network();

        Path model = out.resolve("model.safetensors");
        ModelFiles.save(trained, model);
        Network back = ModelFiles.load(model);        // also reads .onnx files, see "Import from PyTorch and ONNX"
        // README:end
        return new Network[] {trained, back};
    }

    /**
     * Runs the example: {@code ModelsAndCheckpoints [DATA_DIR [SAMPLES [OUT_DIR]]]}.
     *
     * @param args data directory (default data/mnist), training samples (60000), output directory (.)
     * @throws IOException if the MNIST files cannot be read or the files cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 2 ? args[2] : ".");
        Network[] nets = run(args.length > 0 ? args[0] : "data/mnist",
                args.length > 1 ? Integer.parseInt(args[1]) : 60_000, 4, out);
        System.out.println("saved " + out.resolve("model.safetensors") + ": " + nets[1]);
    }
}
