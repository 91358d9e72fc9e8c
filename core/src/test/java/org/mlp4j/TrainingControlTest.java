package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Schedules, clipping, early stopping, stopping conditions and divergence in {@link Trainer}. */
class TrainingControlTest {

    /** Two Gaussian blobs in 4 dimensions; class = which blob; labels flipped when {@code flip}. */
    static Dataset blobs(int n, long seed, boolean flip) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 4];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            for (int j = 0; j < 4; j++) {
                x[i * 4 + j] = (float) (r.nextGaussian() * 0.7 + (c == 0 ? -1 : 1));
            }
            y[i] = flip ? 1 - c : c;
        }
        return Dataset.of(x, 4, y, 1);
    }

    static Network net(long seed) {
        return Network.builder(4).dense(8, Activation.TANH).dense(2, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).seed(seed).build();
    }

    @Test
    void scheduleSetsTheLearningRateOfEveryStep() {
        Network net = net(1);
        Sgd sgd = Optimizer.sgd(123);
        List<Double> rates = new ArrayList<>();
        LearningRateSchedule schedule = LearningRateSchedule.stepDecay(0.1, 3, 0.5);
        try (Trainer t = Trainer.builder(net, sgd).batchSize(10).epochs(2).threads(1).schedule(schedule)
                .listener(new TrainingListener() {
                    @Override
                    public boolean onBatch(BatchStats s) {
                        rates.add(sgd.learningRate());
                        return true;
                    }
                }).build()) {
            t.fit(blobs(40, 3, false));
        }
        assertEquals(8, rates.size());
        for (int i = 0; i < rates.size(); i++) {
            assertEquals(schedule.learningRate(i), rates.get(i), 0.0, "step " + i);
        }
    }

    @Test
    void clippingBoundsTheUpdateByMaxNormTimesLearningRate() {
        Dataset d = blobs(16, 5, false);
        Network plain = net(2);
        Network clipped = plain.copy();
        float[] before = plain.parameters();
        double norm;
        try (Trainer t = Trainer.builder(plain, Optimizer.sgd(0.5)).batchSize(16).threads(1).build()) {
            t.step(d.features(), 0, d.targets(), 0, 16);
            norm = t.lastGradientNorm();
        }
        double max = norm / 4;
        try (Trainer t = Trainer.builder(clipped, Optimizer.sgd(0.5)).batchSize(16).threads(1)
                .clipGradientNorm(max).build()) {
            t.step(d.features(), 0, d.targets(), 0, 16);
            assertEquals(norm, t.lastGradientNorm(), 1e-12, "the reported norm is the one before clipping");
        }
        float[] a = plain.parameters();
        float[] b = clipped.parameters();
        double step = 0;
        for (int i = 0; i < a.length; i++) {
            double dp = before[i] - b[i];
            step += dp * dp;
            // the clipped update is the plain update scaled by max / norm = 1/4
            assertEquals((before[i] - a[i]) / 4.0, before[i] - b[i], 1e-6);
        }
        assertEquals(0.5 * max, Math.sqrt(step), 1e-5);
    }

    @Test
    void clippingBelowTheThresholdChangesNothing() {
        Dataset d = blobs(16, 5, false);
        Network a = net(2);
        Network b = a.copy();
        try (Trainer t = Trainer.builder(a, Optimizer.sgd(0.5)).batchSize(16).threads(1).build()) {
            t.step(d.features(), 0, d.targets(), 0, 16);
        }
        try (Trainer t = Trainer.builder(b, Optimizer.sgd(0.5)).batchSize(16).threads(1).clipGradientNorm(1e9).build()) {
            t.step(d.features(), 0, d.targets(), 0, 16);
        }
        assertArrayEquals(a.parameters(), b.parameters());
    }

    @Test
    void earlyStoppingStopsAfterPatienceAndRestoresTheBestEpoch() {
        // The validation labels are the opposite of the training labels: the better the training fit, the
        // worse the validation loss, so the best epoch comes early and training must stop patience epochs later.
        Dataset train = blobs(64, 7, false);
        Dataset validation = blobs(32, 8, true);
        Network net = net(3);
        List<float[]> snapshots = new ArrayList<>();
        List<Double> valLosses = new ArrayList<>();
        int patience = 3;
        TrainingResult r;
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(0.05)).batchSize(16).epochs(50).threads(1)
                .validation(validation, patience).listener(new TrainingListener() {
                    @Override
                    public boolean onEpoch(EpochStats s) {
                        snapshots.add(net.parameters());
                        valLosses.add(s.validationLoss());
                        assertFalse(Double.isNaN(s.validationAccuracy()));
                        return true;
                    }
                }).build()) {
            r = t.fit(train);
        }
        int best = 0;
        for (int e = 1; e < valLosses.size(); e++) {
            if (valLosses.get(e) < valLosses.get(best)) {
                best = e;
            }
        }
        assertEquals(StopReason.EARLY_STOPPING, r.reason());
        assertEquals(best + 1, r.bestEpoch());
        assertEquals(best + 1 + patience, r.epochs());
        assertEquals(valLosses.get(best), r.bestValidationLoss());
        assertArrayEquals(snapshots.get(best), net.parameters(), "the best epoch's parameters are restored");
        assertEquals(valLosses.get(best), new Evaluator(net, 7).evaluate(validation).loss(), 1e-6);
    }

    @Test
    void validationWithoutPatienceOnlyMonitors() {
        Network net = net(3);
        List<Double> valLosses = new ArrayList<>();
        float[] last;
        TrainingResult r;
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(0.05)).batchSize(16).epochs(6).threads(1)
                .validation(blobs(32, 8, true), 0).listener(new TrainingListener() {
                    @Override
                    public boolean onEpoch(EpochStats s) {
                        valLosses.add(s.validationLoss());
                        return true;
                    }
                }).build()) {
            r = t.fit(blobs(64, 7, false));
            last = net.parameters();
        }
        assertEquals(StopReason.MAX_EPOCHS, r.reason());
        assertEquals(6, valLosses.size());
        assertArrayEquals(last, net.parameters());
    }

    @Test
    void stoppingConditions() {
        Dataset d = blobs(64, 9, false);
        try (Trainer t = Trainer.builder(net(4), Optimizer.sgd(0.1)).batchSize(16).epochs(100).threads(1)
                .maxIterations(10).build()) {
            TrainingResult r = t.fit(d);
            assertEquals(StopReason.MAX_ITERATIONS, r.reason());
            assertEquals(10, r.iterations());
        }
        try (Trainer t = Trainer.builder(net(4), Optimizer.sgd(0.5)).batchSize(16).epochs(500).threads(1)
                .targetLoss(0.05).build()) {
            TrainingResult r = t.fit(d);
            assertEquals(StopReason.TARGET_LOSS, r.reason());
            assertTrue(r.loss() <= 0.05);
        }
        try (Trainer t = Trainer.builder(net(4), Optimizer.sgd(0.1)).batchSize(16).epochs(5).threads(1)
                .gradientTolerance(1e9).build()) {
            TrainingResult r = t.fit(d);
            assertEquals(StopReason.GRADIENT_TOLERANCE, r.reason());
            assertEquals(1, r.iterations());
        }
    }

    @Test
    void divergenceKeepsTheLastFiniteParameters() {
        Network net = Network.builder(4).dense(8, Activation.RELU).dense(4, Activation.IDENTITY).seed(5).build();
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[32 * 4];
        float[] y = new float[32 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 10;
            y[i] = (float) r.nextGaussian() * 100;
        }
        List<float[]> afterEachStep = new ArrayList<>();
        TrainingDivergedException e;
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(10)).batchSize(8).epochs(100).threads(1)
                .listener(new TrainingListener() {
                    @Override
                    public boolean onBatch(BatchStats s) {
                        afterEachStep.add(net.parameters());
                        return true;
                    }
                }).build()) {
            e = assertThrows(TrainingDivergedException.class, () -> t.fit(Dataset.of(x, 4, y, 4)));
        }
        assertTrue(e.getMessage().contains("training diverged"), e.getMessage());
        float[] p = net.parameters();
        for (float v : p) {
            assertTrue(Float.isFinite(v));
        }
        assertNotNull(afterEachStep.get(afterEachStep.size() - 1));
        assertArrayEquals(afterEachStep.get(afterEachStep.size() - 1), p);
    }

    @Test
    void evaluatorComputesLossAccuracyAndConfusion() {
        Network net = Network.builder(2).dense(3, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).build();
        // logits = x W^T + b with W = [[1,0],[0,1],[0,0]], b = 0: class 0 if x0 largest, 1 if x1, else 2
        net.setWeights(0, new float[] {1, 0, 0, 1, 0, 0});
        net.setBias(0, new float[] {0, 0, 0.5f});
        float[] x = {2, 0, 0, 2, 0, 0, 2, 0};
        float[] y = {0, 1, 2, 1};
        Evaluation e = new Evaluator(net, 3).evaluate(Dataset.of(x, 2, y, 1));
        assertEquals(0.75, e.accuracy(), 1e-12);
        assertEquals(4, e.samples());
        assertEquals(1, e.confusion()[0][0]);
        assertEquals(1, e.confusion()[1][1]);
        assertEquals(1, e.confusion()[2][2]);
        assertEquals(1, e.confusion()[1][0]);
        assertEquals(net.loss(x, y, 4), e.loss(), 1e-6);
    }
}
