package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Inference ({@code predict}, {@code predictBatch}) reads a packed copy of the weights. Every way of
 * changing the parameters must be visible to the next predict: compared here against a fresh network
 * built from the same parameters.
 */
class InferenceCopyTest {

    static Network network() {
        // 32-64-64-1: small layers, a one-output layer (a partial panel on every vector width)
        return Network.builder(32).dense(64, Activation.RELU).dense(64, Activation.RELU)
                .dense(1, Activation.IDENTITY).loss(Loss.MSE).seed(3).build();
    }

    static float[] random(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    static void assertPredictsLikeFreshCopy(Network net, float[] x, String after) {
        Network fresh = network();
        fresh.setParameters(net.parameters());
        float[] got = new float[1];
        float[] expected = new float[1];
        Workspace ws = net.newWorkspace();
        Workspace fws = fresh.newWorkspace();
        for (int s = 0; s < 8; s++) {
            int sample = s;
            // huge (finite) parameters may overflow: then both must fail alike (Network's overflow promise)
            assertEquals(outcome(() -> fresh.predict(x, sample * 32, expected, 0, fws), expected),
                    outcome(() -> net.predict(x, sample * 32, got, 0, ws), got), "predict after " + after + ", sample " + s);
        }
        float[] batchGot = new float[8];
        float[] batchExpected = new float[8];
        assertEquals(outcome(() -> fresh.predictBatch(x, 8, batchExpected, fresh.newWorkspace(8)), batchExpected),
                outcome(() -> net.predictBatch(x, 8, batchGot, net.newWorkspace(8)), batchGot),
                "predictBatch after " + after);
    }

    /** The outputs bit for bit, or the exception's message. */
    private static String outcome(Runnable predict, float[] out) {
        try {
            predict.run();
        } catch (ArithmeticException e) {
            return e.getMessage();
        }
        StringBuilder sb = new StringBuilder();
        for (float v : out) {
            sb.append(Integer.toHexString(Float.floatToIntBits(v))).append(' ');
        }
        return sb.toString();
    }

    @Test
    void predictSeesEveryParameterChange() {
        Network net = network();
        float[] x = random(8 * 32, 1);
        float[] y = random(8, 2);
        float[] out = new float[1];
        net.predict(x, 0, out, 0, net.newWorkspace()); // builds the copy once
        assertPredictsLikeFreshCopy(net, x, "construction");

        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.05)).batchSize(8).threads(1).build()) {
            trainer.step(x, 0, y, 0, 8);
        }
        assertPredictsLikeFreshCopy(net, x, "Trainer.step");

        float[] g = new float[net.parameterCount()];
        net.lossAndGradient(x, y, 8, g);
        Optimizer.adam(0.01).step(net, g);
        assertPredictsLikeFreshCopy(net, x, "Optimizer.step");

        net.setWeights(1, random(64 * 64, 4));
        assertPredictsLikeFreshCopy(net, x, "setWeights");
        net.setBias(0, random(64, 5));
        assertPredictsLikeFreshCopy(net, x, "setBias");
        net.setParameters(random(net.parameterCount(), 6));
        assertPredictsLikeFreshCopy(net, x, "setParameters");

        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(1e30)).batchSize(8).threads(1).build()) {
            assertThrows(TrainingDivergedException.class, () -> {
                for (int i = 0; i < 10; i++) {
                    trainer.step(x, 0, y, 0, 8);
                }
            });
        }
        assertPredictsLikeFreshCopy(net, x, "a diverged step");
    }
}
