package org.mlp4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.io.Mnist;

/**
 * Scoring throughput alone (run by {@code MAIN=ScoringBenchmark spark/run-mnist.sh}): the 10,000 MNIST test
 * rows, {@code localCheckpoint()}ed in {@code local[N]} partitions, scored by an mlp4j {@link MlpModel} and by
 * MLlib's {@link MultilayerPerceptronClassificationModel} on the same 784-256-128-10 net. Scoring cost does not
 * depend on the weights, so neither is trained to accuracy: mlp4j's net keeps its seeded initialisation (ReLU),
 * MLlib's runs {@code -Dmllib.iters} (default 1) L-BFGS iterations on the test rows (sigmoid, its only hidden
 * activation). Two actions, each timed per repetition, all models interleaved within a repetition so machine
 * load hits them alike:
 * <ul>
 *   <li>{@code noop}: {@code transform(test).write().format("noop")}, every output column materialised;</li>
 *   <li>{@code sum}: {@code transform(test).agg(sum(prediction))}, the prediction aggregated on the driver
 *       (lets MLlib's optimizer drop its probability column, which mlp4j computes regardless).</li>
 * </ul>
 * One warm-up repetition, then {@code -Dreps} (default 5) timed ones; prints min and median rows/s and the
 * ratios. {@code mlp4j (Row path)} is the public-API fallback ({@link MlpModel#transform(Dataset, boolean)}).
 */
public final class ScoringBenchmark {
    private ScoringBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int cores = Integer.getInteger("cores", 2);
        int reps = Integer.getInteger("reps", 5);
        int mllibIters = Integer.getInteger("mllib.iters", 1);
        Mnist mnist = Mnist.load(MnistBenchmark.mnistDir());
        SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("mlp4j-scoring")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        Dataset<Row> test = MnistBenchmark.frame(spark, mnist.test(), cores).localCheckpoint();
        long rows = test.count();

        int[] layers = {784, 256, 128, 10};
        Network net = Network.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(1).build();
        MlpModel mlp4j = MlpModel.of(net);
        long t0 = System.nanoTime();
        MultilayerPerceptronClassificationModel mllib = new MultilayerPerceptronClassifier().setLayers(layers)
                .setMaxIter(mllibIters).setSolver("l-bfgs").setBlockSize(128).setSeed(1L).fit(test);
        System.out.printf(Locale.ROOT, "%d test rows in %d partitions, local[%d]; JDK %s; %s; %s; MLlib model: %d"
                + " L-BFGS iteration(s) in %.1f s (its weights do not change its scoring cost)%n", rows,
                test.rdd().getNumPartitions(), cores, System.getProperty("java.version"), MnistBenchmark.cpuModel(),
                Instant.now(), mllibIters, (System.nanoTime() - t0) / 1e9);

        String[] names = {"mlp4j MlpModel", "mlp4j (Row path)", "MLlib MLPC", "scan only"};
        List<Supplier<Dataset<Row>>> frames = List.of(() -> mlp4j.transform(test),
                () -> mlp4j.transform(test, false), () -> mllib.transform(test), () -> test);
        double[][][] seconds = new double[2][names.length][reps];
        double[] checksum = new double[names.length];
        for (int rep = -1; rep < reps; rep++) {
            for (int m = 0; m < names.length; m++) {
                long a = System.nanoTime();
                frames.get(m).get().write().format("noop").mode("overwrite").save();
                long b = System.nanoTime();
                if (m < 3) { // the scan has no prediction to sum
                    checksum[m] = frames.get(m).get().agg(sum(col("prediction"))).first().getDouble(0);
                }
                long c = System.nanoTime();
                if (rep >= 0) {
                    seconds[0][m][rep] = (b - a) / 1e9;
                    seconds[1][m][rep] = (c - b) / 1e9;
                }
            }
        }
        if (checksum[0] != checksum[1]) {
            throw new IllegalStateException("the two mlp4j paths disagree: sum of predictions " + checksum[0] + " vs "
                    + checksum[1]);
        }
        String[] actions = {"noop (all columns)", "sum(prediction)"};
        System.out.println();
        System.out.println("| action | model | min s | median s | rows/s (median) | rows/s (best) | vs MLlib (median)"
                + " | vs MLlib (best) |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        for (int act = 0; act < 2; act++) {
            double mllibMin = min(seconds[act][2]);
            double mllibMed = median(seconds[act][2]);
            for (int m = 0; m < names.length; m++) {
                if (act == 1 && m == 3) {
                    continue;
                }
                double mn = min(seconds[act][m]);
                double md = median(seconds[act][m]);
                System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.3f | %,.0f | %,.0f | %.1fx | %.1fx |%n",
                        actions[act], names[m], mn, md, rows / md, rows / mn, mllibMed / md, mllibMin / mn);
            }
        }
        System.out.printf(Locale.ROOT, "%nsum of predictions: mlp4j %.0f (both paths), MLlib %.0f; %d timed reps after"
                + " one warm-up%n", checksum[0], checksum[2], reps);
        spark.stop();
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
