package org.mlp4j.internal.engine;

import org.mlp4j.Activation;
import org.mlp4j.ParameterLayout;
import org.mlp4j.internal.kernel.ActivationMath;
import org.mlp4j.internal.kernel.Bf16;
import org.mlp4j.internal.kernel.Kernels;

/**
 * An immutable snapshot of a model's weights in the kernels' packed form, float or bfloat16, with its own
 * forward loop: what a serving predictor publishes and its readers compute with. Everything is written in the
 * constructor (the publisher's thread) and never again, and instances are published through a volatile field,
 * so any number of threads may run {@link #forward} concurrently, each with its own activation buffers.
 */
public final class ServingWeights {
    private final long version;
    private final ParameterLayout layout;
    private final Activation[] activations;
    private final float leakySlope;
    private final Kernels kernels;
    private final boolean bf16;
    private final int[] offsets;
    private final int[] biasOffsets;
    private final float[] packed;
    /** The packed weights' copy for one-sample calls ({@link Kernels#alignedPackedCopy}), or null. */
    private final Object aligned;
    private final short[] packed16;
    private final float[] bias16;

    /**
     * Packs {@code params} (layout order, validated finite by the caller) for {@code kernels}; with
     * {@code bf16} every weight is rounded to bfloat16 (biases stay float).
     *
     * @throws IllegalArgumentException if {@code bf16} and a weight is too large for bfloat16, naming it
     */
    public ServingWeights(long version, ParameterLayout layout, Activation[] activations, float leakySlope,
                          float[] params, Kernels kernels, boolean bf16) {
        this.version = version;
        this.layout = layout;
        this.activations = activations.clone();
        this.leakySlope = leakySlope;
        this.kernels = kernels;
        this.bf16 = bf16;
        int layers = layout.layerCount();
        offsets = new int[layers + 1];
        biasOffsets = new int[layers + 1];
        for (int l = 0; l < layers; l++) {
            int rows = layout.outputs(l);
            int cols = layout.inputs(l);
            long next = (long) offsets[l] + (bf16 ? kernels.packedBf16Length(rows, cols)
                    : kernels.packedWeightsLength(rows, cols));
            if (next > Integer.MAX_VALUE - 32) {
                throw new IllegalArgumentException("packed weights of layer " + l + " exceed 2^31 values");
            }
            // every layer at a multiple of 64 bytes (16 floats, 32 shorts): an aligned copy has them aligned
            offsets[l + 1] = (int) (bf16 ? (next + 31) & ~31L : (next + 15) & ~15L);
            biasOffsets[l + 1] = biasOffsets[l] + (bf16 ? kernels.packedBf16BiasLength(rows) : 0);
        }
        if (bf16) {
            for (int l = 0; l < layers; l++) {
                int off = layout.weightOffset(l);
                for (int i = 0; i < layout.weightCount(l); i++) {
                    if (Math.abs(params[off + i]) > Bf16.MAX_ROUNDABLE) {
                        throw new IllegalArgumentException("weights of layer " + l + ": value " + i + " is "
                                + params[off + i] + ", beyond the largest bfloat16 (" + Bf16.MAX_ROUNDABLE
                                + "); serve this network in float32");
                    }
                }
            }
            packed = null;
            packed16 = new short[offsets[layers]];
            bias16 = new float[biasOffsets[layers]];
            for (int l = 0; l < layers; l++) {
                kernels.packWeightsBf16(params, layout.weightOffset(l), layout.biasOffset(l), layout.outputs(l),
                        layout.inputs(l), packed16, offsets[l], bias16, biasOffsets[l]);
            }
            aligned = kernels.alignedPackedCopyBf16(packed16);
        } else {
            packed = new float[offsets[layers]];
            packed16 = null;
            bias16 = null;
            for (int l = 0; l < layers; l++) {
                kernels.packWeights(params, layout.weightOffset(l), layout.biasOffset(l), layout.outputs(l),
                        layout.inputs(l), packed, offsets[l]);
            }
            aligned = kernels.alignedPackedCopy(packed);
        }
    }

    /** The version number the publisher gave this snapshot. */
    public long version() {
        return version;
    }

    /** True when the weights are bfloat16. */
    public boolean bf16() {
        return bf16;
    }

    /** The layout the weights were packed from. */
    public ParameterLayout layout() {
        return layout;
    }

    /** {@link #forward(float[], int, int, float[][], float[], int)} with the activations of {@code buffers}. */
    public void forward(float[] x, int xOff, int rows, Buffers buffers, float[] out, int outOff) {
        forward(x, xOff, rows, buffers.a, out, outOff);
    }

    /**
     * {@code rows} samples from {@code x[xOff]} through every layer (softmax included): hidden layer {@code l}
     * writes rows {@code [0, rows)} of {@code a[l]}, the last layer writes to {@code out} from {@code outOff}.
     */
    public void forward(float[] x, int xOff, int rows, float[][] a, float[] out, int outOff) {
        int last = layout.layerCount() - 1;
        for (int l = 0; l <= last; l++) {
            int o = layout.outputs(l);
            int i = layout.inputs(l);
            float[] dst = l == last ? out : a[l];
            int dOff = l == last ? outOff : 0;
            Activation act = activations[l];
            if (bf16 && rows == 1) {
                kernels.gemmForwardPackedBf16One(x, xOff, aligned, packed16, offsets[l], bias16, biasOffsets[l], o, i,
                        dst, dOff, act, leakySlope);
            } else if (bf16) {
                kernels.gemmForwardPackedBf16(x, xOff, rows, packed16, offsets[l], bias16, biasOffsets[l], o, i,
                        null, 0, dst, dOff, act, leakySlope);
            } else if (rows == 1) {
                kernels.gemmForwardPackedOne(x, xOff, aligned, packed, offsets[l], o, i, dst, dOff, act, leakySlope);
            } else {
                kernels.gemmForwardPacked(x, xOff, rows, packed, offsets[l], o, i, null, 0, dst, dOff, act,
                        leakySlope);
            }
            if (act == Activation.SOFTMAX) {
                for (int b = 0; b < rows; b++) {
                    ActivationMath.softmaxInPlace(dst, dOff + b * o, o);
                }
            }
            x = dst;
            xOff = dOff;
        }
    }
}
