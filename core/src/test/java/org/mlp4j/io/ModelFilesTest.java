package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.LearningRateSchedule;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.TrainingListener;

class ModelFilesTest {
    static final Path REFERENCE = Paths.get("src", "test", "resources", "reference");

    @TempDir
    Path dir;

    static Network sample() {
        return Network.builder(5).dense(7, Activation.LEAKY_RELU).dense(6, Activation.GELU)
                .dense(3, Activation.SOFTMAX).loss(Loss.CROSS_ENTROPY).leakyReluSlope(0.2f).seed(11).build();
    }

    @Test
    void roundTripKeepsArchitectureAndParameters() throws IOException {
        Network net = sample();
        Path file = dir.resolve("model.safetensors");
        ModelFiles.save(net, file);
        Network back = ModelFiles.load(file);
        assertEquals(net.toString(), back.toString());
        assertEquals(0.2f, back.leakyReluSlope());
        assertEquals(Loss.CROSS_ENTROPY, back.loss());
        assertArrayEquals(net.parameters(), back.parameters());
        float[] x = {0.1f, -2, 3, 0.5f, 1};
        assertArrayEquals(net.predict(x), back.predict(x));

        SafeTensorsFile f = SafeTensors.read(file);
        assertEquals("5,7,6,3", f.metadata().get("layer_sizes"));
        assertEquals("leaky_relu,gelu,softmax", f.metadata().get("activations"));
        assertEquals("cross_entropy", f.metadata().get("loss"));
        assertArrayEquals(new int[] {7, 5}, f.shape("layers.0.weight"));
        assertArrayEquals(new int[] {7}, f.shape("layers.0.bias"));
        assertArrayEquals(net.weights(2), f.floats("layers.2.weight"));
        assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                "layers.2.weight", "layers.2.bias"), f.names());
    }

    static Stream<Path> referenceFiles() throws IOException {
        try (Stream<Path> s = Files.list(REFERENCE)) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().collect(Collectors.toList());
            assertEquals(18, files.size());
            return files.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("referenceFiles")
    void loadsEveryReferenceFileAndReproducesItsOutput(Path file) throws IOException {
        SafeTensorsFile f = SafeTensors.read(file);
        Network net = ModelFiles.load(file);
        assertEquals(f.metadata().get("loss"), net.loss().id());
        float[] input = f.floats("input");
        float[] expected = f.floats("output");
        int batch = f.shape("input")[0];
        float[] actual = new float[batch * net.outputSize()];
        net.predictBatch(input, batch, actual, net.newWorkspace(batch));
        double atol = Double.parseDouble(f.metadata().get("suggested_atol.output"));
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], atol + 1e-4 * Math.abs(expected[i]), file + " output " + i);
        }
    }

    /** Writes a file with the given metadata and the sample network's tensors, edited by {@code edit}. */
    private Path file(String name, Map<String, String> metaEdits, java.util.function.Consumer<Map<String, Tensor>> edit)
            throws IOException {
        Path good = dir.resolve("good.safetensors");
        ModelFiles.save(sample(), good);
        SafeTensorsFile f = SafeTensors.read(good);
        Map<String, String> meta = new LinkedHashMap<>(f.metadata());
        metaEdits.forEach((k, v) -> {
            if (v == null) {
                meta.remove(k);
            } else {
                meta.put(k, v);
            }
        });
        Map<String, Tensor> tensors = f.tensors();
        edit.accept(tensors);
        Path p = dir.resolve(name);
        SafeTensors.write(p, meta, tensors);
        return p;
    }

    private void assertRejected(Path p, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.load(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
        }
    }

    @Test
    void rejectsShapeInconsistentWithArchitecture() throws IOException {
        Path p = file("shape.safetensors", Map.of(), t -> t.put("layers.1.weight", Tensor.matrix(6, 8, new float[48])));
        assertRejected(p, "layers.1.weight", "[6, 7]", "[6, 8]");
        Path q = file("sizes.safetensors", Map.of("layer_sizes", "5,7,9,3"), t -> { });
        assertRejected(q, "layers.1.weight", "[9, 7]", "[6, 7]");
    }

    @Test
    void rejectsUnknownActivationAndLoss() throws IOException {
        assertRejected(file("act.safetensors", Map.of("activations", "leaky_relu,swish,softmax"), t -> { }),
                "activations", "layer 1", "swish");
        assertRejected(file("loss.safetensors", Map.of("loss", "hinge"), t -> { }), "loss", "hinge");
        assertRejected(file("count.safetensors", Map.of("activations", "relu,relu"), t -> { }), "activations",
                "expected 3");
    }

    @Test
    void rejectsOtherMalformedModels() throws IOException {
        assertRejected(file("missing.safetensors", Map.of("layer_sizes", ""), t -> { }), "layer_sizes");
        Map<String, String> noSizes = new LinkedHashMap<>();
        noSizes.put("layer_sizes", null);
        assertRejected(file("nosizes.safetensors", noSizes, t -> { }), "layer_sizes", "missing");
        assertRejected(file("neg.safetensors", Map.of("layer_sizes", "5,-7,6,3"), t -> { }), "layer_sizes", "-7");
        assertRejected(file("notensor.safetensors", Map.of(), t -> t.remove("layers.2.bias")), "layers.2.bias",
                "missing");
        assertRejected(file("extra.safetensors", Map.of(), t -> t.put("layers.3.weight", Tensor.matrix(1, 3,
                new float[3]))), "unexpected tensor", "layers.3.weight");
        assertRejected(file("nan.safetensors", Map.of(), t -> t.get("layers.0.bias").data()[2] = Float.NaN),
                "layers.0", "finite");
        assertRejected(file("slope.safetensors", Map.of("leaky_relu_slope", "abc"), t -> { }), "leaky_relu_slope");
        assertRejected(file("lossout.safetensors", Map.of("loss", "bce"), t -> { }), "bce", "sigmoid");
        assertThrows(SafeTensorsFormatException.class, () -> {
            Path junk = dir.resolve("junk.safetensors");
            Files.write(junk, new byte[] {1, 2, 3});
            ModelFiles.load(junk);
        });
    }

    @Test
    void checkpointIsNotAPlainModel() throws IOException {
        Path p = dir.resolve("m.safetensors");
        ModelFiles.save(sample(), p);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(p));
        assertTrue(e.getMessage().contains("checkpoint"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------------ resume

    static Dataset data(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 6];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < 6; j++) {
                x[i * 6 + j] = (float) r.nextGaussian();
                s += x[i * 6 + j] * (j + 1);
            }
            y[i] = s > 1 ? 2 : s > -1 ? 1 : 0;
        }
        return Dataset.of(x, 6, y, 1);
    }

    static Network net() {
        return Network.builder(6).dense(9, Activation.RELU).dense(3, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY)
                .seed(21).build();
    }

    static Stream<Supplier<Optimizer>> optimizers() {
        return Stream.of(() -> Optimizer.sgd(0.05).momentum(0.9).nesterov(true),
                () -> Optimizer.adam(0.01).weightDecay(0.001),
                () -> Optimizer.adamW(0.01),
                () -> Optimizer.rmsprop(0.005).momentum(0.5).centered(true));
    }

    private Trainer.Builder trainer(Network n, Optimizer o, Dataset validation) {
        // The peak rate is fixed here: a restored optimizer's rate is the last scheduled one, not the peak.
        return Trainer.builder(n, o).batchSize(10).epochs(6).seed(99).threads(2)
                .schedule(LearningRateSchedule.cosineWithWarmup(0.01, 5, 30, 0.0))
                .clipGradientNorm(1.0).validation(validation, 100);
    }

    @ParameterizedTest
    @MethodSource("optimizers")
    void resumingFromACheckpointIsBitIdentical(Supplier<Optimizer> optimizer) throws IOException {
        Dataset train = data(55, 1);
        Dataset validation = data(20, 2);
        Network uninterrupted = net();
        try (Trainer t = trainer(uninterrupted, optimizer.get(), validation).build()) {
            t.fit(train);
        }

        Path ckpt = dir.resolve("ckpt.safetensors");
        Network first = net();
        try (Trainer t = trainer(first, optimizer.get(), validation).listener(new TrainingListener() {
            @Override
            public boolean onEpoch(EpochStats s) {
                if (s.epoch() == 3) {
                    try {
                        ModelFiles.saveCheckpoint(t(), ckpt, Map.of("note", "epoch 3"));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return false; // "crash" after the checkpoint
                }
                return true;
            }
        }).build()) {
            holder = t;
            t.fit(train);
        }

        TrainingCheckpoint c = ModelFiles.loadCheckpoint(ckpt);
        assertEquals(3, c.completedEpochs());
        assertEquals(18, c.iterations());
        assertEquals(99, c.seed());
        assertEquals("epoch 3", c.metadata().get("note"));
        assertTrue(c.bestEpoch() >= 1);
        try (Trainer t = trainer(c.network(), c.optimizer(), validation).build()) {
            c.restoreInto(t);
            t.fit(train);
            // the comparison below must cover the steps after the checkpoint, not only its best parameters
            assertTrue(t.bestEpoch() > 3, "best epoch " + t.bestEpoch());
        }
        assertArrayEquals(uninterrupted.parameters(), c.network().parameters());
    }

    private Trainer holder;

    private Trainer t() {
        return holder;
    }

    @Test
    void checkpointWithoutValidationHasNoBestParameters() throws IOException {
        Network n = net();
        Path ckpt = dir.resolve("c.safetensors");
        try (Trainer t = Trainer.builder(n, Optimizer.sgd(0.1)).batchSize(8).epochs(1).threads(1).build()) {
            ModelFiles.saveCheckpoint(t, ckpt, Map.of());
            TrainingCheckpoint c = ModelFiles.loadCheckpoint(ckpt);
            assertEquals(0, c.bestEpoch());
            assertNull(c.bestParameters());
            assertEquals(0, c.optimizer().steps());
            assertArrayEquals(n.parameters(), ModelFiles.load(ckpt).parameters(), "a checkpoint is a model file");
        }
    }
}
