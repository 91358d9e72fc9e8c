package org.mlp4j.spark;

import java.io.Serializable;
import org.apache.spark.broadcast.Broadcast;

/**
 * What a scoring task needs, shipped to every partition: the broadcast network, where the features are, the
 * block size, and which output columns to write. Both scoring paths ({@link MlpModel}'s public {@code Row} path
 * and {@link CatalystScoring}) read it.
 */
final class ScoringPlan implements Serializable {
    private static final long serialVersionUID = 1L;
    final Broadcast<NetSpec> spec;
    final int featuresIndex;
    final String featuresName;
    final int block;
    final boolean classify;
    final boolean raw;
    final boolean probability;
    final boolean prediction;
    /** MLlib-style class thresholds, or null for the plain argmax. */
    final double[] thresholds;

    ScoringPlan(Broadcast<NetSpec> spec, int featuresIndex, String featuresName, int block, boolean classify,
                boolean raw, boolean probability, boolean prediction, double[] thresholds) {
        this.spec = spec;
        this.featuresIndex = featuresIndex;
        this.featuresName = featuresName;
        this.block = block;
        this.classify = classify;
        this.raw = raw;
        this.probability = probability;
        this.prediction = prediction;
        this.thresholds = thresholds;
    }
}
