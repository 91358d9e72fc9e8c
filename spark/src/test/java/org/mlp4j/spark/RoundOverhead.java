package org.mlp4j.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.mlp4j.io.Mnist;

/**
 * Measures the cost model's constants on the MNIST net ({@code spark/run-mnist.sh} with
 * {@code -Dmain=RoundOverhead}): the median warm round time with k = 1 and with k = 50 (Adam, batch 64 per
 * partition), giving the time of one local step and the fixed per-round cost L (broadcast and collect of the
 * parameters and Adam state, job launch, averaging).
 */
public final class RoundOverhead {
    private RoundOverhead() {
    }

    public static void main(String[] args) throws IOException {
        int cores = Integer.getInteger("cores", 2);
        Mnist mnist = Mnist.load(MnistBenchmark.mnistDir());
        SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("mlp4j-round-overhead")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        org.mlp4j.Dataset d = mnist.train().slice(0, 20_000);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            double[] v = new double[784];
            for (int j = 0; j < 784; j++) {
                v[j] = d.features()[i * 784 + j];
            }
            rows.add(RowFactory.create(Vectors.dense(v), (double) d.targets()[i]));
        }
        Dataset<Row> train = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(rows, cores), SparkTests.SCHEMA).localCheckpoint(); // see MnistBenchmark
        train.count();
        double[] median = new double[2];
        int[] ks = {1, 50};
        for (int rep = 0; rep < 2; rep++) { // the first pass warms the JIT up
            for (int i = 0; i < ks.length; i++) {
                List<Double> seconds = new ArrayList<>();
                new MlpEstimator().setLayers(new int[] {784, 256, 128, 10}).setBatchSize(64).setLocalSteps(ks[i])
                        .setMaxRounds(ks[i] == 1 ? 40 : 8).addRoundListener(s -> seconds.add(s.seconds())).fit(train);
                List<Double> warm = new ArrayList<>(seconds.subList(seconds.size() / 2, seconds.size()));
                warm.sort(null);
                median[i] = warm.get(warm.size() / 2);
            }
        }
        double step = (median[1] - median[0]) / 49;
        System.out.printf(Locale.ROOT, "median warm round: k=1 %.3f s, k=50 %.3f s; one local step %.1f ms; fixed "
                + "per-round cost L = %.3f s (784-256-128-10, Adam, batch 64 x %d partitions)%n", median[0], median[1],
                step * 1e3, median[0] - step, cores);
        spark.stop();
    }
}
