package org.mlp4j.cli;

import java.util.Map;
import org.mlp4j.Dataset;

/**
 * Per-feature standardization {@code (x - mean) / std}, fitted on the training data and stored with the model
 * (metadata {@code standardize.mean}, {@code standardize.std}) so that {@code eval} and {@code predict} scale
 * their inputs the same way.
 */
record FeatureScaling(float[] mean, float[] std) {
    static final String MEAN_KEY = "standardize.mean";
    static final String STD_KEY = "standardize.std";

    /** Mean and standard deviation (population) of every feature; a constant feature gets std 1. */
    static FeatureScaling fit(Dataset d) {
        int f = d.featureCount();
        int n = d.size();
        float[] x = d.features();
        double[] sum = new double[f];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < f; c++) {
                sum[c] += x[r * f + c];
            }
        }
        float[] mean = new float[f];
        for (int c = 0; c < f; c++) {
            mean[c] = (float) (sum[c] / n);
        }
        double[] sq = new double[f];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < f; c++) {
                double v = x[r * f + c] - (double) mean[c];
                sq[c] += v * v;
            }
        }
        float[] std = new float[f];
        for (int c = 0; c < f; c++) {
            double s = Math.sqrt(sq[c] / n);
            std[c] = s > 1e-12 && Double.isFinite(s) ? (float) s : 1f;
        }
        return new FeatureScaling(mean, std);
    }

    /** Scales rows of {@code featureCount} values in place. */
    void applyInPlace(float[] x) {
        int f = mean.length;
        for (int i = 0; i < x.length; i++) {
            int c = i % f;
            x[i] = (x[i] - mean[c]) / std[c];
        }
    }

    /** A scaled copy of {@code d}. */
    Dataset apply(Dataset d) {
        if (d.featureCount() != mean.length) {
            throw new IllegalArgumentException("standardization: expected " + mean.length + " features, got "
                    + d.featureCount());
        }
        float[] x = d.features();
        applyInPlace(x);
        return Dataset.of(x, d.featureCount(), d.targets(), d.targetWidth());
    }

    void toMetadata(Map<String, String> m) {
        m.put(MEAN_KEY, join(mean));
        m.put(STD_KEY, join(std));
    }

    /** The scaling stored in {@code m}, or null when there is none. */
    static FeatureScaling fromMetadata(Map<String, String> m, int features, String source) {
        String mean = m.get(MEAN_KEY);
        String std = m.get(STD_KEY);
        if (mean == null && std == null) {
            return null;
        }
        if (mean == null || std == null) {
            throw new IllegalArgumentException(source + ": expected both " + MEAN_KEY + " and " + STD_KEY
                    + " in the metadata, got one");
        }
        float[] mu = parse(mean, features, MEAN_KEY, source);
        float[] sd = parse(std, features, STD_KEY, source);
        for (float s : sd) {
            if (!(s > 0)) {
                throw new IllegalArgumentException(source + ": metadata " + STD_KEY + ": expected positive values, got "
                        + s);
            }
        }
        return new FeatureScaling(mu, sd);
    }

    private static float[] parse(String s, int features, String key, String source) {
        String[] parts = s.split(",");
        if (parts.length != features) {
            throw new IllegalArgumentException(source + ": metadata " + key + ": expected " + features
                    + " values (one per input), got " + parts.length);
        }
        float[] v = new float[features];
        for (int i = 0; i < features; i++) {
            try {
                v[i] = Float.parseFloat(parts[i]);
            } catch (NumberFormatException e) {
                v[i] = Float.NaN;
            }
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException(source + ": metadata " + key + ": expected finite numbers, got '"
                        + parts[i] + "'");
            }
        }
        return v;
    }

    private static String join(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }
}
