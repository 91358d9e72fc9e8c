package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Predictor: outputs against Network, bf16 against rounded weights, helpers, validation, lifecycle, 0 B/call. */
class PredictorTest {

    private static Network net(Activation hidden, Activation out, Loss loss, long seed) {
        return Network.builder(37).dense(70, hidden).dense(33, Activation.TANH).dense(10, out).loss(loss).seed(seed)
                .build();
    }

    private static float[] inputs(int rows, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[rows * 37];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    @Test
    void float32IsBitIdenticalToNetworkForEveryActivation() {
        for (Activation act : Activation.values()) {
            if (act == Activation.SOFTMAX) {
                continue;
            }
            Network net = net(act, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 3);
            Predictor p = Predictor.of(net);
            float[] x = inputs(9, 4);
            Workspace ws = net.newWorkspace(9);
            float[] expected = new float[9 * 10];
            net.predictBatch(x, 9, expected, ws);
            float[] batch = new float[9 * 10];
            assertEquals(1, p.predictBatch(x, 9, batch));
            assertArrayEquals(expected, batch, act + " batch");
            float[] viaWs = new float[9 * 10];
            p.predictBatch(x, 9, viaWs, ws);
            assertArrayEquals(expected, viaWs, act + " batch with a workspace");
            for (int s = 0; s < 9; s++) {
                float[] one = new float[12];
                assertEquals(1, p.predict(x, s * 37, one, 2));
                assertArrayEquals(Arrays.copyOfRange(expected, s * 10, s * 10 + 10), Arrays.copyOfRange(one, 2, 12),
                        act + " sample " + s);
            }
        }
    }

    @Test
    void bfloat16EqualsFloatNetworkWithRoundedWeights() {
        Network net = net(Activation.RELU, Activation.IDENTITY, Loss.CROSS_ENTROPY, 5);
        Predictor p = Predictor.of(net, Predictor.Precision.BFLOAT16);
        assertEquals(Predictor.Precision.BFLOAT16, p.precision());
        float[] rounded = net.parameters();
        HotSwapTest.roundWeights(net.layout(), rounded);
        Network ref = net.copy();
        ref.setParameters(rounded);
        float[] x = inputs(13, 6);
        float[] expected = new float[13 * 10];
        ref.predictBatch(x, 13, expected, ref.newWorkspace(13));
        float[] got = new float[13 * 10];
        p.predictBatch(x, 13, got);
        assertArrayEquals(expected, got);
        float[] one = new float[10];
        p.predict(x, 12 * 37, one, 0);
        assertArrayEquals(Arrays.copyOfRange(expected, 120, 130), one);
        // and it differs from float32 (the rounding is real) by little
        float[] fp = new float[13 * 10];
        net.predictBatch(x, 13, fp, net.newWorkspace(13));
        assertTrue(!Arrays.equals(fp, got));
        for (int i = 0; i < fp.length; i++) {
            assertEquals(fp[i], got[i], 0.05f, "output " + i);
        }
    }

    @Test
    void bfloat16RefusesWeightsBeyondItsRange() {
        Network net = net(Activation.RELU, Activation.IDENTITY, Loss.CROSS_ENTROPY, 5);
        float[] w = net.weights(1);
        w[4] = 3.3999e38f;
        net.setWeights(1, w);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Predictor.of(net, Predictor.Precision.BFLOAT16));
        assertTrue(e.getMessage().contains("weights of layer 1: value 4"), e.getMessage());
    }

    @Test
    void publishSwapsVersionsAndChecksTheArchitecture() {
        Network net = net(Activation.RELU, Activation.IDENTITY, Loss.CROSS_ENTROPY, 7);
        Predictor p = Predictor.of(net);
        Network other = net(Activation.RELU, Activation.IDENTITY, Loss.CROSS_ENTROPY, 8);
        float[] x = inputs(1, 9);
        float[] before = new float[10];
        assertEquals(1, p.predict(x, 0, before, 0));
        assertEquals(2, p.publish(other));
        assertEquals(2, p.version());
        float[] after = new float[10];
        assertEquals(2, p.predict(x, 0, after, 0));
        assertArrayEquals(other.predict(x), after);
        assertArrayEquals(net.predict(x), before);
        assertEquals(3, p.publish(net.parameters()));
        assertArrayEquals(net.predict(x), probe(p, x));

        Network wider = Network.builder(37).dense(71, Activation.RELU).dense(33, Activation.TANH)
                .dense(10, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.publish(wider));
        assertTrue(e.getMessage().contains("widths [37, 70, 33, 10], got [37, 71, 33, 10]"), e.getMessage());
        Network sigmoid = net(Activation.SIGMOID, Activation.IDENTITY, Loss.CROSS_ENTROPY, 7);
        e = assertThrows(IllegalArgumentException.class, () -> p.publish(sigmoid));
        assertTrue(e.getMessage().contains("activation relu on layer 0, got sigmoid"), e.getMessage());
        Network mse = net(Activation.RELU, Activation.IDENTITY, Loss.MSE, 7);
        e = assertThrows(IllegalArgumentException.class, () -> p.publish(mse));
        assertTrue(e.getMessage().contains("loss cross_entropy, got mse"), e.getMessage());
        float[] bad = net.parameters();
        bad[5] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> p.publish(bad));
        assertTrue(e.getMessage().contains("parameters: expected finite values, got NaN at index 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.publish(new float[3]));
        assertEquals(3, p.version(), "a refused publish changes nothing");
    }

    private static float[] probe(Predictor p, float[] x) {
        float[] out = new float[p.outputSize()];
        p.predict(x, 0, out, 0);
        return out;
    }

    @Test
    void probabilitiesClassesAndTopK() {
        Network net = net(Activation.RELU, Activation.IDENTITY, Loss.CROSS_ENTROPY, 11);
        Predictor p = Predictor.of(net);
        float[] x = inputs(1, 12);
        assertTrue(p.hasProbabilities());
        float[] probs = new float[10];
        p.predictProbabilities(x, 0, probs, 0);
        assertArrayEquals(net.predictProbabilities(x), probs);
        float[] logits = net.predict(x);
        int best = Predictor.argmax(logits, 0, 10);
        assertEquals(best, p.predictClass(x, 0));
        int[] top = new int[4];
        Predictor.topK(logits, 0, 10, 3, top, 1);
        assertEquals(best, top[1]);
        assertTrue(logits[top[1]] >= logits[top[2]] && logits[top[2]] >= logits[top[3]]);
        float[] v = {1f, 5f, Float.NaN, 5f, 2f, 7f};
        int[] idx = new int[6];
        Predictor.topK(v, 0, 6, 6, idx, 0);
        assertArrayEquals(new int[] {5, 1, 3, 4, 0, 2}, idx, "largest first, ties in index order, NaN last");
        Predictor.topK(v, 1, 4, 2, idx, 0);
        assertArrayEquals(new int[] {0, 2}, Arrays.copyOf(idx, 2));
        assertEquals(5, Predictor.argmax(v, 0, 6));
        assertEquals(1, Predictor.argmax(new float[] {Float.NaN, 3f}, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Predictor.topK(v, 0, 6, 7, idx, 0));
        assertThrows(IllegalArgumentException.class, () -> Predictor.topK(v, 0, 6, 3, idx, 4));
        Predictor regression = Predictor.of(net(Activation.RELU, Activation.IDENTITY, Loss.MSE, 1));
        assertTrue(!regression.hasProbabilities());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> regression.predictProbabilities(x, 0, probs, 0));
        assertTrue(e.getMessage().startsWith("probabilities: "), e.getMessage());
    }

    @Test
    void badArgumentsAreNamed() {
        Network net = net(Activation.RELU, Activation.IDENTITY, Loss.CROSS_ENTROPY, 13);
        Predictor p = Predictor.of(net);
        float[] x = inputs(2, 14);
        float[] out = new float[20];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.predict(x, 40, out, 0));
        assertTrue(e.getMessage().startsWith("input: expected 37 values from offset 40"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.predict(x, 0, out, 11));
        assertTrue(e.getMessage().startsWith("output: "), e.getMessage());
        x[40] = Float.POSITIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> p.predictBatch(x, 2, out));
        assertTrue(e.getMessage().contains("Infinity at index 40"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.predictBatch(x, 0, out));
        assertTrue(e.getMessage().startsWith("batch: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.predictBatch(x, 3, out));
        assertTrue(e.getMessage().startsWith("inputs: expected length >= 111"), e.getMessage());
        Workspace small = net.newWorkspace(1);
        e = assertThrows(IllegalArgumentException.class, () -> p.predictBatch(inputs(2, 1), 2, out, small));
        assertTrue(e.getMessage().contains("workspace capacity 1, got 2"), e.getMessage());
        Workspace foreign = Network.builder(3).dense(2, Activation.RELU).build().newWorkspace(4);
        e = assertThrows(IllegalArgumentException.class, () -> p.predictBatch(inputs(2, 1), 2, out, foreign));
        assertTrue(e.getMessage().startsWith("ws: "), e.getMessage());
        float[] huge = new float[37];
        Arrays.fill(huge, 3e38f);
        assertThrows(ArithmeticException.class, () -> p.predict(huge, 0, out, 0));
    }

    @Test
    void closeDropsTheWeights() {
        Predictor p = Predictor.of(net(Activation.RELU, Activation.IDENTITY, Loss.CROSS_ENTROPY, 15));
        float[] x = inputs(1, 16);
        p.predict(x, 0, new float[10], 0);
        p.releaseThreadScratch();
        p.predict(x, 0, new float[10], 0); // scratch recreated
        p.close();
        p.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.predict(x, 0, new float[10], 0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> p.publish(net(Activation.RELU, Activation.IDENTITY,
                Loss.CROSS_ENTROPY, 15)));
        assertTrue(p.toString().endsWith("closed]"), p.toString());
    }

    /** Steady-state calls allocate nothing, fp32 and bf16, single and batch (after the JIT settles). */
    @Test
    void steadyStateCallsAllocateNothing() throws Throwable {
        Network net = Network.builder(32).dense(64, Activation.RELU).dense(64, Activation.RELU)
                .dense(1, Activation.IDENTITY).build();
        for (Predictor.Precision precision : Predictor.Precision.values()) {
            Predictor p = Predictor.of(net, precision);
            float[] x = new float[8 * 32];
            Arrays.fill(x, 0.25f);
            float[] out = new float[8];
            long bytes = -1;
            // warm until C2 has compiled the path (interpreted Vector API code allocates its vectors)
            for (int round = 0; round < 40 && bytes != 0; round++) {
                long overhead = -Allocations.thisThread() + Allocations.thisThread(); // what one read allocates itself, if anything
                long before = Allocations.thisThread();
                for (int i = 0; i < 2000; i++) {
                    p.predict(x, 0, out, 0);
                    p.predictBatch(x, 8, out);
                    p.predictClass(x, 32);
                }
                bytes = Allocations.thisThread() - before - overhead;
            }
            assertEquals(0, bytes, precision + ": bytes allocated by 6000 steady-state calls");
        }
    }

    /**
     * A reader allocates nothing while another thread publishes back to back, on a net wide enough (784 inputs)
     * that one sample searches its input for blank stretches, with image-like inputs that have them; the
     * publisher allocates (it packs each new version off the read path).
     */
    @Test
    void readsOfAWideNetAllocateNothingDuringPublishes() throws Throwable {
        Network net = Network.builder(784).dense(64, Activation.RELU).dense(10, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).seed(3).build();
        float[] x = new float[2 * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i / 28) % 3 == 0 || i % 28 < 6 ? 0f : (i % 11) / 11f; // blank rows and margins
        }
        for (Predictor.Precision precision : Predictor.Precision.values()) {
            Predictor p = Predictor.of(net, precision);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread publisher = new Thread(() -> {
                while (!stop.get()) {
                    p.publish(net);
                }
            });
            publisher.start();
            try {
                float[] out = new float[20];
                long bytes = -1;
                for (int round = 0; round < 40 && bytes != 0; round++) {
                    long overhead = -Allocations.thisThread() + Allocations.thisThread();
                    long before = Allocations.thisThread();
                    for (int i = 0; i < 1000; i++) {
                        p.predict(x, 0, out, 0);
                        p.predict(x, 784, out, 10);
                    }
                    bytes = Allocations.thisThread() - before - overhead;
                }
                assertEquals(0, bytes, precision + ": bytes allocated by 2000 reads during publishes");
            } finally {
                stop.set(true);
                publisher.join();
            }
        }
    }

    /**
     * The explicit-workspace forms of {@link Network} allocate nothing either, on the kernels in use (the
     * workspace check once copied the layout's widths on every call: 32 B per call).
     */
    @Test
    void networkCallsWithWorkspaceAllocateNothing() throws Throwable {
        Network net = Network.builder(32).dense(64, Activation.RELU).dense(10, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).build();
        Workspace one = net.newWorkspace();
        Workspace eight = net.newWorkspace(8);
        float[] x = new float[8 * 32];
        Arrays.fill(x, 0.25f);
        float[] out = new float[8 * 10];
        long bytes = -1;
        for (int round = 0; round < 40 && bytes != 0; round++) {
            long overhead = -Allocations.thisThread() + Allocations.thisThread();
            long before = Allocations.thisThread();
            for (int i = 0; i < 2000; i++) {
                net.predict(x, 0, out, 0, one);
                net.predictBatch(x, 8, out, eight);
            }
            bytes = Allocations.thisThread() - before - overhead;
        }
        assertEquals(0, bytes, "bytes allocated by 4000 steady-state Network.predict/predictBatch calls");
    }
}
