package org.mlp4j.spark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.mlp4j.Evaluator;
import org.mlp4j.Network;
import org.mlp4j.io.Mnist;

/**
 * The MNIST benchmark of the Spark module (run by {@code spark/run-mnist.sh}): the real IDX files loaded into
 * cached DataFrames ({@code local[N]}, N partitions), then in one run
 * <ol>
 *   <li>mlp4j's {@link MlpEstimator} (784-256-128-10 ReLU, Adam, k local steps per round), recording test accuracy
 *       after every round (evaluation time excluded from the training clock);</li>
 *   <li>Spark MLlib's {@link MultilayerPerceptronClassifier} (sigmoid, L-BFGS) on 784-256-128-10 and on a smaller
 *       784-64-10 net, with capped iterations;</li>
 *   <li>scoring throughput of both fitted models on the 10,000 test rows (best of 3, all output columns forced
 *       with the noop sink).</li>
 * </ol>
 * and prints a Markdown table. Settings come from system properties (see {@code run-mnist.sh}).
 */
public final class MnistBenchmark {
    private MnistBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = mnistDir();
        int cores = Integer.getInteger("cores", 2);
        int epochs = Integer.getInteger("epochs", 10);
        int k = Integer.getInteger("k", 100); // 100 local steps per round: 8.7 s for 10 epochs vs 16.3 s at k=50, same accuracy (Zen 5, 2026-12-02)
        int batch = Integer.getInteger("batch", 64);
        double lr = Double.parseDouble(System.getProperty("lr", "1e-3"));
        int bigIters = Integer.getInteger("mllib.bigIters", 15);
        int smallIters = Integer.getInteger("mllib.smallIters", 200); // its best: 96.63 % (60 iterations: 96.48 %)
        boolean skipMllib = Boolean.getBoolean("mllib.skip");

        Mnist mnist = Mnist.load(dir);
        SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("mlp4j-mnist")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        // localCheckpoint: rows made by parallelize() would otherwise travel inside every task of every job (an
        // RDD's partitions carry their slice of a driver-side collection); checkpointed, they live in the
        // executors' block stores like data read from files, for mlp4j and MLlib alike.
        Dataset<Row> train = frame(spark, mnist.train(), cores).localCheckpoint();
        Dataset<Row> test = frame(spark, mnist.test(), cores).localCheckpoint();
        System.out.printf(Locale.ROOT, "MNIST from %s: %d train, %d test rows in %d partitions; local[%d]; JDK %s; %s;"
                + " %s%n", dir, train.count(), test.count(), train.rdd().getNumPartitions(), cores,
                System.getProperty("java.version"), cpuModel(), Instant.now());
        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        List<String[]> table = new ArrayList<>();
        double scan = scoringRowsPerSecond(null, test);

        // ---- mlp4j -----------------------------------------------------------------------------------------
        List<double[]> curve = new ArrayList<>(); // {training seconds, test accuracy} after each round
        org.mlp4j.Dataset mnistTest = mnist.test();
        long[] evalNanos = {0};
        long[] start = {0};
        MlpEstimator est = new MlpEstimator().setLayers(new int[] {784, 256, 128, 10})
                .setActivations(new String[] {"relu"}).setOptimizer("adam").setLearningRate(lr).setBatchSize(batch)
                .setLocalSteps(k).setEpochs(epochs).setSeed(1)
                .addRoundListener(s -> {
                    long t = System.nanoTime();
                    double trainSeconds = (t - start[0] - evalNanos[0]) / 1e9;
                    Network net = s.network();
                    double acc = new Evaluator(net, 500).evaluate(mnistTest).accuracy();
                    curve.add(new double[] {trainSeconds, acc});
                    System.out.printf(Locale.ROOT, "  mlp4j %s, test accuracy %.4f, training clock %.1f s%n", s, acc,
                            trainSeconds);
                    evalNanos[0] += System.nanoTime() - t;
                });
        start[0] = System.nanoTime();
        MlpModel mlp4j = est.fit(train);
        double mlp4jSeconds = (System.nanoTime() - start[0] - evalNanos[0]) / 1e9;
        double mlp4jAcc = accuracy.evaluate(mlp4j.transform(test));
        double mlp4jScore = scoringRowsPerSecond(mlp4j, test);
        table.add(new String[] {"mlp4j MlpEstimator", "784-256-128-10 relu", String.format(Locale.ROOT,
                "adam lr %.0e, batch %dx%d, k=%d, %d epochs", lr, batch, cores, k, epochs), sec(mlp4jSeconds),
                pct(mlp4jAcc), rate(mlp4jScore)});

        // ---- MLlib ---------------------------------------------------------------------------------------------
        if (!skipMllib) {
            double best = -1;
            double bestSeconds = 0;
            double bestScore = 0;
            double bigScore = 0;
            String bestName = "";
            int[][] nets = {{784, 256, 128, 10}, {784, 64, 10}};
            int[] iters = {bigIters, smallIters};
            for (int n = 0; n < nets.length; n++) {
                MultilayerPerceptronClassifier mlp = new MultilayerPerceptronClassifier().setLayers(nets[n])
                        .setMaxIter(iters[n]).setSolver("l-bfgs").setBlockSize(128).setSeed(1L).setTol(1e-6);
                long t0 = System.nanoTime();
                MultilayerPerceptronClassificationModel model = mlp.fit(train);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double acc = accuracy.evaluate(model.transform(test));
                double score = scoringRowsPerSecond(model, test);
                String name = java.util.Arrays.toString(nets[n]).replaceAll("[\\[\\] ]", "").replace(',', '-');
                System.out.printf(Locale.ROOT, "  MLlib %s: %d L-BFGS iterations in %.1f s, test accuracy %.4f%n", name,
                        iters[n], seconds, acc);
                table.add(new String[] {"MLlib MultilayerPerceptronClassifier", name + " sigmoid",
                        "l-bfgs, maxIter " + iters[n] + ", blockSize 128", sec(seconds), pct(acc), rate(score)});
                if (n == 0) {
                    bigScore = score;
                }
                if (acc > best) {
                    best = acc;
                    bestSeconds = seconds;
                    bestScore = score;
                    bestName = name;
                }
            }
            double reach = Double.NaN;
            for (double[] point : curve) {
                if (point[1] >= best) {
                    reach = point[0];
                    break;
                }
            }
            printTable(table);
            System.out.printf(Locale.ROOT, "%nMLlib's best: %s, %.2f %% in %.1f s. mlp4j reached %.2f %% after %s of"
                    + " training: %s sooner.%n", bestName, 100 * best, bestSeconds, 100 * best,
                    Double.isNaN(reach) ? "(never)" : sec(reach),
                    Double.isNaN(reach) ? "n/a" : String.format(Locale.ROOT, "%.1fx", bestSeconds / reach));
            System.out.printf(Locale.ROOT, "Scoring the 10,000 test rows (same 784-256-128-10 net): mlp4j %s, MLlib %s:"
                    + " %.1fx; MLlib's best-accuracy net (%s) %s. Scanning the cached rows alone: %s.%n",
                    rate(mlp4jScore), rate(bigScore), mlp4jScore / bigScore, bestName, rate(bestScore), rate(scan));
            double reach98 = Double.NaN;
            for (double[] point : curve) {
                if (point[1] >= 0.98) {
                    reach98 = point[0];
                    break;
                }
            }
            System.out.printf(Locale.ROOT, "mlp4j reached 98.00 %% after %s of training.%n",
                    Double.isNaN(reach98) ? "(never)" : sec(reach98));
        } else {
            printTable(table);
        }
        spark.stop();
    }

    /** MNIST as a DataFrame (features: dense vector of 784 pixels in [0, 1], label: digit) in equal partitions. */
    static Dataset<Row> frame(SparkSession spark, org.mlp4j.Dataset data, int partitions) {
        int f = data.featureCount();
        float[] x = data.features();
        float[] y = data.targets();
        List<Row> rows = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            double[] v = new double[f];
            for (int j = 0; j < f; j++) {
                v[j] = x[i * f + j];
            }
            rows.add(RowFactory.create(Vectors.dense(v), (double) y[i]));
        }
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(rows, partitions), SparkTests.SCHEMA);
    }

    /**
     * Rows per second of {@code model.transform(test)} with every output column computed (the noop sink reads
     * them all): one warm-up, then the best of 5 (the shared machine is noisy). A null model measures the scan
     * of the cached test rows alone, the floor under both.
     */
    private static double scoringRowsPerSecond(Transformer model, Dataset<Row> test) {
        long rows = test.count();
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 6; rep++) {
            long t0 = System.nanoTime();
            (model == null ? test : model.transform(test)).write().format("noop").mode("overwrite").save();
            if (rep > 0) {
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
        }
        return rows / best;
    }

    static Path mnistDir() {
        String env = System.getenv("MLP4J_MNIST");
        if (env != null && !env.isEmpty()) {
            return Paths.get(env);
        }
        for (String candidate : new String[] {"data/mnist", "../data/mnist", "/work/shared/data/mnist"}) {
            if (Files.isDirectory(Paths.get(candidate))) {
                return Paths.get(candidate);
            }
        }
        throw new IllegalStateException("MNIST: set MLP4J_MNIST to a directory with the four IDX files (data/mnist "
                + "in the repository root is used when present)");
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return ManagementFactory.getOperatingSystemMXBean().getArch();
    }

    private static void printTable(List<String[]> table) {
        System.out.println();
        System.out.println("| model | net | settings | training wall time | test accuracy | scoring 10k rows |");
        System.out.println("|---|---|---|---:|---:|---:|");
        for (String[] r : table) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
    }

    private static String sec(double s) {
        return String.format(Locale.ROOT, "%.1f s", s);
    }

    private static String pct(double a) {
        return String.format(Locale.ROOT, "%.2f %%", 100 * a);
    }

    private static String rate(double r) {
        return String.format(Locale.ROOT, "%,.0f rows/s", r);
    }
}
