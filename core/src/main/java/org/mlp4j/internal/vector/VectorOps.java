package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import org.mlp4j.Activation;
import org.mlp4j.internal.kernel.ActivationMath;

/**
 * Small elementwise vector operations shared by the GEMMs and the {@link VectorKernels} facade. Depends only on
 * {@link VectorShape}.
 */
final class VectorOps {
    private VectorOps() {
    }

    /**
     * {@code dst[i] = act(src[i])} over {@code len} elements (src may equal dst): vector code for the
     * piecewise-linear activations, the shared scalar code for the transcendental ones.
     */
    static void activationForward(Activation act, float slope, float[] src, int srcOff, float[] dst, int dstOff,
                                  int len) {
        int i = 0;
        int bound = SPECIES.loopBound(len);
        switch (act) {
            case RELU:
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(SPECIES, src, srcOff + i).max(0f).intoArray(dst, dstOff + i);
                }
                break;
            case LEAKY_RELU:
                for (; i < bound; i += LANES) {
                    FloatVector v = FloatVector.fromArray(SPECIES, src, srcOff + i);
                    v.blend(v.mul(slope), v.compare(VectorOperators.LE, 0f)).intoArray(dst, dstOff + i);
                }
                break;
            case SIGMOID:
                sigmoid(src, srcOff, dst, dstOff, bound);
                i = bound;
                break;
            case IDENTITY:
            case SOFTMAX:
                if (src != dst || srcOff != dstOff) {
                    System.arraycopy(src, srcOff, dst, dstOff, len);
                }
                return;
            default:
                break;
        }
        for (; i < len; i++) {
            dst[dstOff + i] = ActivationMath.apply(act, src[srcOff + i], slope);
        }
    }

    /**
     * {@link ActivationMath#sigmoid} lane by lane over {@code len} (a multiple of LANES) elements: the same float
     * operations in the same order. Loads and stores are inside, so no vector crosses a method boundary (a
     * vector argument or result of a call C2 leaves out of line is boxed).
     */
    private static void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int len) {
        FloatVector ln2Hi = FloatVector.broadcast(SPECIES, -ActivationMath.LN2_HI);
        FloatVector ln2Lo = FloatVector.broadcast(SPECIES, -ActivationMath.LN2_LO);
        FloatVector p2 = FloatVector.broadcast(SPECIES, ActivationMath.EXP_P2);
        FloatVector p3 = FloatVector.broadcast(SPECIES, ActivationMath.EXP_P3);
        FloatVector p4 = FloatVector.broadcast(SPECIES, ActivationMath.EXP_P4);
        FloatVector p5 = FloatVector.broadcast(SPECIES, ActivationMath.EXP_P5);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        for (int i = 0; i < len; i += LANES) {
            FloatVector z = FloatVector.fromArray(SPECIES, src, srcOff + i);
            FloatVector x = z.abs().neg().max(ActivationMath.EXP_MIN);
            FloatVector f = x.fma(ActivationMath.LOG2E, ActivationMath.EXP_ROUND);
            FloatVector n = f.sub(ActivationMath.EXP_ROUND);
            IntVector ni = f.reinterpretAsInts().sub(ActivationMath.EXP_ROUND_BITS);
            FloatVector r = n.fma(ln2Hi, x);
            r = n.fma(ln2Lo, r);
            FloatVector p = r.fma(ActivationMath.EXP_P0, ActivationMath.EXP_P1); // EXP_P0 * r + EXP_P1
            p = p.fma(r, p2);
            p = p.fma(r, p3);
            p = p.fma(r, p4);
            p = p.fma(r, p5);
            p = p.fma(r.mul(r), r.add(1f));
            IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
            FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector t = p.mul(s1).mul(s2);
            FloatVector num = one.blend(t, z.compare(VectorOperators.LT, 0f));
            num.div(t.add(1f)).intoArray(dst, dstOff + i);
        }
    }

    /**
     * The lanes of {@code v} summed in lane order, {@code ((v0 + v1) + v2) + ...}. Unlike
     * {@code reduceLanes(ADD)}, whose order is unspecified and differs between the interpreter, C1 and C2, this
     * gives the same bits in every JIT tier.
     */
    static float sumLanesInOrder(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < LANES; i++) {
            s += v.lane(i);
        }
        return s;
    }

    /**
     * Strided copies ({@link PackedGemm#pack}, the transposed copy of {@link BroadcastGemm}) gather a vector of
     * {@code src[s], src[s + stride], ...} instead of moving one float at a time. At 512 bits and 256 (AVX2 and
     * AVX-512 have gather instructions) only; 128-bit shapes keep the scalar loops.
     */
    static final boolean GATHER_COPIES = LANES >= 8
            && Boolean.parseBoolean(System.getProperty("mlp4j.gatherCopies", "true"));

    private static final ThreadLocal<int[]> STRIDE_MAP = ThreadLocal.withInitial(() -> new int[LANES]);

    /** This thread's gather index map {@code {0, stride, 2 * stride, ...}} ({@code LANES} entries). */
    static int[] strideMap(int stride) {
        int[] map = STRIDE_MAP.get();
        if (map[1] != stride) {
            for (int t = 0; t < LANES; t++) {
                map[t] = t * stride;
            }
        }
        return map;
    }

    /** {@code dst[dOff + i] += src[sOff + i]} for i < len. */
    static void add(float[] dst, int dOff, float[] src, int sOff, int len) {
        int i = 0;
        for (; i < SPECIES.loopBound(len); i += LANES) {
            FloatVector.fromArray(SPECIES, dst, dOff + i).add(FloatVector.fromArray(SPECIES, src, sOff + i))
                    .intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] += src[sOff + i];
        }
    }
}
