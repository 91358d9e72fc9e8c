package org.mlp4j;

import java.util.Objects;
import java.util.SplittableRandom;
import org.mlp4j.internal.engine.Checks;

/**
 * An in-memory dataset of {@code size} samples held in two flat row-major arrays:
 * {@code features[size][featureCount]} and {@code targets[size][targetWidth]}.
 *
 * <p>For {@link Loss#CROSS_ENTROPY} the target width is 1 and each target is a class index stored as a
 * float; for the other losses a target row has one value per network output.
 *
 * <p>A dataset is immutable after construction as far as this class is concerned; the arrays are not
 * copied, so callers that keep a reference must not modify them while training.
 */
public final class Dataset {
    private final float[] features;
    private final int featureCount;
    private final float[] targets;
    private final int targetWidth;
    private final int size;

    private Dataset(float[] features, int featureCount, float[] targets, int targetWidth, int size) {
        this.features = features;
        this.featureCount = featureCount;
        this.targets = targets;
        this.targetWidth = targetWidth;
        this.size = size;
    }

    /**
     * Wraps flat arrays (not copied).
     *
     * @param features     {@code [size][featureCount]} row-major values; its length fixes {@code size}
     * @param featureCount values per sample, {@code >= 1}
     * @param targets      {@code [size][targetWidth]} row-major values
     * @param targetWidth  values per target, {@code >= 1} (1 for class indices)
     * @return a dataset backed by the two arrays
     * @throws IllegalArgumentException if a width is not positive or the array lengths disagree
     */
    public static Dataset of(float[] features, int featureCount, float[] targets, int targetWidth) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(targets, "targets");
        Checks.positive("featureCount", featureCount);
        Checks.positive("targetWidth", targetWidth);
        if (features.length % featureCount != 0) {
            throw new IllegalArgumentException("features: expected a length that is a multiple of featureCount "
                    + featureCount + ", got " + features.length);
        }
        int size = features.length / featureCount;
        if ((long) size * targetWidth != targets.length) {
            throw new IllegalArgumentException("targets: expected length " + ((long) size * targetWidth)
                    + " (" + size + " samples x targetWidth " + targetWidth + "), got " + targets.length);
        }
        return new Dataset(features, featureCount, targets, targetWidth, size);
    }

    /**
     * Number of samples.
     *
     * @return the number of samples, {@code >= 0}
     */
    public int size() {
        return size;
    }

    /**
     * Values per sample.
     *
     * @return the number of features per sample, {@code >= 1}
     */
    public int featureCount() {
        return featureCount;
    }

    /**
     * Target values per sample (1 for class indices).
     *
     * @return the number of target values per sample, {@code >= 1}
     */
    public int targetWidth() {
        return targetWidth;
    }

    /**
     * The backing feature array, {@code [size][featureCount]} row-major (not a copy).
     *
     * @return the feature array itself
     */
    public float[] features() {
        return features;
    }

    /**
     * The backing target array, {@code [size][targetWidth]} row-major (not a copy).
     *
     * @return the target array itself
     */
    public float[] targets() {
        return targets;
    }

    /**
     * Samples {@code [from, to)} as a new dataset (copied).
     *
     * @param from index of the first sample, inclusive
     * @param to   index after the last sample, {@code from <= to <= size()}
     * @return a new dataset of {@code to - from} samples
     * @throws IndexOutOfBoundsException if the range is not within {@code [0, size())}
     */
    public Dataset slice(int from, int to) {
        Objects.checkFromToIndex(from, to, size);
        float[] f = new float[(to - from) * featureCount];
        float[] t = new float[(to - from) * targetWidth];
        System.arraycopy(features, from * featureCount, f, 0, f.length);
        System.arraycopy(targets, from * targetWidth, t, 0, t.length);
        return new Dataset(f, featureCount, t, targetWidth, to - from);
    }

    /**
     * A copy with the samples in a seeded random order (Fisher-Yates); same seed, same order.
     *
     * @param seed seed of the order
     * @return a new dataset of the same samples, shuffled
     */
    public Dataset shuffled(long seed) {
        int[] order = permutation(size, seed);
        return gather(order, 0, size);
    }

    /**
     * Splits a seeded shuffle of this dataset into {@code [train, validation]}, the validation part holding
     * {@code round(size * validationFraction)} samples.
     *
     * @param validationFraction fraction of the samples in the validation part, in {@code (0, 1)}
     * @param seed               seed of the shuffle
     * @return two new datasets, {@code [0]} for training and {@code [1]} for validation
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1)} or rounds to an empty part
     */
    public Dataset[] split(double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction: expected a value in (0, 1), got " + validationFraction);
        }
        int validation = (int) Math.round(size * validationFraction);
        if (validation == 0 || validation == size) {
            throw new IllegalArgumentException("validationFraction: " + validationFraction + " of " + size
                    + " samples leaves one side empty");
        }
        int[] order = permutation(size, seed);
        return new Dataset[] {gather(order, 0, size - validation), gather(order, size - validation, size)};
    }

    /** Copies the samples listed in {@code order[from, to)} into a new dataset. */
    Dataset gather(int[] order, int from, int to) {
        int n = to - from;
        float[] f = new float[n * featureCount];
        float[] t = new float[n * targetWidth];
        for (int i = 0; i < n; i++) {
            int s = order[from + i];
            System.arraycopy(features, s * featureCount, f, i * featureCount, featureCount);
            System.arraycopy(targets, s * targetWidth, t, i * targetWidth, targetWidth);
        }
        return new Dataset(f, featureCount, t, targetWidth, n);
    }

    /** A seeded permutation of {@code 0..n-1}. */
    static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        shuffle(order, new SplittableRandom(seed));
        return order;
    }

    static void shuffle(int[] order, SplittableRandom random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
    }
}
