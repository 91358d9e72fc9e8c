package org.mlp4j.jmh;

import java.util.SplittableRandom;

/** Deterministic benchmark inputs. */
final class Data {
    private Data() {
    }

    /** {@code n} floats uniform in {@code [lo, hi)} from {@code seed}. */
    static float[] uniform(int n, long seed, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * (float) r.nextDouble();
        }
        return a;
    }

    /** Parses a layer shape {@code "INxOUT"} into {@code {in, out}}. */
    static int[] shape(String layer) {
        String[] p = layer.split("x");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }
}
