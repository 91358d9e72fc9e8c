package org.mlp4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.mlp4j.Network;
import org.mlp4j.io.ModelFiles;

/**
 * ML persistence in Spark's layout, so that {@code Pipeline} and {@code PipelineModel} can save and load our
 * stages: {@code <path>/metadata/part-00000} holds one JSON line (class, timestamp, sparkVersion, uid, paramMap,
 * defaultParamMap: the keys Spark's own reader expects), and a model adds {@code <path>/data/model.safetensors}
 * written by {@link ModelFiles}. Paths go through Hadoop's FileSystem, so HDFS or object stores work as well as
 * local directories.
 */
final class Persistence {
    static final String WEIGHTS = "data/model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Persistence() {
    }

    /** Writes the metadata of {@code stage} (every set and every default param). */
    static void saveMetadata(Params stage, String path, SparkContext sc) {
        ObjectNode root = JSON.createObjectNode();
        root.put("class", stage.getClass().getName());
        root.put("timestamp", System.currentTimeMillis());
        root.put("sparkVersion", sc.version());
        root.put("uid", stage.uid());
        ObjectNode set = root.putObject("paramMap");
        ObjectNode defaults = root.putObject("defaultParamMap");
        for (Param<?> p : stage.params()) {
            @SuppressWarnings("unchecked")
            Param<Object> param = (Param<Object>) p;
            try {
                if (stage.isSet(param)) {
                    set.set(param.name(), JSON.readTree(param.jsonEncode(stage.getOrDefault(param))));
                }
                if (stage.hasDefault(param)) {
                    defaults.set(param.name(), JSON.readTree(param.jsonEncode(stage.getDefault(param).get())));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("param " + param.name() + ": cannot encode its value", e);
            }
        }
        new JavaSparkContext(sc).parallelize(List.of(root.toString()), 1).saveAsTextFile(path + "/metadata");
    }

    /**
     * Reads the metadata at {@code path} and checks that it was written for {@code expectedClass}.
     *
     * @return the metadata's JSON object (its {@code uid} and {@code paramMap} are used by the readers)
     */
    static JsonNode readMetadata(String path, SparkContext sc, Class<?> expectedClass) {
        List<String> lines = new JavaSparkContext(sc).textFile(path + "/metadata", 1).collect();
        if (lines.size() != 1) {
            throw new IllegalArgumentException(path + "/metadata: expected one JSON line, found " + lines.size());
        }
        JsonNode root;
        try {
            root = JSON.readTree(lines.get(0));
        } catch (IOException e) {
            throw new IllegalArgumentException(path + "/metadata: not valid JSON: " + e.getMessage(), e);
        }
        String cls = root.path("class").asText("");
        if (!cls.equals(expectedClass.getName())) {
            throw new IllegalArgumentException(path + ": expected a saved " + expectedClass.getName() + ", found '"
                    + cls + "'");
        }
        if (!root.path("uid").isTextual()) {
            throw new IllegalArgumentException(path + "/metadata: no uid");
        }
        return root;
    }

    /** Sets every param saved in {@code metadata} on {@code stage} (defaults come from the class itself). */
    static void applyParams(JsonNode metadata, String path, Params stage) {
        Iterator<Map.Entry<String, JsonNode>> it = metadata.path("paramMap").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!stage.hasParam(e.getKey())) {
                throw new IllegalArgumentException(path + "/metadata: unknown param '" + e.getKey() + "' for "
                        + stage.getClass().getSimpleName() + " (saved by a newer mlp4j-spark?)");
            }
            Param<Object> p = stage.getParam(e.getKey());
            stage.set(p, p.jsonDecode(e.getValue().toString()));
        }
    }

    /** Writes {@code net} as safetensors to {@code <path>/data/model.safetensors}. */
    static void saveWeights(Network net, String path, SparkContext sc) throws IOException {
        Path tmp = Files.createTempFile("mlp4j-spark", ".safetensors");
        try {
            ModelFiles.save(net, tmp);
            org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(path, WEIGHTS);
            FileSystem fs = dst.getFileSystem(hadoopConf(sc));
            fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(tmp.toUri()), dst);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads the network stored by {@link #saveWeights}. */
    static Network loadWeights(String path, SparkContext sc) throws IOException {
        Path tmp = Files.createTempFile("mlp4j-spark", ".safetensors");
        try {
            org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(path, WEIGHTS);
            FileSystem fs = src.getFileSystem(hadoopConf(sc));
            if (!fs.exists(src)) {
                throw new IllegalArgumentException(path + ": no " + WEIGHTS + " (not a saved mlp4j model?)");
            }
            Files.delete(tmp);
            fs.copyToLocalFile(false, src, new org.apache.hadoop.fs.Path(tmp.toUri()), true);
            return ModelFiles.load(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Configuration hadoopConf(SparkContext sc) {
        return sc.hadoopConfiguration();
    }
}
