package org.mlp4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;

/**
 * {@link MlpModel#transform} on both of its paths: Spark's internal rows ({@link CatalystScoring}, the default)
 * and the public {@code Row} API (the fallback). Both must give every input column back unchanged and the
 * scores of {@link Network#predict} row by row, for dense and sparse vectors, any block size, and fail the same
 * clear way on bad rows.
 */
class ScoringTest {
    private static final StructType WIDE = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("name", DataTypes.StringType, true)
            .add("features", SQLDataTypes.VectorType(), true)
            .add("other", SQLDataTypes.VectorType(), true)
            .add("weight", DataTypes.DoubleType, true);

    private static Network net(int in, int out, long seed) {
        return Network.builder(in).dense(8, Activation.TANH).dense(out, Activation.IDENTITY)
                .loss(out == 1 ? Loss.MSE : Loss.CROSS_ENTROPY).seed(seed).build();
    }

    /** {@code n} rows of {@link #WIDE}: features alternate dense / sparse (some sparse ones empty), nulls elsewhere. */
    private static List<Row> rows(int n, int dims, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Vector features;
            if (i % 2 == 0) {
                double[] v = new double[dims];
                for (int d = 0; d < dims; d++) {
                    v[d] = rnd.nextDouble(-2, 2);
                }
                features = Vectors.dense(v);
            } else {
                int nnz = i % 5 == 0 ? 0 : 1 + rnd.nextInt(Math.min(dims, 4));
                int[] idx = new int[nnz];
                double[] val = new double[nnz];
                int at = rnd.nextInt(dims - nnz + 1);
                for (int k = 0; k < nnz; k++) {
                    idx[k] = at + k;
                    val[k] = rnd.nextDouble(-3, 3);
                }
                features = Vectors.sparse(dims, idx, val);
            }
            rows.add(RowFactory.create((long) i, i % 3 == 0 ? null : "row" + i, features,
                    i % 4 == 0 ? null : Vectors.dense(i, -i), i % 7 == 0 ? null : 0.5 * i));
        }
        return rows;
    }

    private static Dataset<Row> frame(List<Row> rows, int partitions) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTests.spark().sparkContext());
        return SparkTests.spark().createDataFrame(jsc.parallelize(rows, partitions), WIDE);
    }

    private static float[] floats(Vector v) {
        double[] d = v.toArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void theInternalRowPathIsAvailableOnThisSpark() {
        // Fails when a Spark upgrade moves VectorUDT's layout, queryExecution().toRdd() or internalCreateDataFrame:
        // scoring would still work (public path) but at the old speed, so say so here.
        assertTrue(CatalystScoring.layoutMatches(), "VectorUDT's internal layout changed");
        Dataset<Row> df = frame(rows(10, 5, 1), 2);
        MlpModel model = MlpModel.of(net(5, 3, 1));
        StructType out = model.transformSchema(df.schema());
        var spec = JavaSparkContext.fromSparkContext(SparkTests.spark().sparkContext())
                .broadcast(NetSpec.of(net(5, 3, 1)));
        Dataset<Row> scored = CatalystScoring.transform(df, out,
                new ScoringPlan(spec, 2, "features", 4, true, true, true, true, null));
        assertNotNull(scored, "the internal-row path fell back to the public one");
        assertEquals(out, scored.schema());
        assertEquals(10, scored.count());
    }

    @Test
    void bothPathsKeepEveryColumnAndScoreLikeNetworkPredictDenseAndSparse() {
        int dims = 5;
        List<Row> input = rows(203, dims, 2);
        Dataset<Row> df = frame(input, 3);
        Network net = net(dims, 3, 2);
        MlpModel model = MlpModel.of(net);
        StructType schema = model.transformSchema(df.schema());
        List<Row> reference = null;
        for (int block : new int[] {1, 3, 256}) {
            for (boolean internal : new boolean[] {true, false}) {
                Dataset<Row> scored = model.setScoringBatchSize(block).transform(df, internal);
                assertEquals(schema, scored.schema());
                List<Row> out = scored.collectAsList();
                assertEquals(input.size(), out.size());
                for (int i = 0; i < out.size(); i++) {
                    Row in = input.get(i);
                    Row r = out.get(i);
                    for (int c = 0; c < in.length(); c++) {
                        assertEquals(in.get(c), r.get(c), "row " + i + " column " + c);
                    }
                    float[] expected = net.predict(floats((Vector) in.get(2)));
                    double[] raw = ((Vector) r.getAs("rawPrediction")).toArray();
                    double[] p = ((Vector) r.getAs("probability")).toArray();
                    int best = 0;
                    for (int k = 0; k < 3; k++) {
                        assertEquals(expected[k], raw[k], 1e-5, "row " + i + " logit " + k);
                        best = raw[k] > raw[best] ? k : best;
                    }
                    double z = 0;
                    for (int k = 0; k < 3; k++) {
                        z += Math.exp(raw[k] - raw[best]);
                    }
                    for (int k = 0; k < 3; k++) {
                        assertEquals(Math.exp(raw[k] - raw[best]) / z, p[k], 1e-15, "row " + i + " probability " + k);
                    }
                    assertEquals(best, r.<Double>getAs("prediction"));
                }
                // same blocks, same predictBatch calls: the two paths agree bit for bit
                if (block == 3 && internal) {
                    reference = out;
                } else if (block == 3) {
                    assertEquals(reference, out);
                }
            }
        }
    }

    @Test
    void regressionAndColumnSubsetsOnBothPaths() {
        List<Row> input = rows(31, 4, 3);
        Dataset<Row> df = frame(input, 2);
        Network reg = net(4, 1, 3);
        for (boolean internal : new boolean[] {true, false}) {
            List<Row> out = MlpModel.of(reg).transform(df, internal).collectAsList();
            for (int i = 0; i < out.size(); i++) {
                assertEquals(6, out.get(i).length());
                assertEquals(reg.predict(floats((Vector) input.get(i).get(2)))[0], out.get(i).getDouble(5), 1e-5);
            }
            // no output column at all: the rows come back as they were
            Dataset<Row> none = MlpModel.of(reg).setPredictionCol("").transform(df, internal);
            assertEquals(df.schema(), none.schema());
            assertEquals(input, none.collectAsList());

            MlpModel cls = MlpModel.of(net(4, 3, 4)).setRawPredictionCol("").setPredictionCol("");
            Dataset<Row> prob = cls.transform(df, internal);
            assertEquals(List.of("id", "name", "features", "other", "weight", "probability"),
                    List.of(prob.schema().fieldNames()));
            for (Row r : prob.collectAsList()) {
                assertEquals(1.0, ((Vector) r.get(5)).toArray()[0] + ((Vector) r.get(5)).toArray()[1]
                        + ((Vector) r.get(5)).toArray()[2], 1e-12);
            }
        }
    }

    @Test
    void wideRowsCachedAndReadTwiceMatchThePublicPath() {
        // 1,000 doubles a row and blocks of 40: each block's row arena (64 KiB at first) grows several times
        // while rows of the block still point into it; caching the result keeps rows that must not alias.
        List<Row> input = rows(170, 1000, 5);
        Dataset<Row> df = frame(input, 2);
        MlpModel model = MlpModel.of(net(1000, 4, 5)).setScoringBatchSize(40);
        List<Row> expected = model.transform(df, false).collectAsList();
        Dataset<Row> cached = model.transform(df, true).cache();
        assertEquals(170, cached.count());
        assertEquals(expected, cached.collectAsList());
        assertEquals(expected, cached.collectAsList());
        assertEquals(expected.stream().filter(r -> r.<Double>getAs("prediction") == 1.0).count(),
                cached.filter("prediction = 1.0").count());
        cached.unpersist();
    }

    @Test
    void nullAndWrongSizeFeaturesFailClearlyOnBothPaths() {
        MlpModel model = MlpModel.of(net(5, 3, 6));
        for (boolean internal : new boolean[] {true, false}) {
            List<Row> withNull = new ArrayList<>(rows(8, 5, 6));
            withNull.set(5, RowFactory.create(5L, "x", null, null, null));
            assertMessage(() -> model.transform(frame(withNull, 1), internal).count(),
                    "row 5 of this partition: features is null");

            List<Row> dense = new ArrayList<>(rows(8, 5, 6));
            dense.set(2, RowFactory.create(2L, "x", Vectors.dense(1, 2, 3, 4), null, null));
            assertMessage(() -> model.transform(frame(dense, 1), internal).collectAsList(),
                    "row 2 of this partition: features: expected a vector of 5 values, got 4");

            List<Row> sparse = new ArrayList<>(rows(8, 5, 6));
            sparse.set(3, RowFactory.create(3L, "x", Vectors.sparse(7, new int[] {6}, new double[] {1}), null, null));
            assertMessage(() -> model.transform(frame(sparse, 1), internal).collectAsList(),
                    "row 3 of this partition: features: expected a vector of 5 values, got 7");
        }
    }

    @Test
    void thresholdsPickTheLargestProbabilityOverThresholdAndThePredictionIsNominal() {
        List<Row> input = rows(80, 4, 8);
        Dataset<Row> df = frame(input, 2);
        Network net = net(4, 3, 8);
        double[] t = {0.5, 2.0, 1.0};
        for (boolean internal : new boolean[] {true, false}) {
            // no probability column: the thresholded prediction still needs the probabilities
            MlpModel model = MlpModel.of(net).setThresholds(t).setProbabilityCol("");
            Dataset<Row> scored = model.transform(df, internal);
            List<Row> out = scored.collectAsList();
            int moved = 0;
            for (int i = 0; i < out.size(); i++) {
                float[] y = net.predict(floats((Vector) input.get(i).get(2)));
                double max = Math.max(y[0], Math.max(y[1], y[2]));
                double[] p = new double[3];
                double z = 0;
                for (int k = 0; k < 3; k++) {
                    p[k] = Math.exp(y[k] - max);
                    z += p[k];
                }
                int expected = 0;
                int argMax = 0;
                for (int k = 1; k < 3; k++) {
                    expected = p[k] / z / t[k] > p[expected] / z / t[expected] ? k : expected;
                    argMax = y[k] > y[argMax] ? k : argMax;
                }
                double got = out.get(i).<Double>getAs("prediction");
                assertEquals(expected, got, "row " + i);
                moved += expected != argMax ? 1 : 0;
            }
            assertTrue(moved > 0, "the thresholds changed no prediction: the test shows nothing");
            // a zero threshold wins wherever its probability is not 0
            for (Row r : MlpModel.of(net).setThresholds(new double[] {1, 0, 1}).transform(df, internal).collectAsList()) {
                assertEquals(1.0, r.<Double>getAs("prediction"));
            }
            Attribute attr = Attribute.fromStructField(scored.schema().apply("prediction"));
            assertEquals(3, ((NominalAttribute) attr).getNumValues().get());
        }
        MlpModel model = MlpModel.of(net);
        assertEquals(3, model.numClasses());
        assertThrows(IllegalStateException.class, () -> MlpModel.of(net(4, 1, 1)).numClasses());
        assertMessage(() -> model.setThresholds(new double[] {1, -1, 1}), "thresholds: expected finite values >= 0");
        assertMessage(() -> model.setThresholds(new double[] {0, 1, 0}), "thresholds: at most one value may be 0");
        assertMessage(() -> model.setThresholds(new double[] {1, 1}).transform(df),
                "thresholds: expected 3 values (one per class), got 2");
    }

    private static void assertMessage(Runnable action, String expected) {
        Throwable e = assertThrows(Exception.class, action::run);
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        assertTrue(all.toString().contains(expected), all.toString());
    }

    @Test
    void readFeaturesWritesDenseAndSparseVectorsAsTheirFloats() {
        float[] dst = new float[9];
        java.util.Arrays.fill(dst, 7f);
        var udt = (org.apache.spark.sql.types.UserDefinedType<Vector>) SQLDataTypes.VectorType();
        CatalystScoring.readFeatures((org.apache.spark.sql.catalyst.InternalRow) udt.serialize(
                Vectors.sparse(4, new int[] {0, 2}, new double[] {0.1, -5})), 4, dst, 1, 0, "f");
        assertArrayEquals(new float[] {7, 0.1f, 0, -5, 0, 7, 7, 7, 7}, dst);
        CatalystScoring.readFeatures((org.apache.spark.sql.catalyst.InternalRow) udt.serialize(
                Vectors.dense(1, 2, 3, 1e300)), 4, dst, 5, 0, "f");
        assertArrayEquals(new float[] {7, 0.1f, 0, -5, 0, 1, 2, 3, Float.POSITIVE_INFINITY}, dst);
    }
}
