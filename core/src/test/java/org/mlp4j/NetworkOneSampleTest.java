package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Network#predict} of one sample reads its own copy of the packed weights (64-byte aligned on JDK 22+ with
 * the vector kernels), refreshed after every parameter change: one sample gives the bits of the batch path (which
 * reads the packed heap arrays) before and after {@code setParameters}, {@code setWeights} and training steps,
 * for a net whose layers are not multiples of the vector length.
 */
class NetworkOneSampleTest {
    @Test
    void oneSampleFollowsEveryParameterChangeBitForBit() {
        Network net = Network.builder(37).dense(70, Activation.RELU).dense(33, Activation.TANH)
                .dense(5, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(7).build();
        SplittableRandom rnd = new SplittableRandom(2026_12_06);
        float[] x = new float[3 * 37];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        Workspace ws = net.newWorkspace(3);
        check(net, x, ws, "as built");

        float[] p = net.parameters();
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) rnd.nextDouble(-0.5, 0.5);
        }
        net.setParameters(p);
        check(net, x, ws, "after setParameters");

        float[] w = net.weights(1);
        w[0] += 0.25f;
        net.setWeights(1, w);
        check(net, x, ws, "after setWeights");

        Trainer t = Trainer.builder(net, Optimizer.sgd(0.05).momentum(0.9)).batchSize(3).build();
        float[] y = {1, 4, 0};
        for (int s = 0; s < 3; s++) {
            t.step(x, 0, y, 0, 3);
            check(net, x, ws, "after training step " + s);
        }
    }

    private static void check(Network net, float[] x, Workspace ws, String when) {
        float[] batch = new float[3 * 5];
        net.predictBatch(x, 3, batch, ws);
        for (int b = 0; b < 3; b++) {
            float[] one = new float[5];
            net.predict(x, b * 37, one, 0, ws);
            float[] want = java.util.Arrays.copyOfRange(batch, b * 5, b * 5 + 5);
            assertArrayEquals(want, one, when + ", sample " + b);
        }
    }
}
