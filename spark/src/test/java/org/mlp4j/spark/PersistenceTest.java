package org.mlp4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.io.ModelFiles;

class PersistenceTest {
    @TempDir
    Path dir;

    private static List<Row> collect(Dataset<Row> d) {
        return d.collectAsList();
    }

    @Test
    void modelRoundTripKeepsWeightsParamsAndPredictions() throws IOException {
        Dataset<Row> data = SparkTests.frame(SparkTests.blobs(200, 5, 3, 9), 2);
        MlpModel model = new MlpEstimator().setLayers(new int[] {5, 6, 3}).setEpochs(2).setPredictionCol("cls")
                .fit(data);
        model.setThresholds(new double[] {1, 0.5, 2});
        String path = dir.resolve("model").toString();
        model.write().save(path);
        MlpModel loaded = MlpModel.load(path);
        assertEquals(model.uid(), loaded.uid());
        assertEquals("cls", loaded.getOrDefault(loaded.predictionCol()));
        assertArrayEquals(new double[] {1, 0.5, 2}, loaded.getOrDefault(loaded.thresholds()));
        assertArrayEquals(model.network().parameters(), loaded.network().parameters());
        List<Row> a = collect(model.transform(data));
        List<Row> b = collect(loaded.transform(data));
        assertEquals(a, b);
        // The weights are an ordinary mlp4j model file.
        assertArrayEquals(model.network().parameters(),
                ModelFiles.load(dir.resolve("model").resolve(Persistence.WEIGHTS)).parameters());
        // Saving over it needs overwrite().
        assertThrows(IOException.class, () -> model.write().save(path));
        model.write().overwrite().save(path);
        assertThrows(IllegalArgumentException.class, () -> MlpEstimator.load(path));
    }

    @Test
    void estimatorRoundTripKeepsItsParams() throws IOException {
        MlpEstimator est = new MlpEstimator().setLayers(new int[] {5, 7, 3}).setActivations(new String[] {"gelu"})
                .setOptimizer("sgd").setMomentum(0.9).setNesterov(true).setLocalSteps(3).setSeed(99)
                .setThresholds(new double[] {1, 0.25, 3});
        String path = dir.resolve("estimator").toString();
        est.write().save(path);
        MlpEstimator loaded = MlpEstimator.load(path);
        assertEquals(est.uid(), loaded.uid());
        for (org.apache.spark.ml.param.Param<?> p : est.params()) {
            @SuppressWarnings("unchecked")
            org.apache.spark.ml.param.Param<Object> param = (org.apache.spark.ml.param.Param<Object>) p;
            assertEquals(est.isSet(param), loaded.isSet(param), param.name());
            assertEquals(param.jsonEncode(est.getOrDefault(param)),
                    param.jsonEncode(loaded.getOrDefault(loaded.getParam(param.name()))), param.name());
        }
        assertArrayEquals(new int[] {5, 7, 3}, loaded.getLayers());
        Dataset<Row> data = SparkTests.frame(SparkTests.blobs(60, 5, 3, 2), 2);
        MlpModel fitted = loaded.setEpochs(1).fit(data);
        assertArrayEquals(est.setEpochs(1).fit(data).network().parameters(), fitted.network().parameters());
        assertArrayEquals(new double[] {1, 0.25, 3}, fitted.getOrDefault(fitted.thresholds()), "passed to the model");
        assertThrows(IllegalArgumentException.class, () -> est.setThresholds(new double[] {0, 0, 1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loaded.copy(new org.apache.spark.ml.param.ParamMap()).setThresholds(new double[] {1, 1}).fit(data));
        assertTrue(e.getMessage().contains("thresholds: expected 3 values (one per class), got 2"), e.getMessage());
        // the params travel with their stage (Java serialization), validators included
        assertArrayEquals(new double[] {1, 0.25, 3}, org.apache.commons.lang3.SerializationUtils.clone(fitted)
                .getOrDefault(fitted.thresholds()));
    }

    @Test
    void worksAsAPipelineStageAndThePipelineModelSavesAndLoads() throws IOException {
        StructType schema = new StructType().add("a", DataTypes.DoubleType).add("b", DataTypes.DoubleType)
                .add("label", DataTypes.DoubleType);
        List<Row> rows = new ArrayList<>();
        for (Row r : SparkTests.blobs(300, 2, 2, 4)) {
            double[] f = ((Vector) r.get(0)).toArray();
            rows.add(RowFactory.create(f[0], f[1], r.getDouble(1)));
        }
        Dataset<Row> data = SparkTests.spark().createDataFrame(rows, schema).repartition(2);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("features"),
            new MlpEstimator().setLayers(new int[] {2, 8, 2}).setBatchSize(16).setEpochs(20).setLearningRate(0.05)});
        PipelineModel fitted = pipeline.fit(data);
        Dataset<Row> scored = fitted.transform(data);
        long correct = scored.filter("prediction = label").count();
        assertTrue(correct >= 285, "accuracy " + correct + "/300");

        String path = dir.resolve("pipeline").toString();
        fitted.write().save(path);
        PipelineModel loaded = PipelineModel.load(path);
        assertEquals(collect(scored.select("prediction", "probability").orderBy("a")),
                collect(loaded.transform(data).select("prediction", "probability").orderBy("a")));

        pipeline.write().save(dir.resolve("unfitted").toString());
        Pipeline again = Pipeline.load(dir.resolve("unfitted").toString());
        assertTrue(again.getStages()[1] instanceof MlpEstimator);
        assertTrue(Files.exists(dir.resolve("pipeline")));
    }
}
