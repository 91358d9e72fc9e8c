package org.mlp4j.spark;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;
import org.apache.spark.unsafe.Platform;
import org.mlp4j.Network;
import org.mlp4j.Workspace;

/**
 * {@link MlpModel}'s scoring on Spark's internal rows: the one class of this module that uses Spark APIs outside
 * its public, stable surface. The public way to append columns partition by partition
 * ({@code toJavaRDD().mapPartitions} over {@code Row}, then {@code createDataFrame}) converts every input row
 * to a {@code Row} (the 784 pixels into a new {@code double[]}) and every output row back, field by field; this
 * path reads the features straight out of Catalyst's rows into the float block and appends the outputs to the
 * input row as it is (a {@link JoinedRow}), which Spark then writes out as an {@code UnsafeRow} in one pass.
 * Measured with {@code ScoringBenchmark} (docs/spark.md): see there for the gain.
 *
 * <p>What it relies on, all checked before use, with the public path of {@link MlpModel} as the fallback:
 * <ul>
 *   <li>{@code classic.SparkSession.internalCreateDataFrame(RDD[InternalRow], StructType, boolean)}, which is
 *       {@code private[sql]} in Scala (public in bytecode), and {@code classic.Dataset.queryExecution().toRdd()};
 *       a session that is not a classic one (Spark Connect) or a Spark without them ({@link LinkageError})
 *       takes the public path;</li>
 *   <li>the internal layout of {@code VectorUDT} (struct of type byte: 0 sparse / 1 dense, size int, indices
 *       int array, values double array), verified once per JVM by {@link #layoutMatches()} against the UDT's
 *       own serialize/deserialize; {@code ScoringTest} pins it too, so a Spark upgrade that changes it
 *       fails a test rather than silently taking the slower path.</li>
 * </ul>
 * Spark's internal iterators may reuse their row objects: each input row is copied (into one reusable byte
 * arena per block for {@code UnsafeRow}s, the usual case) before the next is read, and the output rows reuse
 * their objects too, which is the internal-row contract (the scan over this RDD projects each row to a fresh
 * {@code UnsafeRow} before asking for the next).
 */
final class CatalystScoring {
    private static final UserDefinedType<Vector> UDT = vectorUdt();
    private static final byte SPARSE = 0;
    private static final byte DENSE = 1;
    private static volatile Boolean layoutMatches;
    /** Bytes of input rows pooled per block; past it rows are copied one by one (Java arrays stop at 2 GiB). */
    private static final long MAX_ARENA = 1L << 30;

    private CatalystScoring() {
    }

    @SuppressWarnings("unchecked")
    private static UserDefinedType<Vector> vectorUdt() {
        return (UserDefinedType<Vector>) SQLDataTypes.VectorType();
    }

    /**
     * {@code df} scored on its internal rows into {@code out} (its schema plus the output columns), or null when
     * this path is not available here (then the caller takes the public path).
     */
    static Dataset<Row> transform(Dataset<Row> df, StructType out, ScoringPlan plan) {
        if (!(df instanceof org.apache.spark.sql.classic.Dataset)
                || !(df.sparkSession() instanceof org.apache.spark.sql.classic.SparkSession) || !layoutMatches()) {
            return null;
        }
        try {
            RDD<InternalRow> in = ((org.apache.spark.sql.classic.Dataset<Row>) df).queryExecution().toRdd();
            RDD<InternalRow> scored = in.toJavaRDD().mapPartitions(new Scorer(plan)).rdd();
            return ((org.apache.spark.sql.classic.SparkSession) df.sparkSession())
                    .internalCreateDataFrame(scored, out, false);
        } catch (LinkageError e) { // a Spark whose internals moved: the public path still works
            return null;
        }
    }

    /**
     * Whether this Spark's {@code VectorUDT} stores vectors as this class reads and writes them: a dense and a
     * sparse vector serialized by the UDT read back equal, and a dense vector written here deserializes equal.
     */
    static boolean layoutMatches() {
        Boolean ok = layoutMatches;
        if (ok == null) {
            ok = checkLayout();
            layoutMatches = ok;
        }
        return ok;
    }

    private static boolean checkLayout() {
        try {
            Vector dense = Vectors.dense(1.5, -2, 0, 4);
            Vector sparse = Vectors.sparse(4, new int[] {1, 3}, new double[] {-2, 4});
            float[] a = new float[4];
            float[] b = new float[4];
            readFeatures((InternalRow) UDT.serialize(dense), 4, a, 0, 0, "check");
            readFeatures((InternalRow) UDT.serialize(sparse), 4, b, 0, 0, "check");
            DenseStruct written = new DenseStruct(4);
            for (int i = 0; i < 4; i++) {
                written.values.setDouble(i, dense.apply(i));
            }
            return Arrays.equals(a, new float[] {1.5f, -2, 0, 4}) && Arrays.equals(b, new float[] {0, -2, 0, 4})
                    && UDT.deserialize(written.row).equals(dense);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * Writes the vector struct {@code v} (VectorUDT's internal form) as floats into {@code dst[off, off + in)},
     * zeros where a sparse vector has none; a vector of another size fails with a message naming the row.
     */
    static void readFeatures(InternalRow v, int in, float[] dst, int off, long rowNumber, String featuresName) {
        ArrayData values = v.getArray(3);
        if (v.getByte(0) == DENSE) {
            int n = values.numElements();
            if (n != in) {
                throw wrongSize(rowNumber, featuresName, in, n);
            }
            for (int i = 0; i < n; i++) {
                dst[off + i] = (float) values.getDouble(i);
            }
            return;
        }
        int size = v.getInt(1);
        if (size != in) {
            throw wrongSize(rowNumber, featuresName, in, size);
        }
        ArrayData indices = v.getArray(2);
        Arrays.fill(dst, off, off + in, 0f);
        int nnz = indices.numElements();
        for (int k = 0; k < nnz; k++) {
            int i = indices.getInt(k);
            if (i < 0 || i >= in) { // SparseVector's constructor rejects these; rows made elsewhere might not
                throw new IllegalArgumentException("row " + rowNumber + " of this partition: " + featuresName
                        + ": sparse index " + i + " outside [0, " + in + ")");
            }
            dst[off + i] = (float) values.getDouble(k);
        }
    }

    private static IllegalArgumentException wrongSize(long rowNumber, String featuresName, int in, int got) {
        return new IllegalArgumentException("row " + rowNumber + " of this partition: " + featuresName
                + ": expected a vector of " + in + " values, got " + got);
    }

    /** A dense vector in VectorUDT's internal form whose values are overwritten in place, row after row. */
    private static final class DenseStruct {
        final UnsafeArrayData values;
        final GenericInternalRow row;

        DenseStruct(int n) {
            values = UnsafeArrayData.fromPrimitiveArray(new double[n]);
            row = new GenericInternalRow(new Object[] {DENSE, null, null, values});
        }
    }

    /** Scores one partition of internal rows: blocks through {@link Network#predictBatch}, outputs appended. */
    private static final class Scorer implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
        private static final long serialVersionUID = 1L;
        private final ScoringPlan plan;

        Scorer(ScoringPlan plan) {
            this.plan = plan;
        }

        @Override
        public Iterator<InternalRow> call(Iterator<InternalRow> input) {
            Network net = plan.spec.value().network();
            int in = net.inputSize();
            int outs = net.outputSize();
            StructType extras = new StructType();
            if (plan.raw) {
                extras = extras.add("raw", SQLDataTypes.VectorType(), false);
            }
            if (plan.probability) {
                extras = extras.add("probability", SQLDataTypes.VectorType(), false);
            }
            if (plan.prediction) {
                extras = extras.add("prediction", DataTypes.DoubleType, false);
            }
            SpecificInternalRow tail = new SpecificInternalRow(extras);
            DenseStruct rawStruct = plan.raw ? new DenseStruct(outs) : null;
            DenseStruct probStruct = plan.probability ? new DenseStruct(outs) : null;
            int c = 0;
            if (plan.raw) {
                tail.update(c++, rawStruct.row);
            }
            if (plan.probability) {
                tail.update(c++, probStruct.row);
            }
            int predictionOrdinal = c;
            return new Iterator<>() {
                private final InternalRow[] rows = new InternalRow[plan.block];
                private final UnsafeRow[] views = new UnsafeRow[plan.block];
                private byte[] arena = new byte[64 * 1024];
                private long used;
                private final float[] x = new float[plan.block * in];
                private final float[] y = new float[plan.block * outs];
                private final double[] p = new double[outs];
                private final Workspace ws = net.newWorkspace(plan.block);
                private final JoinedRow joined = new JoinedRow();
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
                    used = 0;
                    while (filled < plan.block && input.hasNext()) {
                        InternalRow r = input.next();
                        if (r.isNullAt(plan.featuresIndex)) {
                            throw new IllegalArgumentException("row " + seen + " of this partition: "
                                    + plan.featuresName + " is null");
                        }
                        readFeatures(r.getStruct(plan.featuresIndex, 4), in, x, filled * in, seen,
                                plan.featuresName);
                        rows[filled] = keep(r, filled);
                        filled++;
                        seen++;
                    }
                    if (filled > 0) {
                        net.predictBatch(x, filled, y, ws);
                    }
                }

                /** A copy of {@code r} that outlives the next {@code input.next()} (which may reuse r). */
                private InternalRow keep(InternalRow r, int slot) {
                    if (!(r instanceof UnsafeRow)) {
                        return r.copy();
                    }
                    UnsafeRow u = (UnsafeRow) r;
                    int size = u.getSizeInBytes();
                    if (size > MAX_ARENA) { // a row too wide to pool: its own copy
                        return u.copy();
                    }
                    if (used + size > arena.length) {
                        // a new, larger arena from here on; the rows kept so far still point into the old one,
                        // which lives as long as they do (until the next block)
                        arena = new byte[(int) Math.min(MAX_ARENA, Math.max(2L * arena.length, size))];
                        used = 0;
                    }
                    long at = Platform.BYTE_ARRAY_OFFSET + used;
                    u.writeToMemory(arena, at);
                    if (views[slot] == null || views[slot].numFields() != u.numFields()) {
                        views[slot] = new UnsafeRow(u.numFields());
                    }
                    views[slot].pointTo(arena, at, size);
                    used += size;
                    return views[slot];
                }

                @Override
                public InternalRow next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    int i = next++;
                    int off = i * outs;
                    if (!plan.classify) {
                        if (plan.prediction) {
                            tail.setDouble(predictionOrdinal, y[off]);
                        }
                        return joined.apply(rows[i], tail);
                    }
                    int best = MlpModel.argMax(y, off, outs);
                    if (plan.raw) {
                        for (int k = 0; k < outs; k++) {
                            rawStruct.values.setDouble(k, y[off + k]);
                        }
                    }
                    if (plan.probability || plan.thresholds != null) {
                        MlpModel.softmax(y, off, outs, best, p);
                    }
                    if (plan.probability) {
                        for (int k = 0; k < outs; k++) {
                            probStruct.values.setDouble(k, p[k]);
                        }
                    }
                    if (plan.prediction) {
                        tail.setDouble(predictionOrdinal, MlpModel.predictClass(best, outs, p, plan.thresholds));
                    }
                    return joined.apply(rows[i], tail);
                }
            };
        }
    }
}
