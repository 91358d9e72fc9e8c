package org.mlp4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** One local[2] Spark session for all test classes of this JVM, and small synthetic data sets. */
final class SparkTests {
    private static SparkSession session;

    private SparkTests() {
    }

    static synchronized SparkSession spark() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("mlp4j-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }

    static final StructType SCHEMA = new StructType()
            .add("features", SQLDataTypes.VectorType(), false)
            .add("label", DataTypes.DoubleType, false);

    /** {@code rows} as a DataFrame cut into {@code partitions} contiguous, equal-as-possible slices. */
    static Dataset<Row> frame(List<Row> rows, int partitions) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark().sparkContext());
        return spark().createDataFrame(jsc.parallelize(rows, partitions), SCHEMA);
    }

    /**
     * Gaussian blobs: class c is centred at a fixed random point; features {@code dims} wide. Separable enough
     * that a small network reaches high accuracy in a few epochs.
     */
    static List<Row> blobs(int n, int dims, int classes, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] centres = new double[classes][dims];
        for (double[] c : centres) {
            for (int d = 0; d < dims; d++) {
                c[d] = rnd.nextDouble(-3, 3);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int c = i % classes;
            double[] x = new double[dims];
            for (int d = 0; d < dims; d++) {
                x[d] = centres[c][d] + 0.5 * gaussian(rnd);
            }
            rows.add(RowFactory.create(Vectors.dense(x), (double) c));
        }
        return rows;
    }

    /** {@code y = 2 x0 - x1 + 0.5} plus small noise. */
    static List<Row> linear(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double x0 = rnd.nextDouble(-1, 1);
            double x1 = rnd.nextDouble(-1, 1);
            rows.add(RowFactory.create(Vectors.dense(x0, x1), 2 * x0 - x1 + 0.5 + 0.01 * gaussian(rnd)));
        }
        return rows;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble(1e-12, 1);
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
