package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mlp4j.internal.kernel.KernelProvider;
import org.mlp4j.internal.kernel.Kernels;

/**
 * The training API a PyTorch user expects: frozen parameters, per-layer activations, probabilities of a
 * logits network, the optimizer table, state-shaping hyperparameters after the first step, buffers sized by
 * the data, and the overflow promise of inference.
 */
class TrainingApiTest {

    private static Network net(long seed) {
        return Network.builder(6).dense(13, Activation.RELU).dense(9, Activation.TANH).dense(3, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).seed(seed).build();
    }

    private static Dataset data(int n) {
        return DeterminismTest.classification(n, 99);
    }

    private static float[] range(float[] p, int from, int len) {
        return Arrays.copyOfRange(p, from, from + len);
    }

    // ---- freezing -------------------------------------------------------------------------------------------

    @Test
    void frozenWeightsAndBiasesKeepTheirValuesAndTheRestTrains() {
        for (Optimizer opt : List.of(Optimizer.sgd(0.1).momentum(0.9).weightDecay(0.01), Optimizer.adamW(0.01),
                Optimizer.rmsprop(0.01).centered(true))) {
            Network net = net(3);
            ParameterLayout lay = net.layout();
            float[] before = net.parameters();
            net.setTrainable(0, false, false);
            net.setTrainable(2, true, false);
            assertFalse(net.weightsTrainable(0));
            assertFalse(net.biasTrainable(0));
            assertTrue(net.weightsTrainable(2));
            assertFalse(net.biasTrainable(2));
            try (Trainer t = Trainer.builder(net, opt).batchSize(16).epochs(2).threads(2).build()) {
                t.fit(data(200));
            }
            float[] after = net.parameters();
            assertArrayEquals(range(before, lay.weightOffset(0), lay.weightCount(0)),
                    range(after, lay.weightOffset(0), lay.weightCount(0)), opt.id() + ": layer 0 weights frozen");
            assertArrayEquals(range(before, lay.biasOffset(0), lay.outputs(0)),
                    range(after, lay.biasOffset(0), lay.outputs(0)), opt.id() + ": layer 0 bias frozen");
            assertArrayEquals(range(before, lay.biasOffset(2), lay.outputs(2)),
                    range(after, lay.biasOffset(2), lay.outputs(2)), opt.id() + ": layer 2 bias frozen");
            assertFalse(Arrays.equals(range(before, lay.weightOffset(1), lay.weightCount(1)),
                    range(after, lay.weightOffset(1), lay.weightCount(1))), opt.id() + ": layer 1 trains");
            assertFalse(Arrays.equals(range(before, lay.weightOffset(2), lay.weightCount(2)),
                    range(after, lay.weightOffset(2), lay.weightCount(2))), opt.id() + ": layer 2 weights train");
            // no optimizer state moves for frozen parameters (weight decay and momentum included)
            for (Map.Entry<String, float[]> e : opt.state().entrySet()) {
                float[] s = range(e.getValue(), lay.weightOffset(0), lay.weightCount(0) + lay.outputs(0));
                assertArrayEquals(new float[s.length], s, opt.id() + " " + e.getKey() + " of frozen layer 0");
            }
        }
    }

    @Test
    void frozenParametersAreLeftOutOfTheClippingNorm() {
        Network net = net(5);
        net.setTrainable(1, false, false);
        ParameterLayout lay = net.layout();
        Dataset d = data(32);
        float[] g = new float[net.parameterCount()];
        net.lossAndGradient(d.features(), d.targets(), 32, g);
        double all = 0;
        double trainable = 0;
        for (int i = 0; i < g.length; i++) {
            all += (double) g[i] * g[i];
            boolean frozen = i >= lay.weightOffset(1) && i < lay.weightOffset(2);
            trainable += frozen ? 0 : (double) g[i] * g[i];
        }
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(0.01)).batchSize(32).threads(1).build()) {
            t.step(d.features(), 0, d.targets(), 0, 32);
            assertEquals(Math.sqrt(trainable), t.lastGradientNorm(), 1e-5 * Math.sqrt(trainable));
            assertNotEquals(Math.sqrt(all), t.lastGradientNorm(), 1e-5 * Math.sqrt(all));
        }
    }

    @Test
    void optimizerStepAndUnfreezingFollowTheFlags() {
        Network net = net(7);
        ParameterLayout lay = net.layout();
        net.setTrainable(2, false, true);
        float[] before = net.parameters();
        float[] g = new float[net.parameterCount()];
        Arrays.fill(g, 0.5f);
        Optimizer.sgd(0.1).step(net, g);
        float[] after = net.parameters();
        assertArrayEquals(range(before, lay.weightOffset(2), lay.weightCount(2)),
                range(after, lay.weightOffset(2), lay.weightCount(2)));
        assertEquals(before[lay.biasOffset(2)] - 0.05f, after[lay.biasOffset(2)], 1e-7);
        net.setTrainable(2, true, true);
        Optimizer.sgd(0.1).step(net, g);
        assertNotEquals(after[lay.weightOffset(2)], net.parameters()[lay.weightOffset(2)]);
        assertThrows(IndexOutOfBoundsException.class, () -> net.setTrainable(3, false, false));
        Network copy = net(7);
        copy.setTrainable(0, false, true);
        assertFalse(copy.copy().weightsTrainable(0), "a copy keeps the flags");
    }

    @Test
    void skippingTheGradientOfFrozenLayersChangesNoTrainedBit() {
        for (int frozen = 0; frozen < 3; frozen++) {
            Network skipping = net(37);
            Network full = net(37);
            skipping.setTrainable(frozen, false, false);
            full.setTrainable(frozen, false, false);
            Optimizer a = Optimizer.sgd(0.05).momentum(0.9);
            Optimizer b = Optimizer.sgd(0.05).momentum(0.9);
            Dataset d = data(64);
            org.mlp4j.internal.engine.WorkerTeam team = new org.mlp4j.internal.engine.WorkerTeam(null, 0);
            org.mlp4j.internal.engine.TrainingStep reference = new org.mlp4j.internal.engine.TrainingStep(full.model(),
                    new org.mlp4j.internal.engine.GradientEngine(full.model(), 16,
                            org.mlp4j.internal.engine.GradientEngine.DEFAULT_SHARD_SIZE, team, false), team);
            try (Trainer t = Trainer.builder(skipping, a).batchSize(16).threads(1).build()) {
                for (int s = 0; s < 4; s++) {
                    t.step(d.features(), s * 16 * 6, d.targets(), s * 16, 16);
                    reference.step(b.engineUpdate(), d.features(), s * 16 * 6, d.targets(), s * 16, 16);
                }
            }
            assertArrayEquals(full.parameters(), skipping.parameters(), "layer " + frozen + " frozen");
        }
    }

    @Test
    void everythingUnfrozenIsBitIdenticalToNeverFrozen() {
        Network a = net(11);
        Network b = net(11);
        b.setTrainable(1, false, false);
        b.setTrainable(1, true, true);
        for (Network n : List.of(a, b)) {
            try (Trainer t = Trainer.builder(n, Optimizer.adam(0.01)).batchSize(20).epochs(2).threads(2).build()) {
                t.fit(data(150));
            }
        }
        assertArrayEquals(a.parameters(), b.parameters());
    }

    // ---- per-layer activations and probabilities -------------------------------------------------------------

    @Test
    void predictLayersWritesEveryLayersActivations() {
        Network net = net(13);
        Dataset d = data(5);
        float[][] layers = new float[net.layerCount()][];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new float[5 * net.layout().outputs(l) + 3]; // longer is fine
        }
        net.predictLayers(d.features(), 5, layers);
        float[] out = new float[5 * 3];
        net.predictBatch(d.features(), 5, out, net.newWorkspace(5));
        assertArrayEquals(out, Arrays.copyOf(layers[2], 15), "the last layer as predictBatch writes it");
        // layer 0 by hand: relu(x W^T + b)
        float[] w = net.weights(0);
        float[] bias = net.bias(0);
        for (int s = 0; s < 5; s++) {
            for (int o = 0; o < 13; o++) {
                double z = bias[o];
                for (int i = 0; i < 6; i++) {
                    z += (double) w[o * 6 + i] * d.features()[s * 6 + i];
                }
                assertEquals(Math.max(0, z), layers[0][s * 13 + o], 1e-5, "sample " + s + " unit " + o);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> net.predictLayers(d.features(), 5, new float[2][]));
        layers[1] = new float[5 * 9 - 1];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.predictLayers(d.features(), 5, layers));
        assertTrue(e.getMessage().startsWith("layerOutputs[1]: expected length >= 45"), e.getMessage());
    }

    @Test
    void probabilitiesOfALogitsNetworkAreItsSoftmax() {
        Network net = net(17);
        float[] x = Arrays.copyOf(data(1).features(), 6);
        float[] logits = net.predict(x);
        float[] p = net.predictProbabilities(x);
        double sum = 0;
        double norm = 0;
        for (float z : logits) {
            norm += Math.exp(z);
        }
        for (int j = 0; j < 3; j++) {
            assertEquals(Math.exp(logits[j]) / norm, p[j], 1e-6);
            sum += p[j];
        }
        assertEquals(1, sum, 1e-6);
        assertTrue(net.hasProbabilities());
        Network bce = Network.builder(2).dense(1, Activation.IDENTITY).loss(Loss.BCE_WITH_LOGITS).build();
        float z = bce.predict(new float[] {1, 2})[0];
        assertEquals(1 / (1 + Math.exp(-z)), bce.predictProbabilities(new float[] {1, 2})[0], 1e-6);
        Network softmax = Network.builder(2).dense(3, Activation.SOFTMAX).loss(Loss.CROSS_ENTROPY).build();
        assertArrayEquals(softmax.predict(new float[] {1, 2}), softmax.predictProbabilities(new float[] {1, 2}));
        Network mse = Network.builder(2).dense(3, Activation.IDENTITY).build();
        assertFalse(mse.hasProbabilities());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> mse.predictProbabilities(new float[] {1, 2}));
        assertTrue(e.getMessage().contains("loss mse"), e.getMessage());
    }

    // ---- the optimizer table -------------------------------------------------------------------------------------

    @Test
    void createRoundTripsEveryOptimizersHyperparameters() {
        for (Optimizer o : List.of(Optimizer.sgd(0.2).momentum(0.8).dampening(0.1).weightDecay(0.01).maximize(true),
                Optimizer.adam(0.003).beta1(0.8).beta2(0.99).eps(1e-6).amsgrad(true),
                Optimizer.adamW(0.001).weightDecay(0.1), Optimizer.rmsprop(0.01).alpha(0.9).centered(true).momentum(0.3))) {
            Optimizer c = Optimizer.create(o.id().toUpperCase(java.util.Locale.ROOT), o.hyperparameters());
            assertEquals(o.getClass(), c.getClass());
            assertEquals(o.id(), c.id());
            assertEquals(o.hyperparameters(), c.hyperparameters());
            assertEquals(List.copyOf(o.hyperparameters().keySet()), Optimizer.hyperparameterNames(o.id()));
        }
        assertEquals(Optimizer.adamW(0.5).hyperparameters(), Optimizer.create("adamw", Map.of("lr", "0.5"))
                .hyperparameters(), "missing hyperparameters take the defaults");
    }

    @Test
    void createNamesWhatIsWrong() {
        assertMessage("optimizer: expected one of sgd, adam, adamw, rmsprop, got 'adagrad'",
                () -> Optimizer.create("adagrad", Map.of("lr", "1")));
        assertMessage("lr: expected the learning rate of optimizer sgd, it is missing",
                () -> Optimizer.create("sgd", Map.of()));
        assertMessage("beta1: not a hyperparameter of sgd; expected one of lr, momentum, dampening, nesterov, "
                + "weight_decay, maximize", () -> Optimizer.create("sgd", Map.of("lr", "1", "beta1", "0.9")));
        assertMessage("momentum: expected a number, got 'fast'",
                () -> Optimizer.create("sgd", Map.of("lr", "1", "momentum", "fast")));
        assertMessage("centered: expected true or false, got 'yes'",
                () -> Optimizer.create("rmsprop", Map.of("lr", "1", "centered", "yes")));
        assertMessage("beta2: expected a value in [0, 1), got 1.0",
                () -> Optimizer.create("adam", Map.of("lr", "1", "beta2", "1")));
        assertMessage("weight_decay: expected a finite value >= 0, got -1.0",
                () -> Optimizer.create("adamw", Map.of("lr", "1", "weight_decay", "-1")));
        assertMessage("lr: expected a finite value >= 0, got -0.5", () -> Optimizer.create("sgd", Map.of("lr", "-0.5")));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertEquals(expected, x.getMessage());
    }

    // ---- state-shaping hyperparameters after the first step ----------------------------------------------------

    @Test
    void stateThatMustBeTrackedFromTheStartIsFrozenWithAClearError() {
        Network net = net(19);
        float[] g = new float[net.parameterCount()];
        Arrays.fill(g, 0.1f);
        RmsProp r = Optimizer.rmsprop(0.01);
        r.centered(true).centered(false); // free before the first step
        r.step(net, g);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.centered(true));
        assertEquals("centered: cannot change from false to true after the optimizer state exists (1 steps taken); "
                + "set it before the first step or use a new optimizer", e.getMessage());
        assertFalse(r.centered(), "nothing changed");
        r.centered(false); // the same value is fine
        Adam a = Optimizer.adam(0.01);
        a.step(net, g);
        assertThrows(IllegalStateException.class, () -> a.amsgrad(true));
        assertFalse(a.state().containsKey("max_exp_avg_sq"));
    }

    @Test
    void momentumTurnedOnLaterGrowsItsState() {
        Network net = net(23);
        float[] g = new float[net.parameterCount()];
        Arrays.fill(g, 0.1f);
        RmsProp r = Optimizer.rmsprop(0.01);
        r.step(net, g);
        assertFalse(r.state().containsKey("momentum_buffer"));
        r.momentum(0.9);
        r.step(net, g);
        assertTrue(r.state().containsKey("momentum_buffer"));
        Sgd s = Optimizer.sgd(0.1);
        s.step(net, g);
        s.momentum(0.9);
        s.step(net, g); // threw NullPointerException before
        assertArrayEquals(g, s.state().get("momentum_buffer"), "the buffer starts as that step's gradient");
        s.momentum(0);
        s.step(net, g);
        assertTrue(s.state().containsKey("momentum_buffer"), "kept while momentum is off");
    }

    // ---- sizes (issue 11) --------------------------------------------------------------------------------------------

    @Test
    void hugeSizesAreClearArgumentErrors() {
        Network net = net(29);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.builder(net, Optimizer.sgd(0.1)).batchSize(Integer.MAX_VALUE));
        assertTrue(e.getMessage().startsWith("batchSize: expected at most "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.newWorkspace(Integer.MAX_VALUE));
        assertTrue(e.getMessage().startsWith("maxBatch: expected at most "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> net.newWorkspace(0));
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(net, 0));
    }

    @Test
    void buffersFollowTheDataNotTheBatchSize() {
        Dataset d = data(100);
        // an evaluator with a batch size beyond any data set evaluates in one pass, like one sized to the data
        Network net = net(31);
        Evaluation sized = new Evaluator(net, 100).evaluate(d);
        Evaluation huge = new Evaluator(net, Integer.MAX_VALUE).evaluate(d);
        assertEquals(sized.loss(), huge.loss());
        assertEquals(sized.accuracy(), huge.accuracy());
        assertTrue(Arrays.deepEquals(sized.confusion(), huge.confusion()));
        // batch 100,000 on 100 samples trains as full-batch training does (it used to allocate 100,000 rows)
        Network a = net(31);
        Network b = net(31);
        for (Object[] run : new Object[][] {{a, 100}, {b, 100_000}}) {
            try (Trainer t = Trainer.builder((Network) run[0], Optimizer.sgd(0.1)).batchSize((Integer) run[1])
                    .epochs(3).threads(1).build()) {
                t.fit(d);
            }
        }
        assertArrayEquals(a.parameters(), b.parameters());
    }

    // ---- overflow ------------------------------------------------------------------------------------------------------

    @Test
    void inferenceOverflowIsAnErrorOnBothKernelPaths() {
        List<Kernels> paths = new java.util.ArrayList<>(List.of(KernelProvider.scalar()));
        KernelProvider.vector().ifPresent(paths::add);
        for (Kernels k : paths) {
            Network net = Network.builder(8).dense(16, Activation.RELU).dense(4, Activation.IDENTITY).seed(3).build()
                    .withKernels(k);
            float[] x = new float[8];
            Arrays.fill(x, 3e38f);
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> net.predict(x), k.name());
            assertTrue(e.getMessage().contains("overflowed float arithmetic") && e.getMessage().contains("3.0E38"),
                    e.getMessage());
            float[] batch = new float[16];
            Arrays.fill(batch, 0, 8, 1f);
            System.arraycopy(x, 0, batch, 8, 8);
            e = assertThrows(ArithmeticException.class,
                    () -> net.predictBatch(batch, 2, new float[8], net.newWorkspace(2)), k.name());
            assertTrue(e.getMessage().contains("of sample 1"), e.getMessage());
            float[][] layers = {new float[32], new float[8]};
            assertThrows(ArithmeticException.class, () -> net.predictLayers(batch, 2, layers), k.name());
            // saturating activations give their limits, as in PyTorch
            Network tanh = Network.builder(8).dense(4, Activation.TANH).seed(3).build().withKernels(k);
            for (float v : tanh.predict(x)) {
                assertEquals(1f, Math.abs(v), k.name());
            }
        }
    }
}
