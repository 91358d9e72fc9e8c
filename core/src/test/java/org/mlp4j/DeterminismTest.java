package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.mlp4j.internal.kernel.KernelProvider;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Same seeds give bit-identical parameters (compared with Arrays.equals on the float arrays, i.e. bit for bit
 * up to NaN canonicalisation), for any thread count or pool, and a resumed run equals an uninterrupted one.
 */
class DeterminismTest {

    /** A 3-class problem labelled by a random linear teacher: n samples of 6 features. */
    static Dataset classification(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] teacher = new double[3][6];
        for (double[] row : teacher) {
            for (int j = 0; j < row.length; j++) {
                row[j] = rnd.nextDouble() * 2 - 1;
            }
        }
        float[] x = new float[n * 6];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 6; j++) {
                x[i * 6 + j] = (float) (rnd.nextDouble() * 2 - 1);
            }
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int j = 0; j < 6; j++) {
                    s += teacher[c][j] * x[i * 6 + j];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            y[i] = best;
        }
        return Dataset.of(x, 6, y, 1);
    }

    static Network network(long seed) {
        return Network.builder(6).dense(13, Activation.RELU).dense(9, Activation.TANH).dense(3, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).seed(seed).build();
    }

    static List<Kernels> kernels() {
        List<Kernels> k = new ArrayList<>();
        k.add(KernelProvider.scalar());
        KernelProvider.vector().ifPresent(k::add);
        return k;
    }

    @Test
    void sameSeedSameInitialWeightsDifferentSeedDifferent() {
        for (WeightInit init : WeightInit.values()) {
            Supplier<Network.Builder> b = () -> Network.builder(7).dense(11, Activation.LEAKY_RELU)
                    .dense(5, Activation.SIGMOID).weightInit(init);
            float[] a = b.get().seed(42).build().parameters();
            float[] c = b.get().seed(42).build().parameters();
            float[] d = b.get().seed(43).build().parameters();
            assertTrue(Arrays.equals(a, c), init + ": same seed, same weights");
            assertFalse(Arrays.equals(a, d), init + ": different seed, different weights");
            long nonZero = 0;
            for (float v : a) {
                nonZero += v != 0f ? 1 : 0;
            }
            assertEquals(7 * 11 + 11 * 5, nonZero, init + ": every weight is drawn, every bias is 0");
        }
    }

    static float[] train(Network net, Optimizer opt, Dataset data, int batch, int epochs, long seed,
                         Supplier<Trainer.Builder> extra) {
        Trainer.Builder b = extra == null ? Trainer.builder(net, opt).threads(1) : extra.get();
        try (Trainer t = b.batchSize(batch).epochs(epochs).seed(seed).build()) {
            TrainingResult r = t.fit(data);
            assertEquals(StopReason.MAX_EPOCHS, r.reason());
        }
        return net.parameters();
    }

    @Test
    void sameSeedsSameTrainedParameters() {
        Dataset data = classification(150, 1);
        float[] a = train(network(5), Optimizer.adam(0.01), data, 16, 3, 9, null);
        float[] b = train(network(5), Optimizer.adam(0.01), data, 16, 3, 9, null);
        assertTrue(Arrays.equals(a, b), "same network seed and trainer seed: bit-identical parameters");
        float[] c = train(network(5), Optimizer.adam(0.01), data, 16, 3, 10, null);
        assertFalse(Arrays.equals(a, c), "a different shuffle seed gives different parameters");
        float[] d = train(network(6), Optimizer.adam(0.01), data, 16, 3, 9, null);
        assertFalse(Arrays.equals(a, d), "a different network seed gives different parameters");
        assertFalse(Arrays.equals(network(5).parameters(), a), "training changed the parameters");
    }

    @Test
    void threadCountAndPoolDoNotChangeResults() {
        Dataset data = classification(300, 2);
        ForkJoinPool callerPool = new ForkJoinPool(3);
        try {
            for (Kernels k : kernels()) {
                for (int batch : new int[] {100, 128, 7}) {
                    float[] reference = null;
                    List<String> names = List.of("threads(1)", "threads(2)", "threads(4)", "caller pool(3)");
                    for (String name : names) {
                        Network net = network(3).withKernels(k);
                        Optimizer opt = Optimizer.sgd(0.05).momentum(0.9).nesterov(true);
                        Supplier<Trainer.Builder> b = () -> {
                            Trainer.Builder tb = Trainer.builder(net, opt).shardSize(32);
                            switch (name) {
                                case "threads(1)":
                                    return tb.threads(1);
                                case "threads(2)":
                                    return tb.threads(2);
                                case "threads(4)":
                                    return tb.threads(4);
                                default:
                                    return tb.pool(callerPool);
                            }
                        };
                        float[] p = train(net, opt, data, batch, 2, 4, b);
                        if (reference == null) {
                            reference = p;
                        } else {
                            assertTrue(Arrays.equals(reference, p), k.name() + " batch " + batch + ": " + name
                                    + " differs from threads(1)");
                        }
                    }
                }
            }
        } finally {
            callerPool.shutdown();
        }
    }

    /** More than one 65536-parameter update chunk: the parallel optimizer update is deterministic too. */
    @Test
    void parallelOptimizerUpdateIsDeterministic() {
        SplittableRandom rnd = new SplittableRandom(8);
        float[] x = new float[64 * 300];
        float[] y = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(10);
        }
        Dataset data = Dataset.of(x, 300, y, 1);
        float[][] results = new float[3][];
        int[] threads = {1, 2, 4};
        for (int i = 0; i < 3; i++) {
            Network net = Network.builder(300).dense(256, Activation.RELU).dense(10, Activation.IDENTITY)
                    .loss(Loss.CROSS_ENTROPY).seed(1).build();
            assertTrue(net.parameterCount() > 65536, "needs several update chunks");
            Optimizer opt = Optimizer.adamW(0.001);
            int th = threads[i];
            results[i] = train(net, opt, data, 32, 1, 3, () -> Trainer.builder(net, opt).threads(th).shardSize(16));
        }
        assertTrue(Arrays.equals(results[0], results[1]), "threads(2) differs from threads(1)");
        assertTrue(Arrays.equals(results[0], results[2]), "threads(4) differs from threads(1)");
    }

    @Test
    void resumedTrainingEqualsUninterruptedTraining() {
        Dataset data = classification(90, 3); // 90 samples, batch 16: a partial last batch every epoch
        List<Supplier<Optimizer>> optimizers = List.of(
                () -> Optimizer.adam(0.01),
                () -> Optimizer.sgd(0.05).momentum(0.9).dampening(0.1),
                () -> Optimizer.rmsprop(0.005).centered(true).momentum(0.5));
        for (Supplier<Optimizer> make : optimizers) {
            // uninterrupted 4 epochs
            Network full = network(11);
            Optimizer fullOpt = make.get();
            long fullIterations;
            try (Trainer t = Trainer.builder(full, fullOpt).batchSize(16).epochs(4).seed(5).threads(1).build()) {
                TrainingResult r = t.fit(data);
                assertEquals(4, r.epochs());
                fullIterations = r.iterations();
            }

            // 2 epochs, then "checkpoint"
            Network first = network(11);
            Optimizer firstOpt = make.get();
            float[] params;
            Map<String, float[]> state;
            long steps;
            long iterations;
            try (Trainer t = Trainer.builder(first, firstOpt).batchSize(16).epochs(2).seed(5).threads(1).build()) {
                TrainingResult r = t.fit(data);
                assertEquals(2, t.completedEpochs());
                params = first.parameters();
                state = firstOpt.state();
                steps = firstOpt.steps();
                iterations = t.iterations();
                assertEquals(r.iterations(), iterations);
            }
            assertFalse(state.isEmpty(), firstOpt.id() + " has state to restore");

            // fresh objects: a network with other initial weights, overwritten from the checkpoint
            Network resumed = network(999);
            resumed.setParameters(params);
            Optimizer resumedOpt = make.get();
            resumedOpt.restoreState(steps, state, resumed.parameterCount());
            try (Trainer t = Trainer.builder(resumed, resumedOpt).batchSize(16).epochs(4).seed(5).threads(2)
                    .build()) {
                t.restoreProgress(2, iterations);
                TrainingResult r = t.fit(data);
                assertEquals(4, r.epochs());
                assertEquals(fullIterations, r.iterations(), "iterations continue from the checkpoint");
            }
            assertTrue(Arrays.equals(full.parameters(), resumed.parameters()),
                    fullOpt.id() + ": resumed parameters differ from the uninterrupted run");
            assertEquals(fullOpt.steps(), resumedOpt.steps());
            Map<String, float[]> a = fullOpt.state();
            Map<String, float[]> b = resumedOpt.state();
            assertEquals(a.keySet(), b.keySet());
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k), b.get(k), fullOpt.id() + " state " + k);
            }
            assertNotEquals(0, fullIterations);
        }
    }

    @Test
    void secondFitCallContinuesLikeOneLongerRun() {
        Dataset data = classification(64, 4);
        Network a = network(2);
        Optimizer oa = Optimizer.adam(0.01);
        try (Trainer t = Trainer.builder(a, oa).batchSize(10).epochs(3).seed(1).threads(1).build()) {
            t.fit(data);
        }
        Network b = network(2);
        Optimizer ob = Optimizer.adam(0.01);
        try (Trainer t = Trainer.builder(b, ob).batchSize(10).epochs(3).seed(1).threads(1)
                .listener(new TrainingListener() {
                    @Override
                    public boolean onEpoch(EpochStats s) {
                        return s.epoch() != 1; // stop after the first epoch
                    }
                }).build()) {
            assertEquals(StopReason.LISTENER, t.fit(data).reason());
            assertEquals(1, t.completedEpochs());
        }
        try (Trainer t = Trainer.builder(b, ob).batchSize(10).epochs(3).seed(1).threads(1).build()) {
            t.restoreProgress(1, 7);
            assertEquals(StopReason.MAX_EPOCHS, t.fit(data).reason());
        }
        assertTrue(Arrays.equals(a.parameters(), b.parameters()), "stop after epoch 1 and resume == 3 epochs");
    }
}
