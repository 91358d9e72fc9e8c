package org.mlp4j;

import java.util.Arrays;

/**
 * Where each layer's parameters live in the network's single flat {@code float[]} (gradients and optimizer
 * state use the same layout). Per dense layer {@code layer}, with {@code in = width(i)} and
 * {@code out = width(i+1)}:
 *
 * <pre>
 *   weightOffset(i)                                   biasOffset(i)      weightOffset(i+1)
 *   |                                                 |                  |
 *   v                                                 v                  v
 *   +-------------+-------------+-----+---------------+------------------+-------------
 *   | W[0][0..in) | W[1][0..in) | ... | W[out-1][...] | b[0..out)        | next layer ...
 *   +-------------+-------------+-----+---------------+------------------+-------------
 *     row stride = in (PyTorch nn.Linear layout [out][in], row-major), no padding
 * </pre>
 *
 * Without padding, {@code layers.{i}.weight} and {@code layers.{i}.bias} of a PyTorch state dict map 1:1 onto
 * these ranges, so import and export are plain array copies.
 */
public final class ParameterLayout {
    private final int[] widths;
    private final int[] weightOffsets;
    private final int parameterCount;

    /** @param widths input width followed by each dense layer's output width */
    ParameterLayout(int[] widths) {
        this.widths = widths.clone();
        int layers = widths.length - 1;
        this.weightOffsets = new int[layers + 1];
        long offset = 0;
        for (int i = 0; i < layers; i++) {
            weightOffsets[i] = (int) offset;
            offset += (long) widths[i + 1] * widths[i] + widths[i + 1];
            if (offset > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("layer sizes: the network needs " + offset
                        + " parameters, more than a Java array holds");
            }
        }
        weightOffsets[layers] = (int) offset;
        this.parameterCount = (int) offset;
    }

    /**
     * Number of dense layers.
     *
     * @return the number of dense layers, at least 1
     */
    public int layerCount() {
        return widths.length - 1;
    }

    /**
     * Total number of parameters (length of the flat array).
     *
     * @return the number of parameters, weights and biases of all layers
     */
    public int parameterCount() {
        return parameterCount;
    }

    /**
     * Input width of layer {@code layer} (= row stride of its weight matrix).
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return the layer's input width
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public int inputs(int layer) {
        return widths[check(layer)];
    }

    /**
     * Output width of layer {@code layer} (= rows of its weight matrix).
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return the layer's output width
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public int outputs(int layer) {
        return widths[check(layer) + 1];
    }

    /**
     * Offset of {@code W_i[0][0]}; element {@code [r][c]} is at {@code weightOffset(i) + r * inputs(i) + c}.
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return index of the layer's first weight in the flat array
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public int weightOffset(int layer) {
        return weightOffsets[check(layer)];
    }

    /**
     * Offset of {@code b_i[0]}, directly after the weight matrix.
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return index of the layer's first bias in the flat array
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public int biasOffset(int layer) {
        return weightOffsets[check(layer)] + outputs(layer) * inputs(layer);
    }

    /**
     * Number of weights of layer {@code layer} ({@code out * in}).
     *
     * @param layer layer index, {@code 0 <= layer < layerCount()}
     * @return the size of the layer's weight matrix
     * @throws IndexOutOfBoundsException if {@code layer} is not a layer index
     */
    public int weightCount(int layer) {
        return outputs(layer) * inputs(layer);
    }

    /**
     * The widths, input first: {@code [in, out_0, out_1, ...]}.
     *
     * @return a new array of {@code layerCount() + 1} widths
     */
    public int[] widths() {
        return widths.clone();
    }

    /** The widths without a copy (for internal checks). */
    int[] widthsView() {
        return widths;
    }

    private int check(int layer) {
        if (layer < 0 || layer >= widths.length - 1) {
            throw new IndexOutOfBoundsException("layer: expected 0.." + (widths.length - 2) + ", got " + layer);
        }
        return layer;
    }

    @Override
    public String toString() {
        return "ParameterLayout" + Arrays.toString(widths) + " (" + parameterCount + " parameters)";
    }
}
