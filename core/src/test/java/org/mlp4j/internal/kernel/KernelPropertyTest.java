package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;

/**
 * Property tests of every {@link Kernels} method over random shapes, offsets and values.
 *
 * <p><b>Matrix kernels</b> (the dot-product / GEMM kernels) are checked against an exact double-precision
 * loop on BOTH implementations, with the rigorous floating-point summation bound (Higham, <i>Accuracy and
 * Stability of Numerical Algorithms</i>, eq. 3.5/4.4): summing {@code n} float terms in ANY order (recursive,
 * blocked, lane-wise then reduced, with or without FMA) has {@code |fl(S) - S| <= gamma_n * sum|t_i|},
 * {@code gamma_n = n*u/(1-n*u)}, {@code u = 2^-24}; each product adds one rounding. With {@code k} products
 * plus a bias or an existing value this is {@code gamma_{k+4}} (a few spare roundings for the chunked
 * accumulation of the broadcast GEMM, which adds each k-chunk of 128 into C). The bound holds for every
 * input, so these tests are never flaky, yet it is small: for k = 300 it is 1.8e-5 of {@code sum|t|},
 * while a dropped, duplicated or misplaced term costs ~{@code sum|t|/k}, i.e. 1/300 of it (180x the bound).
 *
 * <p><b>Elementwise kernels</b> (activation backward, add, scale, optimizers) use the same operation order on
 * both paths and must agree with the scalar reference bit for bit; the scalar reference itself is checked
 * against the formulas written out in double.
 *
 * <p>Every array lives at a random offset inside a larger array filled with random values; everything
 * outside the range a kernel may write must be untouched, and input arrays must be unchanged.
 *
 * <p>Vector-vs-scalar checks are skipped (JUnit assumption) when the Vector API module is absent.
 */
class KernelPropertyTest {

    /** Sizes around 128-, 256- and 512-bit lane counts (4, 8, 16 floats), register blocks and the k-chunk 128. */
    static final int[] EDGE = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 127, 129, 255, 257, 300};
    static final double U = Math.scalb(1.0, -24);

    // ---------------------------------------------------------------------------------------------------
    // shapes and buffers
    // ---------------------------------------------------------------------------------------------------

    /** {rows, cols, batch}: each edge size once as rows, once as cols, once as batch, plus random shapes. */
    static List<int[]> shapes(long seed, int randomShapes) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int s : EDGE) {
            out.add(new int[] {s, other(rnd), other(rnd)});
            out.add(new int[] {other(rnd), s, other(rnd)});
            out.add(new int[] {other(rnd), other(rnd), s});
        }
        for (int i = 0; i < randomShapes; i++) {
            out.add(new int[] {other(rnd), other(rnd), other(rnd)});
        }
        return out;
    }

    private static int other(SplittableRandom rnd) {
        return rnd.nextBoolean() ? EDGE[rnd.nextInt(EDGE.length)] : 1 + rnd.nextInt(300);
    }

    static float[] randomArray(SplittableRandom rnd, int length, double lo, double hi) {
        float[] a = new float[length];
        for (int i = 0; i < length; i++) {
            a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return a;
    }

    /** A random offset 0..36 (aligned and unaligned). */
    static int off(SplittableRandom rnd) {
        return rnd.nextInt(37);
    }

    /** A random tail 0..19 after the used range. */
    static int pad(SplittableRandom rnd) {
        return rnd.nextInt(20);
    }

    static Kernels scalar() {
        return KernelProvider.scalar();
    }

    /** The scalar kernels and, when the module is present, the vector kernels. */
    static java.util.List<Kernels> available() {
        java.util.List<Kernels> list = new java.util.ArrayList<>();
        list.add(KernelProvider.scalar());
        KernelProvider.vector().ifPresent(list::add);
        return list;
    }

    static Kernels vectorOrSkip() {
        Optional<Kernels> v = KernelProvider.vector();
        assumeTrue(v.isPresent(), () -> "vector kernels unavailable: "
                + KernelProvider.vectorUnavailableReason().orElse("(no reason)"));
        return v.get();
    }

    /** Checks got[range] against exact values within the given bounds, and got outside all ranges == before. */
    static void assertRanges(String what, float[] before, float[] got, double[] exact, double[] bound, int... offs) {
        // offs: pairs (offset, length); exact/bound are concatenated over the pairs in order
        boolean[] inside = new boolean[got.length];
        int e = 0;
        for (int p = 0; p < offs.length; p += 2) {
            for (int i = 0; i < offs[p + 1]; i++) {
                int idx = offs[p] + i;
                inside[idx] = true;
                if (exact != null) {
                    double err = Math.abs(got[idx] - exact[e]);
                    if (!(err <= bound[e])) {
                        fail(what + ": element " + i + " of range " + (p / 2) + " (array index " + idx + "): expected "
                                + exact[e] + " +- " + bound[e] + ", got " + got[idx] + " (error " + err + ")");
                    }
                }
                e++;
            }
        }
        for (int i = 0; i < got.length; i++) {
            if (!inside[i] && Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(before[i])) {
                fail(what + ": index " + i + " lies outside the written range but changed from " + before[i]
                        + " to " + got[i]);
            }
        }
    }

    static double gamma(int n) {
        return n * U / (1 - n * U);
    }

    // ---------------------------------------------------------------------------------------------------
    // matrix kernels against exact double loops (both implementations)
    // ---------------------------------------------------------------------------------------------------

    @Test
    void scalarMatrixKernelsMatchDoubleLoops() {
        checkMatrixKernels(scalar(), 11);
    }

    @Test
    void vectorMatrixKernelsMatchDoubleLoops() {
        checkMatrixKernels(vectorOrSkip(), 11);
    }

    private static void checkMatrixKernels(Kernels k, long seed) {
        List<int[]> shapes = shapes(seed, 20);
        Activation[] acts = Activation.values();
        SplittableRandom rnd = new SplittableRandom(seed * 31 + 7);
        for (int s = 0; s < shapes.size(); s++) {
            int rows = shapes.get(s)[0];
            int cols = shapes.get(s)[1];
            int batch = shapes.get(s)[2];
            Activation act = acts[s % acts.length];
            float slope = (float) (0.01 + 0.3 * rnd.nextDouble());
            String shape = k.name() + " rows=" + rows + " cols=" + cols + " batch=" + batch + " act=" + act;
            denseBackwardInput(k, rnd, rows, cols, shape);
            accumulateOuterProduct(k, rnd, rows, cols, shape);
            gemmForwardPacked(k, rnd, rows, cols, batch, act, slope, shape);
            gemmBackwardInput(k, rnd, rows, cols, batch, shape);
            gemmWeightGradient(k, rnd, rows, cols, batch, shape);
        }
    }

    /** Every activation on every edge size (forward, both with z and with z == null). */
    @Test
    void scalarForwardEveryActivation() {
        forwardEveryActivation(scalar());
    }

    @Test
    void vectorForwardEveryActivation() {
        forwardEveryActivation(vectorOrSkip());
    }

    private static void forwardEveryActivation(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(5);
        for (Activation act : Activation.values()) {
            for (int i = 0; i < EDGE.length; i++) {
                int rows = EDGE[i];
                int cols = EDGE[EDGE.length - 1 - i];
                int batch = EDGE[(i * 7) % EDGE.length] % 40 + 1;
                String shape = k.name() + " rows=" + rows + " cols=" + cols + " batch=" + batch + " act=" + act;
                gemmForwardPacked(k, rnd, rows, cols, batch, act, 0.05f, shape);
            }
        }
    }

    /** W at wOff in w, bias at bOff after a gap; returns {w, wOff, bOff}. */
    private static Object[] weights(SplittableRandom rnd, int rows, int cols) {
        int wOff = off(rnd);
        int bOff = wOff + rows * cols + rnd.nextInt(9);
        float[] w = randomArray(rnd, bOff + rows + pad(rnd), -1, 1);
        return new Object[] {w, wOff, bOff};
    }



    /**
     * Exact (double) pre-activations {@code b[r] + sum_c W[r,c] x[c]} into {@code exact[out + r]}, and the
     * float rounding bound for any summation order into {@code bound[out + r]}.
     */
    static void exactDense(float[] w, int wOff, int bOff, int rows, int cols, float[] x, int xOff, double[] exact,
                           double[] bound, int out) {
        for (int r = 0; r < rows; r++) {
            double sum = w[bOff + r];
            double abs = Math.abs(w[bOff + r]);
            for (int c = 0; c < cols; c++) {
                double t = (double) w[wOff + r * cols + c] * x[xOff + c];
                sum += t;
                abs += Math.abs(t);
            }
            exact[out + r] = sum;
            bound[out + r] = gamma(cols + 4) * abs;
        }
    }

    static void denseBackwardInput(Kernels k, SplittableRandom rnd, int rows, int cols, String shape) {
        Object[] wb = weights(rnd, rows, cols);
        float[] w = (float[]) wb[0];
        int wOff = (Integer) wb[1];
        int dOff = off(rnd);
        float[] delta = randomArray(rnd, dOff + rows + pad(rnd), -1, 1);
        int dxOff = off(rnd);
        float[] dx0 = randomArray(rnd, dxOff + cols + pad(rnd), -9, 9); // garbage: must be overwritten
        float[] w0 = w.clone();
        float[] delta0 = delta.clone();
        float[] dx = dx0.clone();
        k.denseBackwardInput(w, wOff, rows, cols, delta, dOff, dx, dxOff);
        assertArrayEquals(w0, w, shape + ": denseBackwardInput changed w");
        assertArrayEquals(delta0, delta, shape + ": denseBackwardInput changed delta");
        double[] exact = new double[cols];
        double[] bound = new double[cols];
        for (int c = 0; c < cols; c++) {
            double sum = 0;
            double abs = 0;
            for (int r = 0; r < rows; r++) {
                double t = (double) delta[dOff + r] * w[wOff + r * cols + c];
                sum += t;
                abs += Math.abs(t);
            }
            exact[c] = sum;
            bound[c] = gamma(rows + 4) * abs;
        }
        assertRanges(shape + ": denseBackwardInput dx", dx0, dx, exact, bound, dxOff, cols);
    }

    static void accumulateOuterProduct(Kernels k, SplittableRandom rnd, int rows, int cols, String shape) {
        int gOff = off(rnd);
        int gbOff = gOff + rows * cols + rnd.nextInt(9);
        float[] g0 = randomArray(rnd, gbOff + rows + pad(rnd), -1, 1); // existing values: kernel ADDS
        int dOff = off(rnd);
        float[] delta = randomArray(rnd, dOff + rows + pad(rnd), -1, 1);
        int xOff = off(rnd);
        float[] x = randomArray(rnd, xOff + cols + pad(rnd), -1, 1);
        float[] delta0 = delta.clone();
        float[] x0 = x.clone();
        float[] g = g0.clone();
        k.accumulateOuterProduct(g, gOff, gbOff, rows, cols, delta, dOff, x, xOff);
        assertArrayEquals(delta0, delta, shape + ": accumulateOuterProduct changed delta");
        assertArrayEquals(x0, x, shape + ": accumulateOuterProduct changed x");
        double[] exact = new double[rows * cols + rows];
        double[] bound = new double[exact.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double t = (double) delta[dOff + r] * x[xOff + c];
                double old = g0[gOff + r * cols + c];
                exact[r * cols + c] = old + t;
                bound[r * cols + c] = gamma(2) * (Math.abs(old) + Math.abs(t));
            }
            double old = g0[gbOff + r];
            exact[rows * cols + r] = old + delta[dOff + r];
            bound[rows * cols + r] = gamma(1) * (Math.abs(old) + Math.abs(delta[dOff + r]));
        }
        assertRanges(shape + ": accumulateOuterProduct g", g0, g, exact, bound, gOff, rows * cols, gbOff, rows);
    }


    /**
     * packWeights into a random offset of a larger array (nothing outside its length written), then
     * gemmForwardPacked against exact sums; returns {z, act} for bit comparisons between implementations.
     */
    static float[][] gemmForwardPacked(Kernels k, SplittableRandom rnd, int rows, int cols, int batch, Activation act,
                                       float slope, String shape) {
        Object[] wb = weights(rnd, rows, cols);
        float[] w = (float[]) wb[0];
        int wOff = (Integer) wb[1];
        int bOff = (Integer) wb[2];
        int len = k.packedWeightsLength(rows, cols);
        assertTrue(len >= rows * (cols + 1), shape + ": packedWeightsLength " + len + " too small");
        SplittableRandom fill = rnd.split(); // the packed length differs between implementations
        int pOff = off(fill);
        float[] packed0 = randomArray(fill, pOff + len + pad(fill), -9, 9);
        float[] packed = packed0.clone();
        float[] w0 = w.clone();
        k.packWeights(w, wOff, bOff, rows, cols, packed, pOff);
        assertArrayEquals(w0, w, shape + ": packWeights changed w");
        assertRanges(shape + ": packWeights", packed0, packed, null, null, pOff, len);
        int aOff = off(rnd);
        float[] in = randomArray(rnd, aOff + batch * cols + pad(rnd), -2, 2);
        int zOff = off(rnd);
        float[] z0 = randomArray(rnd, zOff + batch * rows + pad(rnd), -9, 9);
        int actOff = off(rnd);
        float[] act0 = randomArray(rnd, actOff + batch * rows + pad(rnd), -9, 9);
        float[] in0 = in.clone();
        float[] packedBefore = packed.clone();
        float[] z = z0.clone();
        float[] out = act0.clone();
        k.gemmForwardPacked(in, aOff, batch, packed, pOff, rows, cols, z, zOff, out, actOff, act, slope);
        assertArrayEquals(in0, in, shape + ": gemmForwardPacked changed A");
        assertArrayEquals(packedBefore, packed, shape + ": gemmForwardPacked changed the packed weights");
        double[] exact = new double[batch * rows];
        double[] bound = new double[exact.length];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                double sum = w[bOff + r];
                double abs = Math.abs(w[bOff + r]);
                for (int c = 0; c < cols; c++) {
                    double t = (double) in[aOff + b * cols + c] * w[wOff + r * cols + c];
                    sum += t;
                    abs += Math.abs(t);
                }
                exact[b * rows + r] = sum;
                bound[b * rows + r] = gamma(cols + 2) * abs;
            }
        }
        assertRanges(shape + ": gemmForwardPacked Z", z0, z, exact, bound, zOff, batch * rows);
        assertRanges(shape + ": gemmForwardPacked Act", act0, out, null, null, actOff, batch * rows);
        for (int i = 0; i < batch * rows; i++) {
            float expected = ActivationMath.apply(act, z[zOff + i], slope);
            assertEquals(expected, out[actOff + i], 0f, shape + ": gemmForwardPacked Act[" + i + "] != act(Z[" + i + "])");
        }
        float[] out2 = act0.clone();
        k.gemmForwardPacked(in, aOff, batch, packed, pOff, rows, cols, null, 0, out2, actOff, act, slope);
        assertArrayEquals(out, out2, shape + ": gemmForwardPacked with z == null differs from z != null");
        return new float[][] {Arrays.copyOfRange(z, zOff, zOff + batch * rows),
            Arrays.copyOfRange(out, actOff, actOff + batch * rows)};
    }

    /**
     * The packed forward GEMM is one FMA chain per output in k order on every implementation: the vector tiles
     * (every MR x NR shape, partial panels, single samples) equal the scalar twin bit for bit.
     */
    @Test
    void vectorPackedForwardEqualsScalarBitForBit() {
        Kernels v = vectorOrSkip();
        List<int[]> shapes = shapes(23, 30);
        Activation[] acts = Activation.values();
        for (int s = 0; s < shapes.size(); s++) {
            int rows = shapes.get(s)[0];
            int cols = shapes.get(s)[1];
            int batch = shapes.get(s)[2];
            Activation act = acts[s % acts.length];
            String shape = "rows=" + rows + " cols=" + cols + " batch=" + batch + " act=" + act;
            // same seed for both: same weights, inputs and offsets
            float[][] want = gemmForwardPacked(scalar(), new SplittableRandom(s), rows, cols, batch, act, 0.07f, shape);
            float[][] got = gemmForwardPacked(v, new SplittableRandom(s), rows, cols, batch, act, 0.07f, shape);
            assertArrayEquals(want[0], got[0], v.name() + " " + shape + ": Z differs from scalar");
            assertArrayEquals(want[1], got[1], v.name() + " " + shape + ": Act differs from scalar");
        }
    }

    /** With FMA in the same order, the batched backward kernels of both implementations agree bit for bit. */
    @Test
    void vectorBackwardGemmsEqualScalarBitForBit() {
        Kernels v = vectorOrSkip();
        List<int[]> shapes = shapes(29, 20);
        for (int[] sh : shapes) {
            int rows = sh[0];
            int cols = sh[1];
            int batch = sh[2];
            SplittableRandom rnd = new SplittableRandom(rows * 1_000_003L + cols * 1009L + batch);
            float[] w = randomArray(rnd, rows * cols, -1, 1);
            float[] dz = randomArray(rnd, batch * rows, -1, 1);
            float[] a = randomArray(rnd, batch * cols, -1, 1);
            float[][] da = new float[2][batch * cols];
            float[][] g = new float[2][rows * cols + rows];
            Kernels[] ks = {scalar(), v};
            for (int i = 0; i < 2; i++) {
                ks[i].gemmBackwardInput(dz, 0, batch, w, 0, rows, cols, da[i], 0);
                ks[i].gemmWeightGradient(dz, 0, rows, batch, a, 0, rows, cols, g[i], 0, rows * cols);
            }
            String shape = "rows=" + rows + " cols=" + cols + " batch=" + batch;
            assertArrayEquals(da[0], da[1], v.name() + " " + shape + ": gemmBackwardInput differs from scalar");
            assertArrayEquals(g[0], g[1], v.name() + " " + shape + ": gemmWeightGradient differs from scalar");
        }
    }

    static void gemmBackwardInput(Kernels k, SplittableRandom rnd, int rows, int cols, int batch, String shape) {
        Object[] wb = weights(rnd, rows, cols);
        float[] w = (float[]) wb[0];
        int wOff = (Integer) wb[1];
        int dzOff = off(rnd);
        float[] dz = randomArray(rnd, dzOff + batch * rows + pad(rnd), -1, 1);
        int daOff = off(rnd);
        float[] da0 = randomArray(rnd, daOff + batch * cols + pad(rnd), -9, 9); // overwritten
        float[] w0 = w.clone();
        float[] dzc = dz.clone();
        float[] da = da0.clone();
        k.gemmBackwardInput(dz, dzOff, batch, w, wOff, rows, cols, da, daOff);
        assertArrayEquals(w0, w, shape + ": gemmBackwardInput changed W");
        assertArrayEquals(dzc, dz, shape + ": gemmBackwardInput changed dZ");
        double[] exact = new double[batch * cols];
        double[] bound = new double[exact.length];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < cols; c++) {
                double sum = 0;
                double abs = 0;
                for (int r = 0; r < rows; r++) {
                    double t = (double) dz[dzOff + b * rows + r] * w[wOff + r * cols + c];
                    sum += t;
                    abs += Math.abs(t);
                }
                exact[b * cols + c] = sum;
                bound[b * cols + c] = gamma(rows + 4) * abs;
            }
        }
        assertRanges(shape + ": gemmBackwardInput dA", da0, da, exact, bound, daOff, batch * cols);
    }

    static void gemmWeightGradient(Kernels k, SplittableRandom rnd, int rows, int cols, int batch, String shape) {
        int dzOff = off(rnd);
        int dzStride = rows + rnd.nextInt(5); // dZ may be a column block of a wider matrix
        float[] dz = randomArray(rnd, dzOff + batch * dzStride + pad(rnd), -1, 1);
        int aOff = off(rnd);
        float[] a = randomArray(rnd, aOff + batch * cols + pad(rnd), -1, 1);
        int gOff = off(rnd);
        int gbOff = gOff + rows * cols + rnd.nextInt(9);
        float[] g0 = randomArray(rnd, gbOff + rows + pad(rnd), -3, 3); // garbage: the kernel OVERWRITES
        float[] dzc = dz.clone();
        float[] ac = a.clone();
        float[] g = g0.clone();
        k.gemmWeightGradient(dz, dzOff, dzStride, batch, a, aOff, rows, cols, g, gOff, gbOff);
        assertArrayEquals(dzc, dz, shape + ": gemmWeightGradient changed dZ");
        assertArrayEquals(ac, a, shape + ": gemmWeightGradient changed A");
        double[] exact = new double[rows * cols + rows];
        double[] bound = new double[exact.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double sum = 0;
                double abs = 0;
                for (int b = 0; b < batch; b++) {
                    double t = (double) dz[dzOff + b * dzStride + r] * a[aOff + b * cols + c];
                    sum += t;
                    abs += Math.abs(t);
                }
                exact[r * cols + c] = sum;
                bound[r * cols + c] = gamma(batch + 4) * abs;
            }
            double sum = 0;
            double abs = 0;
            for (int b = 0; b < batch; b++) {
                sum += dz[dzOff + b * dzStride + r];
                abs += Math.abs(dz[dzOff + b * dzStride + r]);
            }
            exact[rows * cols + r] = sum;
            bound[rows * cols + r] = gamma(batch + 4) * abs;
        }
        assertRanges(shape + ": gemmWeightGradient G", g0, g, exact, bound, gOff, rows * cols, gbOff, rows);
    }

    /**
     * Row blocks: computing dW block by block from column blocks of dZ (as the engine's tasks do) gives
     * bit-identical results to one call over all rows, whatever the block boundaries.
     */
    @Test
    void weightGradientRowBlocksAreBitIdenticalToOneCall() {
        for (Kernels k : available()) {
            SplittableRandom rnd = new SplittableRandom(3);
            int rows = 37;
            int cols = 65;
            int batch = 19;
            float[] dz = randomArray(rnd, batch * rows, -1, 1);
            float[] a = randomArray(rnd, batch * cols, -1, 1);
            float[] once = new float[rows * cols + rows];
            k.gemmWeightGradient(dz, 0, rows, batch, a, 0, rows, cols, once, 0, rows * cols);
            for (int block : new int[] {4, 7, 16}) {
                float[] g = new float[rows * cols + rows];
                for (int r0 = 0; r0 < rows; r0 += block) {
                    int n = Math.min(block, rows - r0);
                    k.gemmWeightGradient(dz, r0, rows, batch, a, 0, n, cols, g, r0 * cols, rows * cols + r0);
                }
                assertArrayEquals(once, g, k.name() + ": row blocks of " + block);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // elementwise kernels: vector == scalar bit for bit, scalar == formulas
    // ---------------------------------------------------------------------------------------------------

    /** Lengths for the elementwise kernels: every edge size plus random ones. */
    static int[] lengths() {
        int[] extra = {0, 2, 4, 5, 32, 47, 48, 49, 1000, 4095, 4096, 4097, 9000};
        int[] out = Arrays.copyOf(EDGE, EDGE.length + extra.length);
        System.arraycopy(extra, 0, out, EDGE.length, extra.length);
        return out;
    }

    @Test
    void vectorActivationBackwardEqualsScalar() {
        Kernels v = vectorOrSkip();
        SplittableRandom rnd = new SplittableRandom(17);
        for (Activation act : Activation.values()) {
            if (act == Activation.SOFTMAX) {
                continue; // not elementwise; documented as not allowed
            }
            for (int len : lengths()) {
                int off = off(rnd);
                int total = off + len + pad(rnd);
                float[] z = randomArray(rnd, total, -4, 4);
                for (int i = 0; i < total; i += 5) {
                    z[i] = 0f; // derivative at 0 (ReLU: 0, leaky ReLU: slope)
                }
                float[] a = new float[total];
                float slope = 0.07f;
                for (int i = 0; i < total; i++) {
                    a[i] = ActivationMath.apply(act, z[i], slope);
                }
                float[] d0 = randomArray(rnd, total, -2, 2);
                float[] ds = d0.clone();
                float[] dv = d0.clone();
                scalar().activationBackward(act, slope, ds, z, a, off, len);
                v.activationBackward(act, slope, dv, z, a, off, len);
                String what = act + " len=" + len + " off=" + off;
                assertArrayEquals(ds, dv, what + ": vector != scalar");
                assertRanges(what, d0, dv, null, null, off, len);
                for (int i = off; i < off + len; i++) {
                    float expected = ActivationMath.backward(act, d0[i], z[i], a[i], slope);
                    assertEquals(expected, ds[i], 0f, what + " index " + i);
                }
            }
        }
    }

    @Test
    void scalarActivationBackwardMatchesDerivatives() {
        // ActivationMath.backward against central differences of ActivationMath.apply's formulas in double
        double[] zs = {-3.1, -1.2, -0.4, -0.01, 0.02, 0.3, 0.9, 1.7, 2.6};
        for (Activation act : Activation.values()) {
            if (act == Activation.SOFTMAX) {
                continue;
            }
            for (double zd : zs) {
                float z = (float) zd;
                float a = ActivationMath.apply(act, z, 0.1f);
                double h = 1e-3;
                double fd = (applyDouble(act, z + h) - applyDouble(act, z - h)) / (2 * h);
                float got = ActivationMath.backward(act, 1f, z, a, 0.1f);
                assertEquals(fd, got, 1e-5, act + " derivative at " + z);
            }
        }
        // kinks: PyTorch's choices (ReLU'(0) = 0, leaky ReLU'(0) = slope)
        assertEquals(0f, ActivationMath.backward(Activation.RELU, 1f, 0f, 0f, 0.1f), 0f, "ReLU derivative at 0");
        assertEquals(0.1f, ActivationMath.backward(Activation.LEAKY_RELU, 1f, 0f, 0f, 0.1f), 0f,
                "leaky ReLU derivative at 0");
    }

    private static double applyDouble(Activation act, double z) {
        switch (act) {
            case RELU:
                return Math.max(z, 0);
            case LEAKY_RELU:
                return z > 0 ? z : 0.1 * z;
            case SIGMOID:
                return 1 / (1 + Math.exp(-z));
            case TANH:
                return Math.tanh(z);
            case GELU:
                return z * 0.5 * (1 + ActivationMath.erf(z / Math.sqrt(2)));
            case GELU_TANH:
                return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
            default:
                return z;
        }
    }

    @Test
    void vectorUtilitiesEqualScalar() {
        Kernels v = vectorOrSkip();
        SplittableRandom rnd = new SplittableRandom(23);
        for (int len : lengths()) {
            int off = off(rnd);
            int total = off + len + pad(rnd);
            float[] dst0 = randomArray(rnd, total, -1, 1);
            float[] src = randomArray(rnd, total, -1, 1);
            float[] src0 = src.clone();
            float[] ds = dst0.clone();
            float[] dv = dst0.clone();
            scalar().add(ds, src, off, len);
            v.add(dv, src, off, len);
            assertArrayEquals(ds, dv, "add len=" + len);
            assertArrayEquals(src0, src, "add changed src");
            assertRanges("add len=" + len, dst0, dv, null, null, off, len);

            float s = (float) (rnd.nextDouble() * 4 - 2);
            ds = dst0.clone();
            dv = dst0.clone();
            scalar().scale(ds, off, len, s);
            v.scale(dv, off, len, s);
            assertArrayEquals(ds, dv, "scale len=" + len);
            assertRanges("scale len=" + len, dst0, dv, null, null, off, len);

            double exact = 0;
            for (int i = off; i < off + len; i++) {
                exact += (double) dst0[i] * dst0[i];
            }
            // all terms are >= 0, so sum|t| = the sum itself; blocks of 4096 bound the float chain length
            double bound = gamma(Math.min(len, 4096) + 2) * exact;
            float[] before = dst0.clone();
            assertEquals(exact, v.sumOfSquares(dst0, off, len), bound, "vector sumOfSquares len=" + len);
            assertEquals(exact, scalar().sumOfSquares(dst0, off, len), 1e-12 * exact, "scalar sumOfSquares len=" + len);
            assertArrayEquals(before, dst0, "sumOfSquares changed its input");
        }
        // no float overflow (Kernels contract): 1e20^2 = 1e40 > Float.MAX_VALUE, in whole vectors and in the tail
        float[] big = new float[101];
        Arrays.fill(big, 1e20f);
        big[100] = 3f;
        double expected = 100 * ((double) 1e20f * 1e20f) + 9;
        assertEquals(expected, v.sumOfSquares(big, 0, 101), 1e-6 * expected, "vector sumOfSquares of 1e20s");
        assertEquals(expected, scalar().sumOfSquares(big, 0, 101), 1e-12 * expected, "scalar sumOfSquares of 1e20s");
    }

    @Test
    void scalarUtilitiesMatchFormulas() {
        SplittableRandom rnd = new SplittableRandom(29);
        float[] dst = randomArray(rnd, 50, -1, 1);
        float[] src = randomArray(rnd, 50, -1, 1);
        float[] d0 = dst.clone();
        scalar().add(dst, src, 3, 40);
        for (int i = 0; i < 50; i++) {
            assertEquals(i >= 3 && i < 43 ? d0[i] + src[i] : d0[i], dst[i], 0f, "add index " + i);
        }
        float[] e = d0.clone();
        scalar().scale(e, 5, 10, -1.5f);
        for (int i = 0; i < 50; i++) {
            assertEquals(i >= 5 && i < 15 ? d0[i] * -1.5f : d0[i], e[i], 0f, "scale index " + i);
        }
        float[] big = {1e20f, 1e20f, 3f};
        assertEquals(2 * ((double) 1e20f * 1e20f) + 9, scalar().sumOfSquares(big, 0, 3), 1e26);
    }

    // ---- optimizers ---------------------------------------------------------------------------------

    /** State arrays for one optimizer test: p, g, buf, m, v, sq, ga (values in benign ranges). */
    private static float[][] optimizerArrays(SplittableRandom rnd, int total) {
        return new float[][] {
            randomArray(rnd, total, -1, 1), // p
            randomArray(rnd, total, -1, 1), // g
            randomArray(rnd, total, -1, 1), // momentum buffer
            randomArray(rnd, total, -0.1, 0.1), // m
            randomArray(rnd, total, 0, 0.01), // v (>= 0)
            randomArray(rnd, total, 0.01, 0.02), // square avg
            randomArray(rnd, total, -0.05, 0.05), // grad avg (centered: sq - ga^2 stays > 0)
        };
    }

    private static float[][] deepCopy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    interface OptimizerCall {
        void run(Kernels k, float[][] s, int off, int len);
    }

    /** Named optimizer configurations covering every branch of the three kernels. */
    static List<Object[]> optimizerConfigs() {
        List<Object[]> c = new ArrayList<>();
        // sgd(p, g, buf, off, len, lr, momentum, dampening, nesterov, weightDecay, firstStep)
        c.add(new Object[] {"sgd plain", (OptimizerCall) (k, s, o, n) ->
                k.sgd(s[0], s[1], null, o, n, 0.1f, 0f, 0f, false, 0f, false)});
        c.add(new Object[] {"sgd weight decay", (OptimizerCall) (k, s, o, n) ->
                k.sgd(s[0], s[1], null, o, n, 0.1f, 0f, 0f, false, 0.01f, false)});
        c.add(new Object[] {"sgd momentum first step", (OptimizerCall) (k, s, o, n) ->
                k.sgd(s[0], s[1], s[2], o, n, 0.1f, 0.9f, 0.1f, false, 0f, true)});
        c.add(new Object[] {"sgd momentum dampening", (OptimizerCall) (k, s, o, n) ->
                k.sgd(s[0], s[1], s[2], o, n, 0.1f, 0.9f, 0.1f, false, 0.001f, false)});
        c.add(new Object[] {"sgd nesterov first step", (OptimizerCall) (k, s, o, n) ->
                k.sgd(s[0], s[1], s[2], o, n, 0.05f, 0.8f, 0f, true, 0.001f, true)});
        c.add(new Object[] {"sgd nesterov", (OptimizerCall) (k, s, o, n) ->
                k.sgd(s[0], s[1], s[2], o, n, 0.05f, 0.8f, 0f, true, 0.001f, false)});
        // adam(p, g, m, v, off, len, b1, 1-b1, b2, 1-b2, eps, stepSize, bc2Sqrt, wd, decoupled, decayFactor)
        c.add(new Object[] {"adam", (OptimizerCall) (k, s, o, n) ->
                k.adam(s[0], s[1], s[3], s[4], o, n, 0.9f, 0.1f, 0.999f, 0.001f, 1e-8f, 0.01f / 0.19f,
                        (float) Math.sqrt(1 - 0.999 * 0.999), 0f, false, 1f)});
        c.add(new Object[] {"adam coupled L2", (OptimizerCall) (k, s, o, n) ->
                k.adam(s[0], s[1], s[3], s[4], o, n, 0.8f, 0.2f, 0.99f, 0.01f, 1e-6f, 0.005f,
                        0.3f, 0.01f, false, 1f)});
        c.add(new Object[] {"adamw decoupled", (OptimizerCall) (k, s, o, n) ->
                k.adam(s[0], s[1], s[3], s[4], o, n, 0.9f, 0.1f, 0.999f, 0.001f, 1e-8f, 0.01f,
                        0.05f, 0.1f, true, 1f - 0.01f * 0.1f)});
        // rmsprop(p, g, sq, ga, buf, off, len, lr, alpha, 1-alpha, eps, wd, momentum)
        c.add(new Object[] {"rmsprop plain", (OptimizerCall) (k, s, o, n) ->
                k.rmsprop(s[0], s[1], s[5], null, null, o, n, 0.001f, 0.99f, 0.01f, 1e-8f, 0f, 0f)});
        c.add(new Object[] {"rmsprop momentum", (OptimizerCall) (k, s, o, n) ->
                k.rmsprop(s[0], s[1], s[5], null, s[2], o, n, 0.001f, 0.9f, 0.1f, 1e-8f, 0.001f, 0.5f)});
        c.add(new Object[] {"rmsprop centered", (OptimizerCall) (k, s, o, n) ->
                k.rmsprop(s[0], s[1], s[5], s[6], null, o, n, 0.005f, 0.99f, 0.01f, 1e-8f, 0f, 0f)});
        c.add(new Object[] {"rmsprop centered momentum wd", (OptimizerCall) (k, s, o, n) ->
                k.rmsprop(s[0], s[1], s[5], s[6], s[2], o, n, 0.005f, 0.9f, 0.1f, 1e-8f, 0.001f, 0.5f)});
        return c;
    }

    @Test
    void vectorOptimizersEqualScalarBitForBit() {
        Kernels v = vectorOrSkip();
        SplittableRandom rnd = new SplittableRandom(31);
        for (Object[] cfg : optimizerConfigs()) {
            String name = (String) cfg[0];
            OptimizerCall call = (OptimizerCall) cfg[1];
            for (int len : lengths()) {
                int off = off(rnd);
                int total = off + len + pad(rnd);
                float[][] before = optimizerArrays(rnd, total);
                float[][] s = deepCopy(before);
                float[][] w = deepCopy(before);
                // two consecutive steps: the second sees state written by the first
                call.run(scalar(), s, off, len);
                call.run(v, w, off, len);
                call.run(scalar(), s, off, len);
                call.run(v, w, off, len);
                for (int i = 0; i < s.length; i++) {
                    String what = name + " len=" + len + " off=" + off + " array " + i;
                    for (int j = 0; j < total; j++) {
                        if (Float.floatToIntBits(s[i][j]) != Float.floatToIntBits(w[i][j])) {
                            fail(what + " index " + j + ": scalar " + s[i][j] + ", vector " + w[i][j] + " ("
                                    + Math.abs(s[i][j] - w[i][j]) / Math.ulp(s[i][j]) + " ulp)");
                        }
                    }
                    assertRanges(what, before[i], w[i], null, null, off, len);
                }
            }
        }
    }

    /**
     * Optimizer state never holds a subnormal float (ScalarKernels.flushSubnormal says why): state and
     * gradients mixed with subnormals, exact zeros and values a step or two above Float.MIN_NORMAL (a dead
     * unit's decaying momentum), on every kernel path, bit-identical between paths.
     */
    @Test
    void optimizerStateIsFlushedToZeroBelowMinNormal() {
        SplittableRandom rnd = new SplittableRandom(41);
        List<Object[]> configs = optimizerConfigs();
        // without weight decay a zero gradient leaves the momentum buffer nothing but its own decay
        configs.add(new Object[] {"sgd momentum no decay", (OptimizerCall) (k, s, o, n) ->
                k.sgd(s[0], s[1], s[2], o, n, 0.1f, 0.9f, 0f, false, 0f, false)});
        for (Object[] cfg : configs) {
            String name = (String) cfg[0];
            OptimizerCall call = (OptimizerCall) cfg[1];
            for (int len : lengths()) {
                int off = off(rnd);
                int total = off + len + pad(rnd);
                float[][] before = optimizerArrays(rnd, total);
                for (int j = 0; j < total; j++) {
                    int kind = rnd.nextInt(4);
                    for (int a = 1; a < before.length; a++) {
                        float tiny = switch (kind) {
                            case 0 -> Float.MIN_VALUE * (1 + rnd.nextInt(1000)); // subnormal
                            case 1 -> Float.MIN_NORMAL * (1 + rnd.nextFloat() * 0.2f); // underflows this step
                            case 2 -> 0f;
                            default -> before[a][j];
                        };
                        // squares (v, square avg) stay >= 0, and centered RMSprop keeps sq >= ga^2
                        before[a][j] = a == 4 || a == 5 ? Math.abs(tiny) : (rnd.nextBoolean() ? tiny : -tiny);
                    }
                    if (kind != 3) {
                        before[1][j] = 0f; // no gradient: the state only decays
                    }
                }
                float[][] reference = null;
                for (Kernels k : available()) {
                    float[][] s = deepCopy(before);
                    call.run(k, s, off, len);
                    call.run(k, s, off, len);
                    for (int a : stateArrays(name)) {
                        for (int j = off; j < off + len; j++) {
                            float x = s[a][j];
                            if (x != 0f && Math.abs(x) < Float.MIN_NORMAL) {
                                fail(name + " " + k.getClass().getSimpleName() + " len=" + len + ": state array "
                                        + a + " index " + j + " is subnormal: " + x);
                            }
                        }
                    }
                    if (reference == null) {
                        reference = s;
                    } else {
                        for (int a = 0; a < s.length; a++) {
                            for (int j = 0; j < total; j++) {
                                assertEquals(Float.floatToIntBits(reference[a][j]), Float.floatToIntBits(s[a][j]),
                                        name + " len=" + len + " array " + a + " index " + j + ": paths differ");
                            }
                        }
                    }
                }
            }
        }
    }

    /** The state arrays (indices into optimizerArrays) that a configuration of optimizerConfigs writes. */
    private static int[] stateArrays(String name) {
        if (name.startsWith("adam")) {
            return new int[] {3, 4};
        }
        if (name.startsWith("rmsprop")) {
            boolean centered = name.contains("centered");
            boolean momentum = name.contains("momentum");
            return centered && momentum ? new int[] {2, 5, 6} : centered ? new int[] {5, 6}
                    : momentum ? new int[] {2, 5} : new int[] {5};
        }
        return name.contains("momentum") || name.contains("nesterov") ? new int[] {2} : new int[0];
    }

    /** The scalar optimizer kernels against the torch.optim formulas (README) evaluated in double. */
    @Test
    void scalarOptimizersMatchDoubleFormulas() {
        SplittableRandom rnd = new SplittableRandom(37);
        int n = 200;
        float[][] s0 = optimizerArrays(rnd, n);
        for (Object[] cfg : optimizerConfigs()) {
            String name = (String) cfg[0];
            float[][] s = deepCopy(s0);
            ((OptimizerCall) cfg[1]).run(scalar(), s, 0, n);
            for (int i = 0; i < n; i++) {
                double[] e = expectedOptimizerStep(name, s0, i);
                // e = {p, buf, m, v, sq, ga} after one step; compare what this config touches
                assertClose(name + " p[" + i + "]", e[0], s[0][i], s0[0][i]);
                if (name.startsWith("sgd momentum") || name.startsWith("sgd nesterov") || name.equals("rmsprop momentum")
                        || name.equals("rmsprop centered momentum wd")) {
                    assertClose(name + " buf[" + i + "]", e[1], s[2][i], 0);
                } else {
                    assertEquals(s0[2][i], s[2][i], 0f, name + ": buf must be untouched");
                }
                if (name.startsWith("adam")) {
                    assertClose(name + " m[" + i + "]", e[2], s[3][i], 0);
                    assertClose(name + " v[" + i + "]", e[3], s[4][i], 0);
                }
                if (name.startsWith("rmsprop")) {
                    assertClose(name + " sq[" + i + "]", e[4], s[5][i], 0);
                }
                if (name.startsWith("rmsprop centered")) {
                    assertClose(name + " ga[" + i + "]", e[5], s[6][i], 0);
                }
            }
        }
    }

    private static void assertClose(String what, double expected, float got, double scale) {
        double tol = 1e-5 * (Math.abs(expected) + Math.abs(scale)) + 1e-9;
        assertEquals(expected, got, tol, what);
    }

    private static double[] expectedOptimizerStep(String name, float[][] s, int i) {
        double p = s[0][i];
        double g = s[1][i];
        double buf = s[2][i];
        double m = s[3][i];
        double v = s[4][i];
        double sq = s[5][i];
        double ga = s[6][i];
        switch (name) {
            case "sgd plain":
                return new double[] {p - 0.1 * g, buf, m, v, sq, ga};
            case "sgd weight decay":
                return new double[] {p - 0.1 * (g + 0.01 * p), buf, m, v, sq, ga};
            case "sgd momentum first step":
                return new double[] {p - 0.1 * g, g, m, v, sq, ga};
            case "sgd momentum dampening": {
                double gg = g + 0.001 * p;
                double b = 0.9 * buf + 0.9 * gg;
                return new double[] {p - 0.1 * b, b, m, v, sq, ga};
            }
            case "sgd nesterov first step": {
                double gg = g + 0.001 * p;
                return new double[] {p - 0.05 * (gg + 0.8 * gg), gg, m, v, sq, ga};
            }
            case "sgd nesterov": {
                double gg = g + 0.001 * p;
                double b = 0.8 * buf + gg;
                return new double[] {p - 0.05 * (gg + 0.8 * b), b, m, v, sq, ga};
            }
            case "adam": {
                double mm = 0.9 * m + 0.1 * g;
                double vv = 0.999 * v + 0.001 * g * g;
                double denom = Math.sqrt(vv) / Math.sqrt(1 - 0.999 * 0.999) + 1e-8;
                return new double[] {p - (0.01 / 0.19) * mm / denom, buf, mm, vv, sq, ga};
            }
            case "adam coupled L2": {
                double gg = g + 0.01 * p;
                double mm = 0.8 * m + 0.2 * gg;
                double vv = 0.99 * v + 0.01 * gg * gg;
                double denom = Math.sqrt(vv) / 0.3 + 1e-6;
                return new double[] {p - 0.005 * mm / denom, buf, mm, vv, sq, ga};
            }
            case "adamw decoupled": {
                double pp = p * (1 - 0.01 * 0.1);
                double mm = 0.9 * m + 0.1 * g;
                double vv = 0.999 * v + 0.001 * g * g;
                double denom = Math.sqrt(vv) / 0.05 + 1e-8;
                return new double[] {pp - 0.01 * mm / denom, buf, mm, vv, sq, ga};
            }
            case "rmsprop plain": {
                double ss = 0.99 * sq + 0.01 * g * g;
                return new double[] {p - 0.001 * g / (Math.sqrt(ss) + 1e-8), buf, m, v, ss, ga};
            }
            case "rmsprop momentum": {
                double gg = g + 0.001 * p;
                double ss = 0.9 * sq + 0.1 * gg * gg;
                double b = 0.5 * buf + gg / (Math.sqrt(ss) + 1e-8);
                return new double[] {p - 0.001 * b, b, m, v, ss, ga};
            }
            case "rmsprop centered": {
                double ss = 0.99 * sq + 0.01 * g * g;
                double mean = 0.99 * ga + 0.01 * g;
                return new double[] {p - 0.005 * g / (Math.sqrt(ss - mean * mean) + 1e-8), buf, m, v, ss, mean};
            }
            case "rmsprop centered momentum wd": {
                double gg = g + 0.001 * p;
                double ss = 0.9 * sq + 0.1 * gg * gg;
                double mean = 0.9 * ga + 0.1 * gg;
                double b = 0.5 * buf + gg / (Math.sqrt(ss - mean * mean) + 1e-8);
                return new double[] {p - 0.005 * b, b, m, v, ss, mean};
            }
            default:
                throw new AssertionError(name);
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // ActivationMath
    // ---------------------------------------------------------------------------------------------------

    @Test
    void erfMatchesKnownValues() {
        double[][] known = {
            {0.0, 0.0},
            {0.5, 0.5204998778130465},
            {1.0, 0.8427007929497149},
            {2.0, 0.9953222650189527},
            {3.0, 0.9999779095030014},
            {-0.3, -0.3286267594591274}, // (math.erf; the 0.32862675945911... often quoted is off by 1.6e-14)
            {5.0, 0.9999999999984626},
            // either side of the series / continued-fraction switch at 2.5, and the 6.5 cut-off
            {2.4, 0.999311486103355},
            {2.49, 0.9995707121322661},
            {2.51, 0.9996142945182758},
            {2.5, 0.999593047982555},
            {-2.6, -0.9997639655834707},
            {6.0, 1.0},
            {7.0, 1.0},
            {-7.0, -1.0},
        };
        for (double[] k : known) {
            assertEquals(k[1], ActivationMath.erf(k[0]), 1e-12, "erf(" + k[0] + ")");
        }
        assertTrue(ActivationMath.erf(1e-10) > 0, "erf of a tiny positive number is positive");
        assertEquals(-ActivationMath.erf(1.3), ActivationMath.erf(-1.3), 0.0, "erf is odd");
    }

    @Test
    void softmaxAndSigmoidMatchDouble() {
        float[] v = {0f, 1.5f, -2f, 3f, 88f, 89f, -100f};
        double max = 89;
        double sum = 0;
        for (float x : v) {
            sum += Math.exp(x - max);
        }
        float[] w = new float[v.length + 2];
        System.arraycopy(v, 0, w, 1, v.length);
        ActivationMath.softmaxInPlace(w, 1, v.length);
        assertEquals(0f, w[0], 0f);
        assertEquals(0f, w[w.length - 1], 0f);
        for (int i = 0; i < v.length; i++) {
            assertEquals(Math.exp(v[i] - max) / sum, w[i + 1], 1e-6 * Math.exp(v[i] - max) / sum + 1e-45,
                    "softmax " + i);
        }
        assertEquals(1 / (1 + Math.exp(-0.7)), ActivationMath.sigmoid(0.7f), 1e-7);
        assertEquals(0f, ActivationMath.sigmoid(-200f), 1e-30);
        assertEquals(1f, ActivationMath.sigmoid(200f), 0f);
    }
}
