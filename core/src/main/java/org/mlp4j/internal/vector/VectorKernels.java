package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.mlp4j.Activation;
import org.mlp4j.internal.kernel.ActivationMath;
import org.mlp4j.internal.kernel.Kernels;
import org.mlp4j.internal.kernel.ScalarKernels;

/**
 * Vector API kernels. The only package that imports {@code jdk.incubator.vector}; loaded by name from
 * {@link org.mlp4j.internal.kernel.KernelProvider} so that mlp4j still works without the module.
 *
 * <p>The facade on top of the package, which is layered without cycles: {@link VectorShape} (species, lanes)
 * and {@link VectorOps} (elementwise helpers) at the bottom; the GEMMs above them; this class on top. All
 * matrix work is in broadcast form, {@code C[i, j..j+V] += L(i,k) * R[k, j..j+V]}: R rows are contiguous, L
 * values are broadcast, results stay in registers with no horizontal reduction, and every output element is
 * one FMA chain over k in order, as in {@link ScalarKernels}:
 * <ul>
 * <li>forward: {@link PackedGemm} over weights packed into k-major panels ({@link #packWeights});</li>
 * <li>backward: {@link BroadcastGemm}, which serves both {@code dA = dZ W} and {@code dW = dZ^T A} through
 * the strides of L.</li>
 * </ul>
 */
public final class VectorKernels implements Kernels {

    /** The one instance, loaded by name from {@code KernelProvider}. */
    public static final VectorKernels INSTANCE = new VectorKernels();

    private VectorKernels() {
        if (SPECIES.vectorBitSize() < 128) {
            throw new UnsupportedOperationException("preferred vector size is only " + SPECIES.vectorBitSize() + " bits");
        }
    }

    @Override
    public String name() {
        return "vector-" + SPECIES.vectorBitSize();
    }

    // ================================================================================================
    // single sample
    // ================================================================================================






    @Override
    public void denseBackwardInput(float[] w, int wOff, int rows, int cols, float[] delta, int deltaOff,
                                   float[] dx, int dxOff) {
        // dx = sum_r delta[r] * W[r,:] : row-wise AXPY, so every access stays row-major.
        broadcastGemm(1, cols, rows, delta, deltaOff, 0, 1, w, wOff, cols, dx, dxOff, cols, false);
    }

    @Override
    public void accumulateOuterProduct(float[] g, int gOff, int gbOff, int rows, int cols, float[] delta,
                                       int deltaOff, float[] x, int xOff) {
        int bound = SPECIES.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            float d = delta[deltaOff + r];
            FloatVector dv = FloatVector.broadcast(SPECIES, d);
            int row = gOff + r * cols;
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + c);
                xv.fma(dv, FloatVector.fromArray(SPECIES, g, row + c)).intoArray(g, row + c);
            }
            for (; c < cols; c++) {
                g[row + c] = Math.fma(x[xOff + c], d, g[row + c]);
            }
            g[gbOff + r] += d;
        }
    }

    // ================================================================================================
    // mini-batch
    // ================================================================================================

    @Override
    public int packedWeightsLength(int rows, int cols) {
        return PackedGemm.packedLength(rows, cols);
    }

    @Override
    public void packWeights(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff) {
        PackedGemm.pack(w, wOff, bOff, rows, cols, dst, dstOff, 0, rows);
    }

    @Override
    public int packedRowGroup(int rows) {
        return NarrowGemm.narrow(rows) ? 1 : PackedGemm.panelWidth(rows);
    }

    @Override
    public void packWeightRows(float[] w, int wOff, int bOff, int rows, int cols, float[] dst, int dstOff,
                               int rowFrom, int rowTo) {
        PackedGemm.pack(w, wOff, bOff, rows, cols, dst, dstOff, rowFrom, rowTo);
    }

    @Override
    public void gemmForwardPacked(float[] a, int aOff, int batch, float[] packed, int pOff, int rows, int cols,
                                  float[] z, int zOff, float[] act, int actOff, Activation activation, float slope) {
        PackedGemm.forward(a, aOff, batch, packed, pOff, rows, cols, z, zOff, act, actOff, activation, slope);
    }

    @Override
    public Object alignedPackedCopy(float[] packed) {
        return AlignedPanels.copyOf(packed);
    }

    @Override
    public Object alignedPackedCopyInto(float[] packed, Object copy) {
        return AlignedPanels.copyInto(packed, copy);
    }

    @Override
    public void gemmForwardPackedOne(float[] a, int aOff, Object aligned, float[] packed, int pOff, int rows,
                                     int cols, float[] act, int actOff, Activation activation, float slope) {
        if (aligned == null) {
            PackedGemm.forward(a, aOff, 1, packed, pOff, rows, cols, null, 0, act, actOff, activation, slope);
        } else {
            PackedGemm.forwardOneAligned(a, aOff, aligned, packed, pOff, rows, cols, act, actOff, activation, slope);
        }
    }

    @Override
    public Object alignedPackedCopyBf16(short[] packed) {
        return AlignedPanels.copyOf(packed);
    }

    @Override
    public void gemmForwardPackedBf16One(float[] a, int aOff, Object aligned, short[] packed, int pOff,
                                         float[] bias, int biasOff, int rows, int cols, float[] act, int actOff,
                                         Activation activation, float slope) {
        if (aligned == null) {
            PackedGemmBf16.forward(a, aOff, 1, packed, pOff, bias, biasOff, rows, cols, null, 0, act, actOff,
                    activation, slope);
        } else {
            PackedGemmBf16.forwardOneAligned(a, aOff, aligned, packed, pOff, bias, biasOff, rows, cols, act, actOff,
                    activation, slope);
        }
    }

    @Override
    public int packedBf16Length(int rows, int cols) {
        return PackedGemmBf16.packedLength(rows, cols);
    }

    @Override
    public int packedBf16BiasLength(int rows) {
        return PackedGemmBf16.biasLength(rows);
    }

    @Override
    public void packWeightsBf16(float[] w, int wOff, int bOff, int rows, int cols, short[] dst, int dstOff,
                                float[] bias, int biasOff) {
        PackedGemmBf16.pack(w, wOff, bOff, rows, cols, dst, dstOff, bias, biasOff);
    }

    @Override
    public void gemmForwardPackedBf16(float[] a, int aOff, int batch, short[] packed, int pOff, float[] bias,
                                      int biasOff, int rows, int cols, float[] z, int zOff, float[] act, int actOff,
                                      Activation activation, float slope) {
        PackedGemmBf16.forward(a, aOff, batch, packed, pOff, bias, biasOff, rows, cols, z, zOff, act, actOff,
                activation, slope);
    }


    @Override
    public void gemmBackwardInput(float[] dz, int dzOff, int batch, float[] w, int wOff, int rows, int cols,
                                  float[] da, int daOff) {
        // dA[b, c] = sum_r dZ[b, r] W[r, c]: L = dZ with (i = b) stride rows, (k = r) stride 1.
        broadcastGemm(batch, cols, rows, dz, dzOff, rows, 1, w, wOff, cols, da, daOff, cols, false);
    }

    @Override
    public void gemmWeightGradient(float[] dz, int dzOff, int dzStride, int batch, float[] a, int aOff, int rows,
                                   int cols, float[] g, int gOff, int gbOff) {
        // G[r, c] = sum_b dZ[b, r] A[b, c]: L = dZ^T read in place, (i = r) stride 1, (k = b) stride dzStride.
        broadcastGemm(rows, cols, batch, dz, dzOff, 1, dzStride, a, aOff, cols, g, gOff, cols, false);
        if (rows < LANES) {
            narrowBiasGradient(dz, dzOff, dzStride, batch, rows, g, gbOff);
            return;
        }
        java.util.Arrays.fill(g, gbOff, gbOff + rows, 0f);
        for (int b = 0; b < batch; b++) {
            VectorOps.add(g, gbOff, dz, dzOff + b * dzStride, rows);
        }
    }

    /**
     * {@code g[gbOff + r] = sum_b dZ[b, r]} (from 0, b in order: the bits of the loop above) for layers narrower
     * than a vector, four rows at a time in registers. Through {@code VectorOps.add}'s scalar tail the 128x10
     * layer's bias took 0.93 us at B = 128 beside 3.5 us for its weights (Zen 4, JDK 17, 2026-12-06).
     */
    private static void narrowBiasGradient(float[] dz, int dzOff, int dzStride, int batch, int rows, float[] g,
                                           int gbOff) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int b = 0, i = dzOff + r; b < batch; b++, i += dzStride) {
                s0 += dz[i];
                s1 += dz[i + 1];
                s2 += dz[i + 2];
                s3 += dz[i + 3];
            }
            g[gbOff + r] = s0;
            g[gbOff + r + 1] = s1;
            g[gbOff + r + 2] = s2;
            g[gbOff + r + 3] = s3;
        }
        for (; r < rows; r++) {
            float s = 0f;
            for (int b = 0, i = dzOff + r; b < batch; b++, i += dzStride) {
                s += dz[i];
            }
            g[gbOff + r] = s;
        }
    }

    /**
     * {@code C[i, j] (+)= sum_k L[lOff + i*lsi + k*lsk] * R[rOff + k*rStride + j]} for i < m, j < n, k < kk.
     * With {@code accumulate == false} C is overwritten.
     */
    static void broadcastGemm(int m, int n, int kk, float[] l, int lOff, int lsi, int lsk,
                              float[] rm, int rOff, int rStride, float[] c, int cOff, int cStride,
                              boolean accumulate) {
        BroadcastGemm.run(m, n, kk, l, lOff, lsi, lsk, rm, rOff, rStride, c, cOff, cStride, accumulate);
    }

    @Override
    public void activationBackward(Activation act, float slope, float[] d, float[] z, float[] a, int off, int len) {
        int end = off + len;
        int i = off;
        switch (act) {
            case IDENTITY:
                return;
            case RELU: // dy where a > 0, else 0 (PyTorch: derivative at 0 is 0)
                for (; i + LANES <= end; i += LANES) {
                    FloatVector av = FloatVector.fromArray(SPECIES, a, i);
                    FloatVector.fromArray(SPECIES, d, i).blend(0f, av.compare(VectorOperators.LE, 0f)).intoArray(d, i);
                }
                break;
            case LEAKY_RELU: // dy where z > 0, else slope * dy
                for (; i + LANES <= end; i += LANES) {
                    FloatVector dv = FloatVector.fromArray(SPECIES, d, i);
                    FloatVector zv = FloatVector.fromArray(SPECIES, z, i);
                    dv.blend(dv.mul(slope), zv.compare(VectorOperators.LE, 0f)).intoArray(d, i);
                }
                break;
            case SIGMOID: // dy * a * (1 - a)
                for (; i + LANES <= end; i += LANES) {
                    FloatVector av = FloatVector.fromArray(SPECIES, a, i);
                    FloatVector.fromArray(SPECIES, d, i).mul(av).mul(av.neg().add(1f)).intoArray(d, i);
                }
                break;
            case TANH: // dy * (1 - a * a)
                for (; i + LANES <= end; i += LANES) {
                    FloatVector av = FloatVector.fromArray(SPECIES, a, i);
                    FloatVector.fromArray(SPECIES, d, i).mul(av.mul(av).neg().add(1f)).intoArray(d, i);
                }
                break;
            default:
                break; // GELU variants: transcendental, done by the shared scalar code below
        }
        for (; i < end; i++) {
            d[i] = ActivationMath.backward(act, d[i], z[i], a[i], slope);
        }
    }

    // ================================================================================================
    // vector utilities
    // ================================================================================================

    @Override
    public void add(float[] dst, float[] src, int off, int len) {
        int end = off + len;
        int i = off;
        for (; i + LANES <= end; i += LANES) {
            FloatVector.fromArray(SPECIES, dst, i).add(FloatVector.fromArray(SPECIES, src, i)).intoArray(dst, i);
        }
        for (; i < end; i++) {
            dst[i] += src[i];
        }
    }

    @Override
    public void scale(float[] a, int off, int len, float s) {
        int end = off + len;
        int i = off;
        for (; i + LANES <= end; i += LANES) {
            FloatVector.fromArray(SPECIES, a, i).mul(s).intoArray(a, i);
        }
        for (; i < end; i++) {
            a[i] *= s;
        }
    }

    @Override
    public boolean allFinite(float[] a, int off, int len) {
        // x * 0 is 0 for every finite x and NaN for NaN or infinity, so the sum stays 0 exactly when all
        // values are finite: one branch-free multiply-add per vector.
        FloatVector acc = FloatVector.zero(SPECIES);
        int end = off + len;
        int i = off;
        for (; i + LANES <= end; i += LANES) {
            acc = acc.add(FloatVector.fromArray(SPECIES, a, i).mul(0f));
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            sum += a[i] * 0f;
        }
        return sum == 0f;
    }

    @Override
    public double sumOfSquares(float[] a, int off, int len) {
        // Float lanes per block of 4096 elements, then double: no overflow for any finite gradient scale
        // that matters, and no loss of small terms against a huge running sum.
        double total = 0;
        int end = off + len;
        int i = off;
        while (i + LANES <= end) {
            int blockStart = i;
            int blockEnd = Math.min(end, i + 4096);
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; i + LANES <= blockEnd; i += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, a, i);
                acc = v.fma(v, acc);
            }
            float block = VectorOps.sumLanesInOrder(acc);
            if (Float.isFinite(block)) {
                total += block;
            } else { // squares beyond Float.MAX_VALUE (|a| > ~1.8e19): redo this block in double
                for (int j = blockStart; j < i; j++) {
                    total += (double) a[j] * a[j];
                }
            }
        }
        for (; i < end; i++) {
            total += (double) a[i] * a[i];
        }
        return total;
    }

    // ================================================================================================
    // optimizers (same operation order as ScalarKernels, so both paths round identically)
    // ================================================================================================

    /** {@link ScalarKernels#flushSubnormal} on every lane (optimizer state only; see there why). */
    private static FloatVector flushSubnormal(FloatVector x) {
        return x.blend(0f, x.abs().lt(Float.MIN_NORMAL));
    }

    @Override
    public void sgd(float[] p, float[] g, float[] buf, int off, int len, float lr, float momentum, float dampening,
                    boolean nesterov, float weightDecay, boolean firstStep) {
        float oneMinusDampening = 1f - dampening;
        int end = off + len;
        int i = off;
        for (; i + LANES <= end; i += LANES) {
            FloatVector pv = FloatVector.fromArray(SPECIES, p, i);
            FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
            if (weightDecay != 0f) {
                gv = gv.add(pv.mul(weightDecay));
            }
            if (momentum != 0f) {
                FloatVector b = flushSubnormal(firstStep ? gv
                        : FloatVector.fromArray(SPECIES, buf, i).mul(momentum).add(gv.mul(oneMinusDampening)));
                b.intoArray(buf, i);
                gv = nesterov ? gv.add(b.mul(momentum)) : b;
            }
            pv.sub(gv.mul(lr)).intoArray(p, i);
        }
        for (; i < end; i++) {
            p[i] = ScalarKernels.sgdElement(p, g, buf, i, lr, momentum, oneMinusDampening, nesterov, weightDecay,
                    firstStep);
        }
    }

    @Override
    public void adam(float[] p, float[] g, float[] m, float[] v, int off, int len, float beta1, float oneMinusBeta1,
                     float beta2, float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt, float weightDecay,
                     boolean decoupled, float decayFactor) {
        int end = off + len;
        int i = off;
        for (; i + LANES <= end; i += LANES) {
            FloatVector pv = FloatVector.fromArray(SPECIES, p, i);
            FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
            if (decoupled) {
                pv = pv.mul(decayFactor);
            } else if (weightDecay != 0f) {
                gv = gv.add(pv.mul(weightDecay));
            }
            FloatVector mv = flushSubnormal(FloatVector.fromArray(SPECIES, m, i).mul(beta1).add(gv.mul(oneMinusBeta1)));
            FloatVector vv = flushSubnormal(
                    FloatVector.fromArray(SPECIES, v, i).mul(beta2).add(gv.mul(oneMinusBeta2).mul(gv)));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            FloatVector denom = vv.sqrt().div(bc2Sqrt).add(eps);
            pv.sub(mv.div(denom).mul(stepSize)).intoArray(p, i);
        }
        for (; i < end; i++) {
            p[i] = ScalarKernels.adamElement(p, g, m, v, i, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize,
                    bc2Sqrt, weightDecay, decoupled, decayFactor);
        }
    }

    @Override
    public void rmsprop(float[] p, float[] g, float[] sq, float[] ga, float[] buf, int off, int len, float lr,
                        float alpha, float oneMinusAlpha, float eps, float weightDecay, float momentum) {
        int end = off + len;
        int i = off;
        for (; i + LANES <= end; i += LANES) {
            FloatVector pv = FloatVector.fromArray(SPECIES, p, i);
            FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
            if (weightDecay != 0f) {
                gv = gv.add(pv.mul(weightDecay));
            }
            FloatVector s = flushSubnormal(
                    FloatVector.fromArray(SPECIES, sq, i).mul(alpha).add(gv.mul(oneMinusAlpha).mul(gv)));
            s.intoArray(sq, i);
            FloatVector avg;
            if (ga != null) {
                FloatVector mean = flushSubnormal(
                        FloatVector.fromArray(SPECIES, ga, i).mul(alpha).add(gv.mul(oneMinusAlpha)));
                mean.intoArray(ga, i);
                avg = s.sub(mean.mul(mean)).sqrt().add(eps);
            } else {
                avg = s.sqrt().add(eps);
            }
            if (momentum > 0f) {
                FloatVector b = flushSubnormal(FloatVector.fromArray(SPECIES, buf, i).mul(momentum).add(gv.div(avg)));
                b.intoArray(buf, i);
                pv.sub(b.mul(lr)).intoArray(p, i);
            } else {
                pv.sub(gv.div(avg).mul(lr)).intoArray(p, i);
            }
        }
        for (; i < end; i++) {
            p[i] = ScalarKernels.rmspropElement(p, g, sq, ga, buf, i, lr, alpha, oneMinusAlpha, eps, weightDecay,
                    momentum);
        }
    }
}
