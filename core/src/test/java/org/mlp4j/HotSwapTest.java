package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mlp4j.internal.kernel.Bf16;

/**
 * N threads serve from one predictor while one thread trains and publishes every k steps: every response is
 * bit-identical to the output of the version the call reports (so to one published version, never a mix of
 * layers), every version reported was published, and every call is answered.
 */
class HotSwapTest {
    private static final int IN = 24;
    private static final int OUT = 5;
    private static final int PROBES = 7;
    private static final int MAX_CALLS = 40_000;
    private static final int AFTER = 20;
    private static final int EPOCHS = 6;

    @ParameterizedTest
    @CsvSource({"2, FLOAT32", "8, FLOAT32", "16, FLOAT32", "8, BFLOAT16"})
    void servingThreadsSeeWholeVersionsWhileTrainingPublishes(int threads, Predictor.Precision precision)
            throws Exception {
        Network net = Network.builder(IN).dense(33, Activation.RELU).dense(17, Activation.TANH)
                .dense(OUT, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(9).build();
        SplittableRandom rnd = new SplittableRandom(threads);
        int samples = 512;
        float[] x = new float[samples * IN];
        float[] y = new float[samples];
        for (int s = 0; s < samples; s++) {
            y[s] = rnd.nextInt(OUT);
            for (int i = 0; i < IN; i++) {
                x[s * IN + i] = (i % OUT == y[s] ? 1f : 0f) + (float) rnd.nextDouble() * 0.5f;
            }
        }
        float[] probes = new float[PROBES * IN];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = (float) rnd.nextDouble() * 2 - 1;
        }

        Predictor predictor = Predictor.of(net, precision);
        Map<Long, float[]> published = new ConcurrentHashMap<>();
        published.put(predictor.version(), net.parameters());
        int k = 3;
        TrainingListener publisher = predictor.publishEvery(net, k);
        TrainingListener recorder = new TrainingListener() {
            @Override
            public boolean onBatch(BatchStats stats) {
                boolean go = publisher.onBatch(stats);
                if (stats.iteration() % k == 0) { // the training thread is the only publisher
                    published.put(predictor.version(), net.parameters());
                }
                return go;
            }
        };

        AtomicBoolean training = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[][] versions = new long[threads][MAX_CALLS + AFTER];
        float[][] outputs = new float[threads][(MAX_CALLS + AFTER) * OUT];
        int[] calls = new int[threads];
        List<Thread> servers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    int n = 0;
                    // serve throughout training (up to MAX_CALLS), then AFTER calls once it has finished
                    while (n < MAX_CALLS && training.get()) {
                        versions[id][n] = predictor.predict(probes, (n % PROBES) * IN, outputs[id], n * OUT);
                        n++;
                    }
                    while (training.get()) {
                        Thread.sleep(1);
                    }
                    for (int i = 0; i < AFTER; i++, n++) {
                        versions[id][n] = predictor.predict(probes, (n % PROBES) * IN, outputs[id], n * OUT);
                    }
                    calls[id] = n;
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "server-" + t);
            th.start();
            servers.add(th);
        }
        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.05).momentum(0.9)).batchSize(16).epochs(EPOCHS)
                .seed(2).threads(1).listener(recorder).build()) {
            start.countDown();
            trainer.fit(Dataset.of(x, IN, y, 1));
        } finally {
            training.set(false);
        }
        for (Thread th : servers) {
            th.join(60_000);
        }
        if (failure.get() != null) {
            throw new AssertionError("a serving thread failed", failure.get());
        }
        assertEquals(EPOCHS * samples / 16 / k + 1, published.size(), "versions published");

        // expected outputs of every published version for every probe, from a network with those parameters
        Map<Long, float[][]> expected = new ConcurrentHashMap<>();
        Network ref = net.copy();
        for (Map.Entry<Long, float[]> e : published.entrySet()) {
            float[] p = e.getValue().clone();
            if (precision == Predictor.Precision.BFLOAT16) {
                roundWeights(ref.layout(), p);
            }
            ref.setParameters(p);
            float[][] rows = new float[PROBES][];
            for (int i = 0; i < PROBES; i++) {
                rows[i] = ref.predict(java.util.Arrays.copyOfRange(probes, i * IN, (i + 1) * IN));
            }
            expected.put(e.getKey(), rows);
        }
        long total = 0;
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (int t = 0; t < threads; t++) {
            total += calls[t];
            for (int n = 0; n < calls[t]; n++) {
                float[][] rows = expected.get(versions[t][n]);
                assertNotNull(rows, "thread " + t + " call " + n + ": version " + versions[t][n] + " was never published");
                assertArrayEquals(rows[n % PROBES], java.util.Arrays.copyOfRange(outputs[t], n * OUT, (n + 1) * OUT),
                        "thread " + t + " call " + n + " (version " + versions[t][n] + ")");
                seen.add(versions[t][n]);
            }
            assertEquals(predictor.version(), versions[t][calls[t] - 1], "thread " + t + ": last call after training");
        }
        assertTrue(seen.size() >= 2, "the calls saw only " + seen + " of " + published.size() + " versions");
        System.out.println("HotSwapTest " + threads + " threads " + precision + ": " + total + " calls, "
                + seen.size() + " of " + published.size() + " versions seen");
    }

    static void roundWeights(ParameterLayout layout, float[] p) {
        for (int l = 0; l < layout.layerCount(); l++) {
            for (int i = 0; i < layout.weightCount(l); i++) {
                p[layout.weightOffset(l) + i] = Bf16.round(p[layout.weightOffset(l) + i]);
            }
        }
    }
}
