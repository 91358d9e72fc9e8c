package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;
import org.mlp4j.Activation;

/**
 * Batched dense forward in dot form, {@code Z[b,r] = bias[r] + sum_k A[b,k] W[r,k]}, with the activation
 * applied in the epilogue. Micro-kernel: 4 samples x 3 weight rows = 12 vector accumulators along k, so
 * each iteration loads 7 vectors for 12 FMAs.
 */
final class GemmForward {
    private static final int MR = 4; // samples per block
    private static final int NR = 3; // weight rows per block

    private GemmForward() {
    }

    static void run(float[] a, int aOff, int batch, float[] w, int wOff, int bOff, int rows, int cols,
                    float[] z, int zOff, float[] act, int actOff, Activation activation, float slope) {
        // The blocks write pre-activations (bias included); one vectorised sweep then applies the activation
        // to the whole [batch][rows] result while it is still in cache.
        float[] pre = z != null ? z : act;
        int preOff = z != null ? zOff : actOff;
        blocks(a, aOff, batch, w, wOff, bOff, rows, cols, pre, preOff);
        VectorOps.activationForward(activation, slope, pre, preOff, act, actOff, batch * rows);
    }

    private static void blocks(float[] a, int aOff, int batch, float[] w, int wOff, int bOff, int rows, int cols,
                               float[] z, int zOff) {
        // Sample groups outermost: the group's four input rows stay in L1 while the weights stream past
        // them from L2 (measured ~3% faster per training step than weight rows outermost).
        int b = 0;
        for (; b + MR <= batch; b += MR) {
            int r = 0;
            for (; r + NR <= rows; r += NR) {
                block4x3(a, aOff + b * cols, w, wOff + r * cols, cols, b, r, bOff, rows, z, zOff);
            }
            for (; r < rows; r++) {
                for (int bb = b; bb < b + MR; bb++) {
                    single(a, aOff, w, wOff, bOff, rows, cols, bb, r, z, zOff);
                }
            }
        }
        for (; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                single(a, aOff, w, wOff, bOff, rows, cols, b, r, z, zOff);
            }
        }
    }

    private static void single(float[] a, int aOff, float[] w, int wOff, int bOff, int rows, int cols, int b, int r,
                               float[] z, int zOff) {
        z[zOff + b * rows + r] = VectorOps.dot(w, wOff + r * cols, a, aOff + b * cols, cols) + w[bOff + r];
    }

    /** The 4 x 3 micro-kernel: samples b..b+3 (rows of A at a0) times weight rows r..r+2 (at w0). */
    private static void block4x3(float[] a, int a0, float[] w, int w0, int cols, int b, int r, int bOff, int rows,
                                 float[] z, int zOff) {
        int a1 = a0 + cols;
        int a2 = a1 + cols;
        int a3 = a2 + cols;
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = FloatVector.zero(SPECIES);
        FloatVector c02 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES);
        FloatVector c11 = FloatVector.zero(SPECIES);
        FloatVector c12 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES);
        FloatVector c21 = FloatVector.zero(SPECIES);
        FloatVector c22 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES);
        FloatVector c31 = FloatVector.zero(SPECIES);
        FloatVector c32 = FloatVector.zero(SPECIES);
        int bound = SPECIES.loopBound(cols);
        int k = 0;
        for (; k < bound; k += LANES) {
            FloatVector w0v = FloatVector.fromArray(SPECIES, w, w0 + k);
            FloatVector w1v = FloatVector.fromArray(SPECIES, w, w1 + k);
            FloatVector w2v = FloatVector.fromArray(SPECIES, w, w2 + k);
            FloatVector av = FloatVector.fromArray(SPECIES, a, a0 + k);
            c00 = av.fma(w0v, c00);
            c01 = av.fma(w1v, c01);
            c02 = av.fma(w2v, c02);
            av = FloatVector.fromArray(SPECIES, a, a1 + k);
            c10 = av.fma(w0v, c10);
            c11 = av.fma(w1v, c11);
            c12 = av.fma(w2v, c12);
            av = FloatVector.fromArray(SPECIES, a, a2 + k);
            c20 = av.fma(w0v, c20);
            c21 = av.fma(w1v, c21);
            c22 = av.fma(w2v, c22);
            av = FloatVector.fromArray(SPECIES, a, a3 + k);
            c30 = av.fma(w0v, c30);
            c31 = av.fma(w1v, c31);
            c32 = av.fma(w2v, c32);
        }
        float s00 = VectorOps.sumLanesInOrder(c00);
        float s01 = VectorOps.sumLanesInOrder(c01);
        float s02 = VectorOps.sumLanesInOrder(c02);
        float s10 = VectorOps.sumLanesInOrder(c10);
        float s11 = VectorOps.sumLanesInOrder(c11);
        float s12 = VectorOps.sumLanesInOrder(c12);
        float s20 = VectorOps.sumLanesInOrder(c20);
        float s21 = VectorOps.sumLanesInOrder(c21);
        float s22 = VectorOps.sumLanesInOrder(c22);
        float s30 = VectorOps.sumLanesInOrder(c30);
        float s31 = VectorOps.sumLanesInOrder(c31);
        float s32 = VectorOps.sumLanesInOrder(c32);
        for (; k < cols; k++) { // column tail, outside the vector loop
            float x0 = w[w0 + k];
            float x1 = w[w1 + k];
            float x2 = w[w2 + k];
            float v0 = a[a0 + k];
            float v1 = a[a1 + k];
            float v2 = a[a2 + k];
            float v3 = a[a3 + k];
            s00 += v0 * x0;
            s01 += v0 * x1;
            s02 += v0 * x2;
            s10 += v1 * x0;
            s11 += v1 * x1;
            s12 += v1 * x2;
            s20 += v2 * x0;
            s21 += v2 * x1;
            s22 += v2 * x2;
            s30 += v3 * x0;
            s31 += v3 * x1;
            s32 += v3 * x2;
        }
        float bias0 = w[bOff + r];
        float bias1 = w[bOff + r + 1];
        float bias2 = w[bOff + r + 2];
        int o = b * rows + r;
        z[zOff + o] = s00 + bias0;
        z[zOff + o + 1] = s01 + bias1;
        z[zOff + o + 2] = s02 + bias2;
        o += rows;
        z[zOff + o] = s10 + bias0;
        z[zOff + o + 1] = s11 + bias1;
        z[zOff + o + 2] = s12 + bias2;
        o += rows;
        z[zOff + o] = s20 + bias0;
        z[zOff + o + 1] = s21 + bias1;
        z[zOff + o + 2] = s22 + bias2;
        o += rows;
        z[zOff + o] = s30 + bias0;
        z[zOff + o + 1] = s31 + bias1;
        z[zOff + o + 2] = s32 + bias2;
    }
}
