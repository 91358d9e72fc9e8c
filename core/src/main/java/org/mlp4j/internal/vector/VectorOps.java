package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;
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
