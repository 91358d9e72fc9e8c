package org.mlp4j.internal.kernel;

import org.mlp4j.Activation;
import org.mlp4j.ParameterLayout;

/**
 * The packed form of every layer's weights and bias (see {@link Kernels#packWeights}), for the forward GEMM
 * {@link Kernels#gemmForwardPacked}. Owners pack when the parameters change: inference once per parameter
 * version, training once per step. Not thread-safe while packing; {@link #forward} may run concurrently.
 */
public final class PackedWeights {
    private final Kernels kernels;
    private final ParameterLayout layout;
    private final int[] offsets;
    private final float[] packed;

    /** Space for the packed form of every layer of {@code layout} as {@code kernels} lays it out. */
    public PackedWeights(Kernels kernels, ParameterLayout layout) {
        this.kernels = kernels;
        this.layout = layout;
        this.offsets = new int[layout.layerCount() + 1];
        for (int l = 0; l < layout.layerCount(); l++) {
            long next = (long) offsets[l] + kernels.packedWeightsLength(layout.outputs(l), layout.inputs(l));
            if (next > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("packed weights of layer " + l + " exceed 2^31 floats");
            }
            offsets[l + 1] = (int) next;
        }
        this.packed = new float[offsets[layout.layerCount()]];
    }

    /** Packs every layer from the flat parameter array {@code params}. */
    public void pack(float[] params) {
        for (int l = 0; l < layout.layerCount(); l++) {
            kernels.packWeights(params, layout.weightOffset(l), layout.biasOffset(l), layout.outputs(l),
                    layout.inputs(l), packed, offsets[l]);
        }
    }

    /**
     * Layer {@code layer} forward for {@code batch} samples from the last {@link #pack}: see
     * {@link Kernels#gemmForwardPacked}. {@code z} may be null.
     */
    public void forward(int layer, float[] x, int xOff, int batch, float[] z, int zOff, float[] act, int actOff,
                        Activation activation, float slope) {
        kernels.gemmForwardPacked(x, xOff, batch, packed, offsets[layer], layout.outputs(layer), layout.inputs(layer),
                z, zOff, act, actOff, activation, slope);
    }
}
