package org.mlp4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.mlp4j.Network;
import org.mlp4j.Workspace;

/**
 * The fitted model of {@link MlpEstimator}: a Spark ML {@link Model} (a {@code Transformer}, usable in a
 * {@code Pipeline}) that scores partition by partition with mlp4j's batched inference: rows are gathered into
 * blocks of {@link #scoringBatchSize()} feature rows and run through {@link Network#predictBatch} at once, one
 * network per executor JVM (broadcast), one workspace per task. It reads and writes Spark's internal rows
 * ({@link CatalystScoring}: no {@code Row} conversion, no per-row output objects) where this Spark allows it,
 * else the public {@code Row} API (per row only the output row and its vectors are allocated); both give the
 * same scores.
 *
 * <p>Classification appends {@code rawPrediction} (the logits), {@code probability} (their softmax) and
 * {@code prediction} (the arg-max class index, as a double); regression appends {@code prediction}. Setting a
 * column name to the empty string leaves that column out.
 *
 * <p>Persistence: {@code write().save(path)} stores Spark's metadata and the weights as safetensors
 * ({@code <path>/data/model.safetensors}, an mlp4j model file that {@link org.mlp4j.io.ModelFiles#load} reads
 * outside Spark too); {@link #load(String)} reads it back.
 */
public final class MlpModel extends Model<MlpModel> implements MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final NetSpec spec;
    private final Param<String> featuresCol;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;
    private final Param<String> rawPredictionCol;
    private final Param<String> task;
    private final IntParam scoringBatchSize;
    private final DoubleArrayParam thresholds;
    private transient Broadcast<NetSpec> broadcast;

    MlpModel(String uid, NetSpec spec) {
        this.uid = uid;
        this.spec = spec;
        featuresCol = new Param<>(this, "featuresCol", "features column (a vector of the input width)");
        predictionCol = new Param<>(this, "predictionCol", "prediction column name ('' for none)");
        probabilityCol = new Param<>(this, "probabilityCol",
                "class-probability column name ('' for none; classification only)");
        rawPredictionCol = new Param<>(this, "rawPredictionCol",
                "raw-prediction (logits) column name ('' for none; classification only)");
        task = new Param<>(this, "task", "classification or regression",
                ParamValidators.inArray(new String[] {"classification", "regression"}));
        scoringBatchSize = new IntParam(this, "scoringBatchSize", "rows per batched forward pass when scoring",
                ParamValidators.gtEq(1));
        thresholds = new DoubleArrayParam(this, "thresholds", "classification: per-class thresholds t; the class"
                + " with the largest probability / t is predicted (as MLlib's probabilistic classifiers do); all >= 0,"
                + " at most one 0; unset: the arg-max", thresholdsValidator());
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(rawPredictionCol, "rawPrediction");
        setDefault(task, spec.widths[spec.widths.length - 1] == 1 ? "regression" : "classification");
        setDefault(scoringBatchSize, 256);
    }

    /**
     * A model around an mlp4j network trained elsewhere (e.g. loaded with {@link org.mlp4j.io.ModelFiles}): a
     * copy of its parameters is taken. The task defaults to regression for one output, else classification.
     */
    public static MlpModel of(Network network) {
        if (network == null) {
            throw new IllegalArgumentException("network: expected a Network, got null");
        }
        return new MlpModel(org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID("mlp4j"), NetSpec.of(network));
    }

    @Override
    public String uid() {
        return uid;
    }

    /** Features column, default {@code features}. */
    public Param<String> featuresCol() {
        return featuresCol;
    }

    /** Prediction column, default {@code prediction}. */
    public Param<String> predictionCol() {
        return predictionCol;
    }

    /** Probability column (classification), default {@code probability}. */
    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    /** Raw prediction (logits) column (classification), default {@code rawPrediction}. */
    public Param<String> rawPredictionCol() {
        return rawPredictionCol;
    }

    /** {@code classification} or {@code regression}. */
    public Param<String> task() {
        return task;
    }

    /** Rows per batched forward pass, default 256. */
    public IntParam scoringBatchSize() {
        return scoringBatchSize;
    }

    /**
     * Per-class thresholds (classification; unset by default): the predicted class is the one with the largest
     * {@code probability[k] / thresholds[k]}, MLlib's rule; a class whose threshold is 0 wins whenever its
     * probability is not 0. Length must equal {@link #numClasses()}.
     */
    public DoubleArrayParam thresholds() {
        return thresholds;
    }

    /** Sets {@link #thresholds()}; fails on a negative, non-finite value or more than one 0. */
    public MlpModel setThresholds(double[] v) {
        String problem = validThresholds(v);
        if (problem != null) {
            throw new IllegalArgumentException("thresholds: " + problem + ", got " + Arrays.toString(v));
        }
        set(thresholds, v.clone());
        return this;
    }

    /** The {@code thresholds} params' validator (serializable, as the params travel with their stage). */
    static scala.Function1<double[], Object> thresholdsValidator() {
        return (scala.Function1<double[], Object> & java.io.Serializable) t -> validThresholds(t) == null;
    }

    /** Null if {@code t} is a valid thresholds array, else what is wrong with it. */
    static String validThresholds(double[] t) {
        if (t == null || t.length == 0) {
            return "expected one value per class";
        }
        int zeros = 0;
        for (double v : t) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                return "expected finite values >= 0";
            }
            zeros += v == 0 ? 1 : 0;
        }
        return zeros > 1 ? "at most one value may be 0" : null;
    }

    /** Sets {@link #featuresCol()}. */
    public MlpModel setFeaturesCol(String v) {
        set(featuresCol, v);
        return this;
    }

    /** Sets {@link #predictionCol()}. */
    public MlpModel setPredictionCol(String v) {
        set(predictionCol, v);
        return this;
    }

    /** Sets {@link #probabilityCol()}. */
    public MlpModel setProbabilityCol(String v) {
        set(probabilityCol, v);
        return this;
    }

    /** Sets {@link #rawPredictionCol()}. */
    public MlpModel setRawPredictionCol(String v) {
        set(rawPredictionCol, v);
        return this;
    }

    /** Sets {@link #task()}. */
    public MlpModel setTask(String v) {
        set(task, v);
        return this;
    }

    /** Sets {@link #scoringBatchSize()}. */
    public MlpModel setScoringBatchSize(int v) {
        set(scoringBatchSize, v);
        return this;
    }

    /** A copy of the trained mlp4j network (architecture and parameters). */
    public Network network() {
        return spec.newNetwork();
    }

    /** Input width (the features vectors' size). */
    public int numFeatures() {
        return spec.widths[0];
    }

    /** The number of classes of a classifier (its output width); fails for a regressor. */
    public int numClasses() {
        if (!classification()) {
            throw new IllegalStateException("numClasses: this model is a regressor (task " + $(task) + ")");
        }
        return numOutputs();
    }

    /** Output width: the number of classes for a classifier, 1 for a regressor. */
    public int numOutputs() {
        return spec.widths[spec.widths.length - 1];
    }

    private boolean classification() {
        return "classification".equals($(task));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String features = $(featuresCol);
        MlpEstimator.requireField(schema, features);
        if (!schema.apply(features).dataType().equals(SQLDataTypes.VectorType())) {
            throw new IllegalArgumentException("featuresCol '" + features + "': expected a vector column, got "
                    + schema.apply(features).dataType().simpleString());
        }
        if (classification() && numOutputs() < 2) {
            throw new IllegalArgumentException("task: classification needs at least 2 outputs, this model has "
                    + numOutputs());
        }
        if (classification() && isSet(thresholds) && $(thresholds).length != numOutputs()) {
            throw new IllegalArgumentException("thresholds: expected " + numOutputs() + " values (one per class), got "
                    + $(thresholds).length);
        }
        return outputSchema(schema, classification() ? numOutputs() : 0, $(rawPredictionCol), $(probabilityCol),
                $(predictionCol));
    }

    /**
     * {@code schema} plus the output columns that have a non-empty name; none may exist already. A classifier
     * ({@code classes > 0}) marks its prediction column nominal with {@code classes} values, as MLlib's do, so
     * evaluators and {@code IndexToString} see the number of classes.
     */
    static StructType outputSchema(StructType schema, int classes, String raw, String probability,
                                   String prediction) {
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        List<String> names = Arrays.asList(schema.fieldNames());
        Metadata predictionMeta = Metadata.empty();
        if (classes > 0) {
            add(fields, names, "rawPredictionCol", raw, SQLDataTypes.VectorType(), Metadata.empty());
            add(fields, names, "probabilityCol", probability, SQLDataTypes.VectorType(), Metadata.empty());
            if (!prediction.isEmpty()) {
                predictionMeta = NominalAttribute.defaultAttr().withName(prediction).withNumValues(classes)
                        .toMetadata();
            }
        }
        add(fields, names, "predictionCol", prediction, DataTypes.DoubleType, predictionMeta);
        return new StructType(fields.toArray(new StructField[0]));
    }

    private static void add(List<StructField> fields, List<String> names, String param, String name,
                            org.apache.spark.sql.types.DataType type, Metadata metadata) {
        if (name.isEmpty()) {
            return;
        }
        if (names.contains(name)) {
            throw new IllegalArgumentException(param + " '" + name + "': the input already has a column of that name");
        }
        fields.add(DataTypes.createStructField(name, type, false, metadata));
    }

    /** Appends the prediction columns, scoring each partition in blocks with mlp4j's batched inference. */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        return transform(dataset, true);
    }

    /**
     * {@link #transform(Dataset)}, on Spark's internal rows ({@link CatalystScoring}) when {@code internal} and
     * this Spark allows it, else through the public {@code Row} API (same scores, slower).
     */
    Dataset<Row> transform(Dataset<?> dataset, boolean internal) {
        StructType out = transformSchema(dataset.schema(), true);
        Dataset<Row> df = dataset.toDF();
        boolean classify = classification();
        Broadcast<NetSpec> net = broadcast(df.sparkSession());
        int featuresIndex = df.schema().fieldIndex($(featuresCol));
        int block = (Integer) $(scoringBatchSize);
        boolean raw = classify && !$(rawPredictionCol).isEmpty();
        boolean probability = classify && !$(probabilityCol).isEmpty();
        boolean prediction = !$(predictionCol).isEmpty();
        double[] t = classify && prediction && isSet(thresholds) ? $(thresholds) : null;
        ScoringPlan plan = new ScoringPlan(net, featuresIndex, $(featuresCol), block, classify, raw, probability,
                prediction, t);
        if (internal) {
            Dataset<Row> scored = CatalystScoring.transform(df, out, plan);
            if (scored != null) {
                return scored;
            }
        }
        Scorer scorer = new Scorer(plan);
        JavaRDD<Row> rows = df.toJavaRDD().mapPartitions(scorer);
        return df.sparkSession().createDataFrame(rows, out);
    }

    private synchronized Broadcast<NetSpec> broadcast(SparkSession session) {
        if (broadcast == null) { // once per model: the spec never changes
            broadcast = JavaSparkContext.fromSparkContext(session.sparkContext()).broadcast(spec);
        }
        return broadcast;
    }

    /** The index of the largest of {@code y[off, off + n)} (the first one on ties). */
    static int argMax(float[] y, int off, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (y[off + k] > y[off + best]) {
                best = k;
            }
        }
        return best;
    }

    /** The softmax of the logits {@code y[off, off + n)} into {@code p[0, n)}, in double; {@code best} is their arg-max. */
    static void softmax(float[] y, int off, int n, int best, double[] p) {
        double max = y[off + best];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            p[k] = Math.exp(y[off + k] - max);
            sum += p[k];
        }
        for (int k = 0; k < n; k++) {
            p[k] /= sum;
        }
    }

    /**
     * The predicted class of the logits {@code y[off, off + n)} whose arg-max is {@code best}: {@code best}
     * itself without thresholds, else the first class with the largest {@code p[k] / t[k]} ({@code p} must hold
     * their softmax; a zero threshold makes {@code +inf}, or NaN, never chosen, for a zero probability).
     */
    static int predictClass(int best, int n, double[] p, double[] t) {
        if (t == null) {
            return best;
        }
        int pick = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            double scaled = p[k] / t[k];
            if (scaled > max) {
                max = scaled;
                pick = k;
            }
        }
        return pick;
    }

    /** Writes {@code v} as floats into {@code dst[off, off + v.size())} (sparse vectors: zeros elsewhere). */
    static void copyFeatures(Vector v, float[] dst, int off) {
        if (v instanceof DenseVector) {
            double[] values = ((DenseVector) v).values();
            for (int i = 0; i < values.length; i++) {
                dst[off + i] = (float) values[i];
            }
        } else {
            SparseVector s = (SparseVector) v;
            Arrays.fill(dst, off, off + s.size(), 0f);
            int[] idx = s.indices();
            double[] values = s.values();
            for (int i = 0; i < idx.length; i++) {
                dst[off + idx[i]] = (float) values[i];
            }
        }
    }

    /** Scores one partition: blocks of rows through {@link Network#predictBatch}, one output row per input row. */
    private static final class Scorer implements FlatMapFunction<Iterator<Row>, Row> {
        private static final long serialVersionUID = 1L;
        private final ScoringPlan plan;

        Scorer(ScoringPlan plan) {
            this.plan = plan;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            Network net = plan.spec.value().network();
            int in = net.inputSize();
            int outs = net.outputSize();
            int extra = (plan.raw ? 1 : 0) + (plan.probability ? 1 : 0) + (plan.prediction ? 1 : 0);
            return new Iterator<>() {
                private final Row[] rows = new Row[plan.block];
                private final float[] x = new float[plan.block * in];
                private final float[] y = new float[plan.block * outs];
                private final Workspace ws = net.newWorkspace(plan.block);
                private int filled;
                private int next;
                private long seen;

                @Override
                public boolean hasNext() {
                    if (next < filled) {
                        return true;
                    }
                    fill();
                    return next < filled;
                }

                private void fill() {
                    Arrays.fill(rows, 0, filled, null);
                    filled = 0;
                    next = 0;
                    while (filled < plan.block && input.hasNext()) {
                        Row r = input.next();
                        if (r.isNullAt(plan.featuresIndex)) {
                            throw new IllegalArgumentException("row " + seen + " of this partition: "
                                    + plan.featuresName + " is null");
                        }
                        Vector v = (Vector) r.get(plan.featuresIndex);
                        if (v.size() != in) {
                            throw new IllegalArgumentException("row " + seen + " of this partition: "
                                    + plan.featuresName + ": expected a vector of " + in + " values, got " + v.size());
                        }
                        copyFeatures(v, x, filled * in);
                        rows[filled++] = r;
                        seen++;
                    }
                    if (filled > 0) {
                        net.predictBatch(x, filled, y, ws);
                    }
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    int i = next++;
                    Row r = rows[i];
                    int width = r.length();
                    Object[] values = new Object[width + extra];
                    for (int c = 0; c < width; c++) {
                        values[c] = r.get(c);
                    }
                    int c = width;
                    int off = i * outs;
                    if (!plan.classify) {
                        if (plan.prediction) {
                            values[c] = (double) y[off];
                        }
                        return RowFactory.create(values);
                    }
                    int best = argMax(y, off, outs);
                    if (plan.raw) {
                        double[] logits = new double[outs];
                        for (int k = 0; k < outs; k++) {
                            logits[k] = y[off + k];
                        }
                        values[c++] = new DenseVector(logits);
                    }
                    double[] p = null;
                    if (plan.probability || plan.thresholds != null) {
                        p = new double[outs];
                        softmax(y, off, outs, best, p);
                    }
                    if (plan.probability) {
                        values[c++] = new DenseVector(p);
                    }
                    if (plan.prediction) {
                        values[c] = (double) predictClass(best, outs, p, plan.thresholds);
                    }
                    return RowFactory.create(values);
                }
            };
        }
    }

    @Override
    public MlpModel copy(ParamMap extra) {
        MlpModel copy = copyValues(new MlpModel(uid, spec), extra);
        return copy.setParent(parent());
    }

    /** A writer that saves the params (Spark's metadata layout) and the weights as safetensors. */
    @Override
    public MLWriter write() {
        MlpModel self = this;
        return new MLWriter() {
            @Override
            public void saveImpl(String path) {
                Persistence.saveMetadata(self, path, sc());
                try {
                    Persistence.saveWeights(spec.newNetwork(), path, sc());
                } catch (IOException e) {
                    throw new UncheckedIOException(path + ": cannot write the weights", e);
                }
            }
        };
    }

    /** The reader for models saved with {@link #write()} (also used by {@code PipelineModel.load}). */
    public static MLReader<MlpModel> read() {
        return new MLReader<>() {
            @Override
            public MlpModel load(String path) {
                var meta = Persistence.readMetadata(path, sc(), MlpModel.class);
                Network net;
                try {
                    net = Persistence.loadWeights(path, sc());
                } catch (IOException e) {
                    throw new UncheckedIOException(path + ": cannot read the weights", e);
                }
                MlpModel model = new MlpModel(meta.get("uid").asText(), NetSpec.of(net));
                Persistence.applyParams(meta, path, model);
                return model;
            }
        };
    }

    /** Loads a model saved with {@code write().save(path)}. */
    public static MlpModel load(String path) {
        return read().load(path);
    }

    @Override
    public String toString() {
        return "MlpModel(uid=" + uid + ", layers=" + Arrays.toString(spec.widths) + ", activations="
                + Arrays.toString(spec.activations) + ")";
    }
}
