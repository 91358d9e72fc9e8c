package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Several threads predicting on one network concurrently, each with its own {@link Workspace}, get exactly
 * (bit for bit) the outputs of a single thread. (That predict allocates nothing is for the JMH benchmarks.)
 */
class WorkspaceConcurrencyTest {
    static final int SAMPLES = 400;
    static final int THREADS = 4;

    static Network network() {
        return Network.builder(20).dense(33, Activation.GELU).dense(17, Activation.TANH).dense(5, Activation.SOFTMAX)
                .loss(Loss.CROSS_ENTROPY).seed(12).build();
    }

    static float[] inputs() {
        SplittableRandom rnd = new SplittableRandom(4);
        float[] x = new float[SAMPLES * 20];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 4 - 2);
        }
        return x;
    }

    @Test
    void concurrentPredictEqualsSingleThread() throws Exception {
        Network net = network();
        float[] x = inputs();
        int out = net.outputSize();
        float[] expected = new float[SAMPLES * out];
        Workspace ws = net.newWorkspace();
        for (int i = 0; i < SAMPLES; i++) {
            net.predict(x, i * 20, expected, i * out, ws);
        }
        float[] expectedBatch = new float[SAMPLES * out];
        net.predictBatch(x, SAMPLES, expectedBatch, net.newWorkspace(SAMPLES));
        // sanity: the outputs are not all equal (a real signal to compare)
        assertTrue(expected[0] != expected[out], "distinct outputs");

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<float[][]>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int first = t * 37;
                results.add(pool.submit(() -> {
                    Workspace mine = net.newWorkspace(64);
                    float[] single = new float[SAMPLES * out];
                    float[] batch = new float[SAMPLES * out];
                    float[] tmp = new float[64 * out];
                    start.await();
                    for (int round = 0; round < 5; round++) {
                        // single samples, starting at a different sample in every thread
                        for (int k = 0; k < SAMPLES; k++) {
                            int i = (first + k) % SAMPLES;
                            net.predict(x, i * 20, single, i * out, mine);
                        }
                        // the whole set as one batch through a dedicated batch workspace
                        net.predictBatch(x, SAMPLES, batch, net.newWorkspace(SAMPLES));
                        // and small batches through the shared-size workspace (overwrites its buffers often)
                        float[] x64 = Arrays.copyOfRange(x, 0, 64 * 20);
                        net.predictBatch(x64, 64, tmp, mine);
                    }
                    return new float[][] {single, batch, tmp};
                }));
            }
            start.countDown();
            float[] expected64 = new float[64 * out];
            net.predictBatch(Arrays.copyOfRange(x, 0, 64 * 20), 64, expected64, net.newWorkspace(64));
            for (int t = 0; t < THREADS; t++) {
                float[][] r = results.get(t).get(60, TimeUnit.SECONDS);
                assertTrue(Arrays.equals(expected, r[0]), "thread " + t + ": single-sample outputs differ");
                assertTrue(Arrays.equals(expectedBatch, r[1]), "thread " + t + ": batch outputs differ");
                assertTrue(Arrays.equals(expected64, r[2]), "thread " + t + ": 64-batch outputs differ");
            }
        } finally {
            pool.shutdownNow();
        }
        // softmax rows still sum to 1: the outputs are real probabilities
        for (int i = 0; i < SAMPLES; i++) {
            double s = 0;
            for (int j = 0; j < out; j++) {
                s += expected[i * out + j];
            }
            assertEquals(1.0, s, 1e-5);
        }
    }

    @Test
    void concurrentPredictOnCopiesEqualsOriginal() throws Exception {
        // copies are independent networks: predicting on copies concurrently equals the original
        Network net = network();
        float[] x = inputs();
        float[] expected = new float[5];
        net.predict(x, 0, expected, 0, net.newWorkspace());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<float[]>> r = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Network copy = net.copy();
                r.add(pool.submit(() -> {
                    float[] o = new float[5];
                    Workspace ws = copy.newWorkspace();
                    for (int k = 0; k < 200; k++) {
                        copy.predict(x, 0, o, 0, ws);
                    }
                    return o;
                }));
            }
            for (Future<float[]> f : r) {
                assertTrue(Arrays.equals(expected, f.get(60, TimeUnit.SECONDS)));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
