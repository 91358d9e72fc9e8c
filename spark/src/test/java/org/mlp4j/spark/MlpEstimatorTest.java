package org.mlp4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;

class MlpEstimatorTest {

    private static MlpEstimator small() {
        return new MlpEstimator().setLayers(new int[] {5, 8, 3}).setActivations(new String[] {"tanh"}).setSeed(7);
    }

    @Test
    void oneLocalStepOfPlainSgdOnEqualShardsIsSingleMachineSgdAtTheGlobalBatch() {
        int perPartition = 32;
        int batch = 8;
        int rounds = 6; // 1.5 local epochs: the second epoch starts again at row 0 (shuffle off)
        List<Row> rows = SparkTests.blobs(2 * perPartition, 5, 3, 11);
        MlpEstimator est = small().setOptimizer("sgd").setLearningRate(0.2).setBatchSize(batch).setLocalSteps(1)
                .setShuffle(false).setMaxRounds(rounds);
        float[] distributed = est.fit(SparkTests.frame(rows, 2)).network().parameters();

        // The same steps on one machine: the global batch of round r is partition 0's rows [r*b, r*b+b) followed
        // by partition 1's rows at the same positions.
        Network net = NetSpec.build(new int[] {5, 8, 3}, new String[] {"tanh", "identity"}, "cross_entropy", 0.01f, 7);
        int stepsPerEpoch = perPartition / batch;
        float[] x = new float[2 * batch * 5];
        float[] y = new float[2 * batch];
        try (Trainer t = Trainer.builder(net, Optimizer.sgd(0.2)).batchSize(2 * batch).threads(1).build()) {
            for (int r = 0; r < rounds; r++) {
                int from = (r % stepsPerEpoch) * batch;
                int i = 0;
                for (int p = 0; p < 2; p++) {
                    for (int j = 0; j < batch; j++, i++) {
                        Row row = rows.get(p * perPartition + from + j);
                        double[] v = ((Vector) row.get(0)).toArray();
                        for (int d = 0; d < 5; d++) {
                            x[i * 5 + d] = (float) v[d];
                        }
                        y[i] = (float) row.getDouble(1);
                    }
                }
                t.step(x, 0, y, 0, 2 * batch);
            }
        }
        float[] single = net.parameters();
        assertEquals(single.length, distributed.length);
        float[] initial = NetSpec.build(new int[] {5, 8, 3}, new String[] {"tanh", "identity"}, "cross_entropy",
                0.01f, 7).parameters();
        double moved = 0;
        for (int i = 0; i < single.length; i++) {
            assertEquals(single[i], distributed[i], 2e-6, "parameter " + i);
            moved += Math.abs(single[i] - initial[i]);
        }
        assertTrue(moved > 0.1, "training moved the parameters (sum |delta| = " + moved + ")");
    }

    @Test
    void sameSeedAndPartitioningGiveABitIdenticalModelWhateverTheThreadsPerTask() {
        Dataset<Row> data = SparkTests.frame(SparkTests.blobs(300, 5, 3, 3), 3);
        MlpEstimator est = small().setOptimizer("adam").setLearningRate(0.01).setBatchSize(16).setLocalSteps(4)
                .setEpochs(2);
        float[] a = est.fit(data).network().parameters();
        float[] b = est.fit(data).network().parameters();
        float[] c = est.copy(new org.apache.spark.ml.param.ParamMap()).setThreadsPerTask(2).fit(data).network()
                .parameters();
        assertArrayEquals(a, b);
        assertArrayEquals(a, c);
        float[] otherSeed = small().setSeed(8).setOptimizer("adam").setLearningRate(0.01).setBatchSize(16)
                .setLocalSteps(4).setEpochs(2).fit(data).network().parameters();
        assertFalse(java.util.Arrays.equals(a, otherSeed));
    }

    @Test
    void classifierLearnsBlobsAndReportsEveryRound() {
        Dataset<Row> train = SparkTests.frame(SparkTests.blobs(600, 5, 3, 5), 2);
        List<RoundStats> seen = new ArrayList<>();
        MlpModel model = small().setBatchSize(16).setLocalSteps(5).setEpochs(3).setLearningRate(0.02)
                .addRoundListener(seen::add).fit(train);
        int rounds = (int) Math.ceil(3 * Math.ceil(300 / 16.0) / 5);
        assertEquals(rounds, seen.size());
        assertEquals(rounds, seen.get(seen.size() - 1).rounds());
        assertTrue(seen.get(seen.size() - 1).meanLoss() < seen.get(0).meanLoss(), "loss went down");
        assertEquals(2 * 5 * 16, seen.get(0).examples());

        Dataset<Row> test = SparkTests.frame(SparkTests.blobs(300, 5, 3, 5), 2);
        List<Row> out = model.transform(test).collectAsList();
        assertEquals(300, out.size());
        Network net = model.network();
        int correct = 0;
        for (Row r : out) {
            double[] raw = ((Vector) r.getAs("rawPrediction")).toArray();
            double[] p = ((Vector) r.getAs("probability")).toArray();
            double pred = r.getAs("prediction");
            float[] x = new float[5];
            double[] f = ((Vector) r.getAs("features")).toArray();
            for (int d = 0; d < 5; d++) {
                x[d] = (float) f[d];
            }
            float[] single = net.predict(x);
            double sum = 0;
            int best = 0;
            for (int k = 0; k < 3; k++) {
                assertEquals(single[k], raw[k], 1e-5, "batched and single-row logits agree");
                sum += p[k];
                best = raw[k] > raw[best] ? k : best;
            }
            assertEquals(1.0, sum, 1e-9);
            assertEquals(best, pred);
            correct += pred == r.getDouble(1) ? 1 : 0;
        }
        assertTrue(correct >= 285, "accuracy " + correct + "/300");
    }

    @Test
    void regressorFitsALinearFunction() {
        MlpModel model = new MlpEstimator().setTask("regression").setLayers(new int[] {2, 16, 1})
                .setActivations(new String[] {"relu"}).setLearningRate(0.01).setBatchSize(16).setLocalSteps(8)
                .setEpochs(20).fit(SparkTests.frame(SparkTests.linear(400, 1), 2));
        List<Row> out = model.transform(SparkTests.frame(SparkTests.linear(100, 2), 2)).collectAsList();
        double se = 0;
        for (Row r : out) {
            double d = r.<Double>getAs("prediction") - r.getDouble(1);
            se += d * d;
        }
        assertTrue(se / out.size() < 0.01, "test MSE " + se / out.size());
        assertEquals(3, out.get(0).length(), "regression adds only the prediction");
    }

    @Test
    void aDivergingRoundKeepsTheLastGoodParametersAndFailsClearly() {
        List<float[]> good = new ArrayList<>();
        MlpEstimator est = new MlpEstimator().setTask("regression").setLayers(new int[] {2, 4, 1})
                .setOptimizer("sgd").setLearningRate(50).setBatchSize(8).setLocalSteps(2).setMaxRounds(200)
                .addRoundListener(s -> good.add(s.network().parameters()));
        DistributedTrainingException e = assertThrows(DistributedTrainingException.class,
                () -> est.fit(SparkTests.frame(SparkTests.linear(64, 3), 2)));
        assertEquals(good.size(), e.round());
        assertTrue(e.getMessage().contains("diverged in round " + (e.round() + 1)), e.getMessage());
        assertTrue(e.getMessage().contains("partition"), e.getMessage());
        float[] expected = good.isEmpty()
                ? NetSpec.build(new int[] {2, 4, 1}, new String[] {"relu", "identity"}, "mse", 0.01f, 1).parameters()
                : good.get(good.size() - 1);
        float[] kept = e.lastGoodModel().network().parameters();
        assertArrayEquals(expected, kept);
        for (float v : kept) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void badInputFailsWithTheArgumentTheValueAndWhatWasExpected() {
        Dataset<Row> blobs = SparkTests.frame(SparkTests.blobs(40, 5, 3, 1), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small().setLayers(new int[] {5, 8, 2}).fit(blobs));
        assertTrue(e.getMessage().contains("label: expected a class index 0..1"), e.getMessage());
        assertTrue(e.getMessage().contains("got 2.0"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> small().setLayers(new int[] {4, 8, 3}).fit(blobs));
        assertTrue(e.getMessage().contains("expected a vector of 4 values (layers[0]), got 5"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> small().setLayers(new int[] {5, 8, 8, 3}).setActivations(new String[] {"relu", "tanh", "relu"})
                        .fit(blobs));
        assertTrue(e.getMessage().contains("activations: expected 1 or 2"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> small().setActivations(new String[] {"swish"}).fit(blobs));
        assertTrue(e.getMessage().contains("swish"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> small().setFeaturesCol("pixels").fit(blobs));
        assertTrue(e.getMessage().contains("column 'pixels': not in the data set"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> small().setLabelCol("features").fit(blobs));
        assertTrue(e.getMessage().contains("expected a numeric column"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> small().setLayers(new int[] {5}));
        assertThrows(IllegalArgumentException.class, () -> small().setLocalSteps(0));
        assertThrows(IllegalArgumentException.class, () -> small().setOptimizer("lbfgs"));

        List<Row> nan = new ArrayList<>(SparkTests.blobs(10, 5, 3, 1));
        nan.set(3, RowFactory.create(Vectors.dense(0, 1, Double.NaN, 0, 0), 1.0));
        e = assertThrows(IllegalArgumentException.class, () -> small().fit(SparkTests.frame(nan, 1)));
        assertTrue(e.getMessage().contains("row 3 of partition 0: features[2]: expected a finite float, got NaN"),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> small().setTask("regression").fit(blobs));
        assertTrue(e.getMessage().contains("a regressor has one output"), e.getMessage());
    }
}
