package org.mlp4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.Dataset;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.StopReason;
import org.mlp4j.Trainer;
import org.mlp4j.io.Mnist;

/** Runs every README example on real MNIST (a subset, so each takes seconds) and checks what it promises. */
class ExamplesTest {
    static final Path IMPORT_FIXTURES = Path.of("core", "src", "test", "resources", "import");

    @TempDir
    Path tmp;

    /** The MNIST files: data/mnist in the repository, else the shared copy beside the checkout. */
    static String mnistDir() {
        for (String d : List.of(System.getProperty("mlp4j.mnist", "data/mnist"), "../shared/data/mnist",
                "../../shared/data/mnist")) {
            if (Files.isDirectory(Path.of(d))) {
                return d;
            }
        }
        throw new IllegalStateException("MNIST not found in data/mnist (run from the repository root) or "
                + "-Dmlp4j.mnist=DIR");
    }

    @Test
    void quickStartLearnsDigits() throws IOException {
        QuickStart.Result r = QuickStart.run(mnistDir(), 3000, 3);
        assertEquals(StopReason.MAX_EPOCHS, r.result().reason());
        assertEquals(3, r.result().epochs());
        assertTrue(r.result().loss() < 0.3, "training loss " + r.result().loss());
        int best = 0;
        for (int j = 1; j < 10; j++) {
            best = r.logits()[j] > r.logits()[best] ? j : best;
        }
        assertEquals(r.label(), best, "the first training image is classified correctly");
    }

    @Test
    void fineTuningKeepsTheFrozenLayerAndReadsEveryLayer() throws IOException {
        FineTuning.Result r = FineTuning.run(mnistDir(), 3000);
        assertArrayEquals(r.firstLayerBefore(), r.network().weights(0), "the frozen layer is unchanged");
        assertTrue(r.sameOptimizer(), "Optimizer.create and the builder agree");
        double sum = 0;
        for (float p : r.probabilities()) {
            sum += p;
        }
        assertEquals(1, sum, 1e-5);
        float[] logits = r.network().predict(firstImage());
        for (int j = 0; j < 10; j++) {
            assertEquals(logits[j], r.layers()[2][j], 1e-5, "predictLayers' last layer is predict's output");
        }
        int best = 0;
        for (int j = 1; j < 10; j++) {
            best = r.probabilities()[j] > r.probabilities()[best] ? j : best;
        }
        assertEquals(r.label(), best, "the fine-tuned network classifies the first image");
    }

    private static float[] firstImage() throws IOException {
        return java.util.Arrays.copyOf(Mnist.load(Path.of(mnistDir())).train().features(), 784);
    }

    @Test
    void trainingControlReachesGoodTestAccuracy() throws IOException {
        TrainingControl.Result r = TrainingControl.run(mnistDir(), 3000, 3);
        assertTrue(r.training().epochs() <= 3);
        assertEquals(10_000, r.evaluation().samples());
        assertTrue(r.evaluation().accuracy() > 0.85, "test accuracy " + r.evaluation().accuracy());
    }

    @Test
    void resumedRunIsBitIdenticalAndTheModelReloads() throws IOException {
        String dir = mnistDir();
        Network[] nets = ModelsAndCheckpoints.run(dir, 1500, 4, tmp);
        Network uninterrupted = ModelsAndCheckpoints.newNetwork();
        Dataset train = Mnist.load(Path.of(dir)).train().slice(0, 1500);
        try (Trainer t = Trainer.builder(uninterrupted, Optimizer.sgd(0.1).momentum(0.9)).seed(1).batchSize(128)
                .epochs(4).build()) {
            t.fit(train);
        }
        assertArrayEquals(uninterrupted.parameters(), nets[0].parameters());
        assertArrayEquals(nets[0].parameters(), nets[1].parameters());
        assertEquals(nets[0].toString(), nets[1].toString());
    }

    @Test
    void throughputIsMeasuredPerEpochWithTheSelectedKernels() throws IOException {
        StringBuilder kernels = new StringBuilder();
        List<Double> perEpoch = TrainingThroughput.run(mnistDir(), 512, 2, kernels);
        assertEquals(2, perEpoch.size());
        assertTrue(perEpoch.stream().allMatch(v -> v > 0), perEpoch.toString());
        // the build runs tests with the module (vector) or, in the scalar CI step, without it
        assertTrue(kernels.toString().startsWith(System.getProperty("mlp4j.test.expectedKernels", "vector")),
                kernels.toString());
    }

    @Test
    void importedNetworksAgree() throws IOException {
        Network[] nets = ImportFromPyTorch.run(IMPORT_FIXTURES.resolve("relu_sigmoid.onnx"),
                IMPORT_FIXTURES.resolve("relu_sigmoid.safetensors"));
        assertArrayEquals(nets[0].parameters(), nets[1].parameters());
        float[] x = {0.5f, -1f, 2f, 0f, 1f, -0.25f};
        assertArrayEquals(nets[0].predict(x), nets[1].predict(x));
    }
}
