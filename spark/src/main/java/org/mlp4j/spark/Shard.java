package org.mlp4j.spark;

import java.io.Serializable;

/**
 * One partition's training examples as flat float arrays ({@code features[n][inputs]} row-major and
 * {@code targets[n]}), built once per fit and cached, so that rounds read them without touching rows again.
 */
final class Shard implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    final int size;
    final int inputs;
    final float[] features;
    final float[] targets;

    Shard(int partition, int size, int inputs, float[] features, float[] targets) {
        this.partition = partition;
        this.size = size;
        this.inputs = inputs;
        this.features = features;
        this.targets = targets;
    }
}
