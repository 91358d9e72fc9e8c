package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad arguments fail fast with an IllegalArgumentException whose message names the argument, the expected
 * value and the actual one, and a failed call changes nothing (parameters, optimizer state, progress).
 */
class BadInputTest {

    /** Asserts an IllegalArgumentException whose message contains every fragment. */
    static IllegalArgumentException bad(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        String m = e.getMessage();
        for (String f : fragments) {
            assertTrue(m != null && m.contains(f), () -> "message '" + m + "' should contain '" + f + "'");
        }
        return e;
    }

    /** Like {@link #bad} and also asserts the network's parameters are unchanged by the failed call. */
    static void badKeeps(Network net, Executable call, String... fragments) {
        float[] before = net.parameters();
        bad(call, fragments);
        assertArrayEquals(before, net.parameters(), "a failed call changed the parameters");
    }

    static Network mse() {
        return Network.builder(5).dense(7, Activation.TANH).dense(3, Activation.IDENTITY).loss(Loss.MSE).seed(1).build();
    }

    static Network ce() {
        return Network.builder(5).dense(7, Activation.RELU).dense(3, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY)
                .seed(2).build();
    }

    static Network bce() {
        return Network.builder(4).dense(6, Activation.TANH).dense(2, Activation.SIGMOID).loss(Loss.BCE).seed(3).build();
    }

    // ---- inputs ------------------------------------------------------------------------------------------

    @Test
    void wrongInputLength() {
        Network net = mse();
        Workspace ws = net.newWorkspace();
        badKeeps(net, () -> net.predict(new float[4]), "input", "expected length 5", "got 4");
        badKeeps(net, () -> net.predict(new float[6], 2, new float[3], 0, ws), "input", "5 values from offset 2",
                "length 6");
        badKeeps(net, () -> net.predict(new float[5], -1, new float[3], 0, ws), "input", "offset -1");
        badKeeps(net, () -> net.predict(new float[5], 0, new float[2], 0, ws), "output", "3 values", "length 2");
        float[] g = new float[net.parameterCount()];
        badKeeps(net, () -> net.lossAndGradient(new float[9], new float[6], 2, g), "inputs", "expected length 10",
                "got 9");
        badKeeps(net, () -> net.lossAndGradient(new float[10], new float[5], 2, g), "targets", "expected length 6",
                "got 5");
        badKeeps(net, () -> net.lossAndGradient(new float[10], new float[6], 2, new float[g.length - 1]),
                "gradients", "expected length " + g.length, "got " + (g.length - 1));
        badKeeps(net, () -> net.lossAndGradient(new float[0], new float[0], 0, g), "batch", "positive", "got 0");
        badKeeps(net, () -> net.loss(new float[11], new float[6], 2), "inputs", "expected length 10", "got 11");
        badKeeps(net, () -> net.predictBatch(new float[9], 2, new float[6], net.newWorkspace(2)), "inputs",
                "length >= 10", "got 9");
        badKeeps(net, () -> net.predictBatch(new float[10], 2, new float[5], net.newWorkspace(2)), "outputs",
                "length >= 6", "got 5");
    }

    @Test
    void trainerStepRejectsBadSlicesAndChangesNothing() {
        Network net = mse();
        Optimizer opt = Optimizer.adam(0.1);
        try (Trainer trainer = Trainer.builder(net, opt).batchSize(4).threads(1).build()) {
            badKeeps(net, () -> trainer.step(new float[9], 0, new float[6], 0, 2), "inputs", "10 values",
                    "length 9");
            badKeeps(net, () -> trainer.step(new float[12], 3, new float[6], 0, 2), "inputs", "offset 3", "length 12");
            badKeeps(net, () -> trainer.step(new float[10], 0, new float[6], 1, 2), "targets", "6 values",
                    "offset 1", "length 6");
            badKeeps(net, () -> trainer.step(new float[25], 0, new float[15], 0, 5), "batch", "1..4", "got 5");
            badKeeps(net, () -> trainer.step(new float[10], 0, new float[6], 0, 0), "batch", "1..4", "got 0");
            float[] x = new float[10];
            x[7] = Float.NaN;
            badKeeps(net, () -> trainer.step(x, 0, new float[6], 0, 2), "inputs", "finite", "NaN", "index 7");
            float[] t = new float[6];
            t[5] = Float.NEGATIVE_INFINITY;
            badKeeps(net, () -> trainer.step(new float[10], 0, t, 0, 2), "targets", "finite", "-Infinity");
            assertEquals(0, trainer.iterations(), "no step was taken");
            assertEquals(0, opt.steps(), "the optimizer took no step");
            assertTrue(opt.state().isEmpty(), "no optimizer state was created");
        }
    }

    @Test
    void nonFiniteInputs() {
        Network net = mse();
        float[] x = {1, 2, Float.NaN, 4, 5};
        badKeeps(net, () -> net.predict(x), "input", "finite", "NaN", "index 2");
        float[] y = {1, 2, 3, 4, Float.POSITIVE_INFINITY};
        badKeeps(net, () -> net.predict(y, 0, new float[3], 0, net.newWorkspace()), "input", "Infinity", "index 4");
        float[] xs = new float[10];
        xs[8] = Float.NEGATIVE_INFINITY;
        badKeeps(net, () -> net.lossAndGradient(xs, new float[6], 2, new float[net.parameterCount()]), "inputs",
                "-Infinity", "index 8");
        badKeeps(net, () -> net.predictBatch(xs, 2, new float[6], net.newWorkspace(2)), "inputs", "-Infinity");
        float[] p = net.parameters();
        p[p.length - 1] = Float.NaN;
        badKeeps(net, () -> net.setParameters(p), "parameters", "finite", "NaN", "index " + (p.length - 1));
        badKeeps(net, () -> net.setWeights(0, new float[34]), "weights of layer 0", "expected length 35", "got 34");
        float[] b = {0, Float.POSITIVE_INFINITY, 0};
        badKeeps(net, () -> net.setBias(1, b), "bias of layer 1", "Infinity");
    }

    // ---- targets -------------------------------------------------------------------------------------------

    @Test
    void classIndexOutOfRangeOrNotAnInteger() {
        Network net = ce();
        float[] g = new float[net.parameterCount()];
        float[] x = new float[10];
        badKeeps(net, () -> net.lossAndGradient(x, new float[] {0, 3}, 2, g), "targets", "sample 1",
                "integer in [0, 3)", "got 3.0");
        badKeeps(net, () -> net.lossAndGradient(x, new float[] {-1, 0}, 2, g), "sample 0", "got -1.0");
        badKeeps(net, () -> net.lossAndGradient(x, new float[] {1.5f, 0}, 2, g), "sample 0", "integer", "got 1.5");
        badKeeps(net, () -> net.lossAndGradient(x, new float[] {0, Float.NaN}, 2, g), "sample 1", "got NaN");
        badKeeps(net, () -> net.loss(x, new float[] {0, 7}, 2), "sample 1", "got 7.0");
        // Trainer.fit validates the whole dataset before the first step: a bad label in the LAST sample
        float[] labels = new float[20];
        labels[19] = 2.5f;
        Optimizer opt = Optimizer.sgd(0.1).momentum(0.9);
        try (Trainer t = Trainer.builder(net, opt).batchSize(4).threads(1).build()) {
            badKeeps(net, () -> t.fit(Dataset.of(new float[100], 5, labels, 1)), "sample 19", "got 2.5");
            assertEquals(0, t.iterations());
            assertEquals(0, t.completedEpochs());
            assertEquals(0, opt.steps());
        }
    }

    @Test
    void bceTargetOutsideUnitInterval() {
        Network net = bce();
        float[] g = new float[net.parameterCount()];
        float[] x = new float[8];
        badKeeps(net, () -> net.lossAndGradient(x, new float[] {0, 1, 1.5f, 0}, 2, g), "targets", "value 0",
                "sample 1", "[0, 1]", "got 1.5");
        badKeeps(net, () -> net.lossAndGradient(x, new float[] {0, -0.1f, 1, 0}, 2, g), "value 1", "sample 0",
                "got -0.1");
        Network logits = Network.builder(4).dense(2, Activation.IDENTITY).loss(Loss.BCE_WITH_LOGITS).build();
        badKeeps(logits, () -> logits.loss(x, new float[] {0, 1, 1, 2}, 2), "[0, 1]", "got 2.0");
        // MSE accepts any finite target, but not NaN
        Network m = mse();
        m.loss(new float[5], new float[] {-7, 100, 3}, 1);
        badKeeps(m, () -> m.loss(new float[5], new float[] {0, Float.NaN, 0}, 1), "targets", "finite", "NaN");
    }

    // ---- optimizers ------------------------------------------------------------------------------------------

    @Test
    void optimizerStepWithWrongGradients() {
        Network net = mse();
        Optimizer opt = Optimizer.adam(0.01);
        int n = net.parameterCount();
        badKeeps(net, () -> opt.step(net, new float[n + 1]), "gradients", "expected length " + n, "got " + (n + 1));
        float[] g = new float[n];
        g[3] = Float.NaN;
        badKeeps(net, () -> opt.step(net, g), "gradients", "finite", "NaN", "index 3");
        assertEquals(0, opt.steps());
        assertTrue(opt.state().isEmpty());
        // an optimizer belongs to one network size
        opt.step(net, new float[n]);
        Network other = Network.builder(2).dense(1, Activation.IDENTITY).build();
        Map<String, float[]> state = opt.state();
        badKeeps(other, () -> opt.step(other, new float[other.parameterCount()]), "parameters", "used for " + n,
                "got " + other.parameterCount());
        assertEquals(1, opt.steps());
        assertArrayEquals(state.get("exp_avg"), opt.state().get("exp_avg"));
    }

    @Test
    void invalidHyperparameters() {
        bad(() -> Optimizer.sgd(-0.1), "learningRate", ">= 0", "got -0.1");
        bad(() -> Optimizer.adam(Double.NaN), "learningRate", "got NaN");
        bad(() -> Optimizer.rmsprop(Double.POSITIVE_INFINITY), "learningRate", "got Infinity");
        Sgd sgd = Optimizer.sgd(0.1);
        bad(() -> sgd.setLearningRate(-1), "learningRate", "got -1.0");
        assertEquals(0.1, sgd.learningRate(), "a rejected value is not kept");
        bad(() -> sgd.momentum(-0.9), "momentum", ">= 0", "got -0.9");
        bad(() -> sgd.weightDecay(-1e-4), "weightDecay", "got -1.0E-4");
        bad(() -> sgd.dampening(-0.1), "dampening", "got -0.1");
        Adam adam = Optimizer.adam(0.1);
        bad(() -> adam.beta1(1.0), "beta1", "[0, 1)", "got 1.0");
        bad(() -> adam.beta2(1.5), "beta2", "[0, 1)", "got 1.5");
        bad(() -> adam.beta1(-0.1), "beta1", "got -0.1");
        bad(() -> adam.beta2(Double.NaN), "beta2", "got NaN");
        bad(() -> adam.eps(-1e-8), "eps", ">= 0", "got -1.0E-8");
        bad(() -> adam.weightDecay(-0.01), "weightDecay", "got -0.01");
        assertEquals(0.9, adam.beta1());
        assertEquals(0.999, adam.beta2());
        RmsProp rms = Optimizer.rmsprop(0.1);
        bad(() -> rms.alpha(1.0), "alpha", "[0, 1)", "got 1.0");
        bad(() -> rms.eps(-1), "eps", "got -1.0");
        bad(() -> rms.momentum(-0.5), "momentum", "got -0.5");
        bad(() -> rms.weightDecay(-0.5), "weightDecay", "got -0.5");
    }

    @Test
    void nesterovWithoutMomentumFailsAtTheFirstStepAndChangesNothing() {
        Network net = mse();
        Sgd opt = Optimizer.sgd(0.1).nesterov(true); // accepted here; the combination is checked at the first step
        float[] g = new float[net.parameterCount()];
        java.util.Arrays.fill(g, 1f);
        badKeeps(net, () -> opt.step(net, g), "nesterov", "momentum > 0", "dampening = 0", "momentum 0.0");
        assertEquals(0, opt.steps());
        Sgd damped = Optimizer.sgd(0.1).momentum(0.9).dampening(0.1).nesterov(true);
        badKeeps(net, () -> damped.step(net, g), "nesterov", "dampening 0.1");
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(0.1).nesterov(true)).batchSize(2).threads(1).build()) {
            badKeeps(net, () -> t.step(new float[10], 0, new float[6], 0, 2), "nesterov", "momentum 0.0");
            assertEquals(0, t.iterations());
        }
        // fixed, it works
        opt.momentum(0.9);
        opt.step(net, g);
        assertEquals(1, opt.steps());
    }

    @Test
    void invalidTrainerSettings() {
        Network net = mse();
        Trainer.Builder b = Trainer.builder(net, Optimizer.sgd(0.1));
        bad(() -> b.batchSize(0), "batchSize", "positive", "got 0");
        bad(() -> b.epochs(-1), "epochs", "got -1");
        bad(() -> b.threads(0), "threads", "got 0");
        bad(() -> b.shardSize(0), "shardSize", "got 0");
        bad(() -> b.maxIterations(0), "maxIterations", "positive", "got 0");
        bad(() -> b.targetLoss(Double.NaN), "targetLoss", "NaN");
        bad(() -> b.gradientTolerance(-1), "gradientTolerance", ">= 0", "got -1.0");
        try (Trainer t = b.threads(1).build()) {
            bad(() -> t.restoreProgress(-1, 0), "completedEpochs", "got -1");
            bad(() -> t.restoreProgress(0, -5), "iterations", "-5");
            assertEquals(0, t.completedEpochs());
        }
    }

    @Test
    void invalidOptimizerStateChangesNothing() {
        Network net = mse();
        int n = net.parameterCount();
        Adam opt = Optimizer.adam(0.1);
        float[] g = new float[n];
        java.util.Arrays.fill(g, 0.5f);
        opt.step(net, g);
        Map<String, float[]> before = opt.state();
        float[] full = new float[n];
        java.util.Arrays.fill(full, 7f);
        bad(() -> opt.restoreState(-1, Map.of(), n), "steps", ">= 0", "got -1");
        bad(() -> opt.restoreState(3, Map.of("exp_avg", full), n), "exp_avg_sq", "missing");
        bad(() -> opt.restoreState(3, Map.of("exp_avg", full, "exp_avg_sq", new float[n - 1]), n),
                "exp_avg_sq", "expected length " + n, "got " + (n - 1));
        assertEquals(1, opt.steps(), "a failed restoreState keeps the step count");
        Map<String, float[]> after = opt.state();
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) {
            assertArrayEquals(before.get(k), after.get(k), "a failed restoreState changed buffer " + k);
        }
        // and the optimizer still works on its network
        opt.step(net, g);
        assertEquals(2, opt.steps());
    }

    // ---- architecture ----------------------------------------------------------------------------------------

    @Test
    void invalidArchitectures() {
        bad(() -> Network.builder(0).dense(3, Activation.IDENTITY).build(), "inputs", "positive", "got 0");
        bad(() -> Network.builder(3).dense(0, Activation.RELU).dense(2, Activation.IDENTITY).build(),
                "width of layer 0", "positive", "got 0");
        bad(() -> Network.builder(3).dense(4, Activation.RELU).dense(-2, Activation.IDENTITY).build(),
                "width of layer 1", "got -2");
        bad(() -> Network.builder(3).build(), "layers", "at least one dense layer", "none");
        bad(() -> Network.builder(3).dense(4, Activation.SOFTMAX).dense(2, Activation.IDENTITY).build(),
                "activation of layer 0", "softmax", "output layer only", "layer 1");
        bad(() -> Network.builder(3).dense(2, Activation.IDENTITY).loss(Loss.BCE).build(), "loss bce",
                "sigmoid", "got identity");
        bad(() -> Network.builder(3).dense(2, Activation.SOFTMAX).loss(Loss.BCE).build(), "loss bce", "got softmax");
        bad(() -> Network.builder(3).dense(2, Activation.SIGMOID).loss(Loss.CROSS_ENTROPY).build(),
                "loss cross_entropy", "identity (logits) or softmax", "got sigmoid");
        bad(() -> Network.builder(3).dense(2, Activation.TANH).loss(Loss.BCE_WITH_LOGITS).build(),
                "loss bce_with_logits", "identity (logits) or sigmoid", "got tanh");
        bad(() -> Network.builder(3).dense(2, Activation.LEAKY_RELU).leakyReluSlope(-0.1f).build(),
                "leakyReluSlope", ">= 0", "got -0.1");
        bad(() -> Network.builder(3).dense(2, Activation.LEAKY_RELU).leakyReluSlope(Float.NaN).build(),
                "leakyReluSlope", "got NaN");
        bad(() -> Activation.fromId("swish"), "activation", "gelu_tanh", "got 'swish'");
        bad(() -> Loss.fromId("hinge"), "loss", "bce_with_logits", "got 'hinge'");
    }

    // ---- datasets and workspaces -------------------------------------------------------------------------

    @Test
    void datasetShapeMismatchInFit() {
        Network net = mse(); // 5 inputs, 3 outputs
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(0.1)).batchSize(4).threads(1).build()) {
            badKeeps(net, () -> t.fit(Dataset.of(new float[40], 4, new float[30], 3)), "data",
                    "expected 5 features per sample", "got 4");
            badKeeps(net, () -> t.fit(Dataset.of(new float[50], 5, new float[20], 2)), "data",
                    "expected 3 target values per sample", "got 2");
            float[] features = new float[50];
            features[49] = Float.NaN;
            badKeeps(net, () -> t.fit(Dataset.of(features, 5, new float[30], 3)), "data features", "NaN",
                    "index 49");
            assertEquals(0, t.iterations());
        }
        Network c = ce();
        try (Trainer t = Trainer.builder(c, Optimizer.sgd(0.1)).batchSize(4).threads(1).build()) {
            badKeeps(c, () -> t.fit(Dataset.of(new float[50], 5, new float[30], 3)), "data",
                    "expected 1 target values per sample (a class index)", "got 3");
        }
        bad(() -> Dataset.of(new float[10], 3, new float[3], 1), "features", "multiple of featureCount 3", "got 10");
        bad(() -> Dataset.of(new float[9], 3, new float[4], 1), "targets", "expected length 3", "got 4");
        bad(() -> Dataset.of(new float[9], 0, new float[4], 1), "featureCount", "got 0");
    }

    @Test
    void workspaceFromAnotherArchitectureOrTooSmall() {
        Network net = mse();
        Network other = Network.builder(5).dense(8, Activation.TANH).dense(3, Activation.IDENTITY).build();
        Workspace foreign = other.newWorkspace(4);
        badKeeps(net, () -> net.predict(new float[5], 0, new float[3], 0, foreign), "ws", "[5, 7, 3]",
                "[5, 8, 3]");
        badKeeps(net, () -> net.predictBatch(new float[10], 2, new float[6], foreign), "ws", "[5, 7, 3]", "[5, 8, 3]");
        Workspace small = net.newWorkspace(2);
        badKeeps(net, () -> net.predictBatch(new float[15], 3, new float[9], small), "batch",
                "workspace capacity 2", "got 3");
        bad(() -> net.newWorkspace(0), "maxBatch", "positive", "got 0");
        // the same architecture built separately is fine
        Network twin = Network.builder(5).dense(7, Activation.SIGMOID).dense(3, Activation.IDENTITY).build();
        net.predict(new float[5], 0, new float[3], 0, twin.newWorkspace());
    }
}
