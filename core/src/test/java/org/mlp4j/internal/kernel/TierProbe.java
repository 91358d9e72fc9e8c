package org.mlp4j.internal.kernel;

import java.util.SplittableRandom;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;

/**
 * A few training steps and predictions whose bits {@link TierDeterminismTest} compares across JVMs run with
 * different JIT settings. {@code main} prints one line per scenario: {@code name=<hex digest of the bits>}.
 *
 * <ul>
 * <li>{@code api}: a small network trained through the public API with the kernels the JVM chooses (vector
 * under C2, scalar under C1 or the interpreter), then {@code predict} and {@code predictBatch}.</li>
 * <li>{@code kernels-scalar} / {@code kernels-vector}: forward, loss delta, backward, weight gradient and
 * an SGD update written directly against one kernel implementation, so the vector kernels themselves run
 * interpreted or in C1 when the forked JVM is told so.</li>
 * </ul>
 */
public final class TierProbe {
    private TierProbe() {
    }

    /**
     * {@code [--repeat N] scenario...}: runs each scenario N times (so that C2 compiles the kernels midway) and
     * fails if any repetition's bits differ from the first one's.
     */
    public static void main(String[] args) throws ReflectiveOperationException {
        int repeat = 1;
        int first = 0;
        if (args.length >= 2 && args[0].equals("--repeat")) {
            repeat = Integer.parseInt(args[1]);
            first = 2;
        }
        for (int i = first; i < args.length; i++) {
            String digest = run(args[i]);
            for (int r = 1; r < repeat; r++) {
                String again = run(args[i]);
                if (!again.equals(digest)) {
                    throw new AssertionError(args[i] + ": repetition " + r + " gave " + again + ", the first " + digest);
                }
            }
            System.out.println(args[i] + "=" + digest);
        }
    }

    static String run(String scenario) throws ReflectiveOperationException {
        switch (scenario) {
            case "api":
                return api();
            case "kernels-scalar":
                return kernels(ScalarKernels.INSTANCE);
            case "packed-shapes":
                return packedShapes();
            case "backward-shapes":
                return backwardShapes();
            case "zero-skip":
                return zeroSkip();
            case "kernels-vector":
                // by reflection, past KernelProvider, which refuses the vector kernels without C2
                return kernels((Kernels) Class.forName("org.mlp4j.internal.vector.VectorKernels")
                        .getField("INSTANCE").get(null));
            default:
                throw new IllegalArgumentException("scenario: expected api, kernels-scalar, kernels-vector, packed-shapes, backward-shapes or "
                        + "zero-skip, got "
                        + scenario);
        }
    }

    private static String api() {
        int in = 23;
        int batch = 21;
        Network net = Network.builder(in).dense(37, Activation.RELU).dense(19, Activation.TANH)
                .dense(17, Activation.GELU).dense(5, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(7).build();
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[batch * in];
        float[] y = new float[batch];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < batch; i++) {
            y[i] = rnd.nextInt(5);
        }
        Digest d = new Digest();
        try (Trainer t = Trainer.builder(net, Optimizer.adam(0.01)).batchSize(batch).threads(1).build()) {
            for (int step = 0; step < 4; step++) {
                d.add(t.step(x, 0, y, 0, batch));
            }
        }
        d.add(net.parameters());
        float[] out = new float[batch * 5];
        net.predictBatch(x, batch, out, net.newWorkspace(batch));
        d.add(out);
        d.add(net.predict(java.util.Arrays.copyOf(x, in)));
        return d.hex();
    }

    /** Two layers (29 -> 41 relu -> 7 identity), MSE delta, four SGD steps on a batch of 13. */
    private static String kernels(Kernels k) {
        int in = 29;
        int hid = 41;
        int out = 7;
        int batch = 13;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] p = random(rnd, hid * in + hid + out * hid + out, 0.3);
        int w1 = 0;
        int b1 = hid * in;
        int w2 = b1 + hid;
        int b2 = w2 + out * hid;
        float[] x = random(rnd, batch * in, 1);
        float[] target = random(rnd, batch * out, 1);
        float[] g = new float[p.length];
        float[] p1 = new float[k.packedWeightsLength(hid, in)];
        float[] p2 = new float[k.packedWeightsLength(out, hid)];
        float[] z1 = new float[batch * hid];
        float[] a1 = new float[batch * hid];
        float[] z2 = new float[batch * out];
        float[] a2 = new float[batch * out];
        float[] d2 = new float[batch * out];
        float[] d1 = new float[batch * hid];
        Digest d = new Digest();
        for (int step = 0; step < 4; step++) {
            k.packWeights(p, w1, b1, hid, in, p1, 0);
            k.packWeights(p, w2, b2, out, hid, p2, 0);
            k.gemmForwardPacked(x, 0, batch, p1, 0, hid, in, z1, 0, a1, 0, Activation.RELU, 0f);
            k.gemmForwardPacked(a1, 0, batch, p2, 0, out, hid, z2, 0, a2, 0, Activation.IDENTITY, 0f);
            for (int i = 0; i < d2.length; i++) {
                d2[i] = (a2[i] - target[i]) * (2f / d2.length);
            }
            k.gemmBackwardInput(d2, 0, batch, p, w2, out, hid, d1, 0);
            k.activationBackward(Activation.RELU, 0f, d1, z1, a1, 0, d1.length);
            k.gemmWeightGradient(d2, 0, out, batch, a1, 0, out, hid, g, w2, b2);
            k.gemmWeightGradient(d1, 0, hid, batch, x, 0, hid, in, g, w1, b1);
            k.sgd(p, g, null, 0, p.length, 0.1f, 0f, 0f, false, 0f, step == 0);
            d.add(a2);
        }
        d.add(p);
        return d.hex();
    }

    /**
     * The packed forward GEMM of the vector kernels (when present) against the scalar twin, bit for bit, on
     * rows, cols and batch around every tile and lane boundary, every activation, with and without z.
     */
    private static String packedShapes() throws ReflectiveOperationException {
        Kernels scalar = ScalarKernels.INSTANCE;
        Kernels vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                ? (Kernels) Class.forName("org.mlp4j.internal.vector.VectorKernels").getField("INSTANCE").get(null)
                : null;
        int[] rowsList = {1, 2, 3, 4, 5, 8, 10, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 129};
        int[] colsList = {1, 2, 7, 16, 33, 64};
        int[] batchList = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17};
        Activation[] acts = Activation.values();
        SplittableRandom rnd = new SplittableRandom(5);
        Digest d = new Digest();
        int n = 0;
        for (int rows : rowsList) {
            for (int cols : colsList) {
                int batch = batchList[n % batchList.length];
                Activation act = acts[n % acts.length];
                n++;
                float[] w = random(rnd, rows * cols + rows, 1);
                float[] a = random(rnd, batch * cols, 2);
                float[] want = packedForward(scalar, w, a, batch, rows, cols, act, true);
                if (vector != null) {
                    float[] got = packedForward(vector, w, a, batch, rows, cols, act, true);
                    float[] gotNoZ = packedForward(vector, w, a, batch, rows, cols, act, false);
                    String shape = " rows=" + rows + " cols=" + cols + " batch=" + batch + " act=" + act;
                    if (!java.util.Arrays.equals(want, got)) {
                        throw new AssertionError(vector.name() + " differs from scalar:" + shape);
                    }
                    if (!java.util.Arrays.equals(java.util.Arrays.copyOfRange(want, batch * rows, want.length),
                            java.util.Arrays.copyOfRange(gotNoZ, batch * rows, gotNoZ.length))) {
                        throw new AssertionError(vector.name() + " without z differs:" + shape);
                    }
                }
                d.add(want);
            }
        }
        return d.hex();
    }

    /**
     * The backward GEMMs of the vector kernels (when present) against the scalar twin, bit for bit, on rows,
     * cols and batch around every tile boundary (8-, 4-, 2-, 1-row edges, the 10- and 5-row blocks, 1, 2 and 3
     * vector panels, the scalar column tail) and past the k-chunk length (k = rows for dA, batch for dW).
     */
    private static String backwardShapes() throws ReflectiveOperationException {
        Kernels scalar = ScalarKernels.INSTANCE;
        Kernels vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                ? (Kernels) Class.forName("org.mlp4j.internal.vector.VectorKernels").getField("INSTANCE").get(null)
                : null;
        int[] rowsList = {1, 2, 3, 5, 7, 8, 10, 11, 15, 16, 20, 23, 30, 40, 129, 257};
        int[] colsList = {1, 3, 8, 15, 16, 17, 24, 33, 40, 47, 48, 49, 64, 65, 81, 128, 131};
        int[] batchList = {1, 2, 3, 4, 5, 8, 9, 10, 13, 16, 17, 20, 33, 129, 260};
        SplittableRandom rnd = new SplittableRandom(9);
        Digest d = new Digest();
        int n = 0;
        for (int rows : rowsList) {
            for (int cols : colsList) {
                int batch = batchList[n % batchList.length];
                n++;
                float[] w = random(rnd, rows * cols, 1);
                float[] dz = random(rnd, batch * rows, 1);
                float[] a = random(rnd, batch * cols, 1);
                float[] want = backward(scalar, w, dz, a, batch, rows, cols);
                if (vector != null && !java.util.Arrays.equals(want, backward(vector, w, dz, a, batch, rows, cols))) {
                    throw new AssertionError(vector.name() + " backward differs from scalar: rows=" + rows + " cols="
                            + cols + " batch=" + batch);
                }
                d.add(want);
            }
        }
        return d.hex();
    }

    /**
     * The packed forward GEMM, float and bfloat16 weights, of the vector kernels (when present) against the
     * scalar twin, bit for bit, on layers wide enough ({@code >= 512} inputs) for the vector kernels to leave out
     * blank stretches of input: image-like rows (blank runs, -0.0, a subnormal, a nonzero in the partial last
     * block), one sample, a one-row remainder and blocks of rows.
     */
    private static String zeroSkip() throws ReflectiveOperationException {
        Kernels scalar = ScalarKernels.INSTANCE;
        Kernels vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                ? (Kernels) Class.forName("org.mlp4j.internal.vector.VectorKernels").getField("INSTANCE").get(null)
                : null;
        SplittableRandom rnd = new SplittableRandom(13);
        Digest d = new Digest();
        for (int cols : new int[] {519, 784}) {
            for (int rows : new int[] {10, 37, 70}) {
                float[] w = random(rnd, rows * cols + rows, 0.1);
                for (int batch : new int[] {1, 3, 8, 13}) {
                    float[] a = new float[batch * cols];
                    for (int i = 0; i < a.length; ) { // blank runs between strokes
                        i += rnd.nextInt(1, 70);
                        for (int j = rnd.nextInt(1, 12); j > 0 && i < a.length; j--, i++) {
                            a[i] = (float) rnd.nextDouble(0.01, 1);
                        }
                    }
                    a[rnd.nextInt(a.length)] = -0f;
                    a[rnd.nextInt(a.length)] = Float.MIN_VALUE;
                    a[a.length - 1] = 0.5f; // in the partial last block of 519
                    float[] want = packedForward(scalar, w, a, batch, rows, cols, Activation.RELU, true);
                    float[] wantBf16 = packedForwardBf16(scalar, w, a, batch, rows, cols);
                    if (vector != null) {
                        String shape = " rows=" + rows + " cols=" + cols + " batch=" + batch;
                        if (!java.util.Arrays.equals(want, packedForward(vector, w, a, batch, rows, cols,
                                Activation.RELU, true))) {
                            throw new AssertionError(vector.name() + " differs from scalar on sparse input:" + shape);
                        }
                        if (!java.util.Arrays.equals(wantBf16, packedForwardBf16(vector, w, a, batch, rows, cols))) {
                            throw new AssertionError(vector.name() + " bfloat16 differs from scalar on sparse input:"
                                    + shape);
                        }
                    }
                    d.add(want);
                    d.add(wantBf16);
                }
            }
        }
        return d.hex();
    }

    /** {z, act} of one packed bfloat16 forward call (identity), concatenated. */
    private static float[] packedForwardBf16(Kernels k, float[] w, float[] a, int batch, int rows, int cols) {
        short[] packed = new short[k.packedBf16Length(rows, cols)];
        float[] bias = new float[k.packedBf16BiasLength(rows)];
        k.packWeightsBf16(w, 0, rows * cols, rows, cols, packed, 0, bias, 0);
        float[] out = new float[2 * batch * rows];
        k.gemmForwardPackedBf16(a, 0, batch, packed, 0, bias, 0, rows, cols, out, 0, out, batch * rows,
                Activation.IDENTITY, 0f);
        return out;
    }

    /** {dA, dW, db} of one backward pass, concatenated. */
    private static float[] backward(Kernels k, float[] w, float[] dz, float[] a, int batch, int rows, int cols) {
        float[] out = new float[batch * cols + rows * cols + rows];
        k.gemmBackwardInput(dz, 0, batch, w, 0, rows, cols, out, 0);
        k.gemmWeightGradient(dz, 0, rows, batch, a, 0, rows, cols, out, batch * cols, batch * cols + rows * cols);
        return out;
    }

    /** {z, act} of one packed forward call, concatenated (z is NaN-filled when not requested). */
    private static float[] packedForward(Kernels k, float[] w, float[] a, int batch, int rows, int cols,
                                         Activation act, boolean withZ) {
        float[] packed = new float[k.packedWeightsLength(rows, cols)];
        k.packWeights(w, 0, rows * cols, rows, cols, packed, 0);
        float[] out = new float[2 * batch * rows];
        java.util.Arrays.fill(out, Float.NaN);
        k.gemmForwardPacked(a, 0, batch, packed, 0, rows, cols, withZ ? out : null, 0, out, batch * rows, act, 0.1f);
        return out;
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /** FNV-1a over raw float bits (and double bits): equal digests mean equal bits, with overwhelming odds. */
    private static final class Digest {
        private long h = 0xcbf29ce484222325L;

        void add(float[] a) {
            for (float f : a) {
                mix(Float.floatToRawIntBits(f));
            }
        }

        void add(double v) {
            long bits = Double.doubleToRawLongBits(v);
            mix((int) bits);
            mix((int) (bits >>> 32));
        }

        private void mix(int v) {
            for (int i = 0; i < 4; i++) {
                h ^= (v >>> (8 * i)) & 0xff;
                h *= 0x100000001b3L;
            }
        }

        String hex() {
            return Long.toHexString(h);
        }
    }
}
