package org.mlp4j;

import java.util.Locale;

/**
 * Activation functions of a dense layer. Forward and backward follow PyTorch exactly (see the reference
 * fixtures' README): e.g. the ReLU derivative at 0 is 0, the leaky-ReLU derivative at 0 is the slope.
 */
public enum Activation {
    /** {@code a = z}. */
    IDENTITY,
    /** {@code a = 1 / (1 + e^-z)}. */
    SIGMOID,
    /** {@code a = tanh z}. */
    TANH,
    /** {@code a = max(z, 0)}. */
    RELU,
    /** {@code a = z} for {@code z > 0}, else {@code slope * z} (slope set on the network, 0.01 by default). */
    LEAKY_RELU,
    /** Exact GELU: {@code a = z * Phi(z)} with the normal CDF written through erf (PyTorch's default). */
    GELU,
    /** GELU with the tanh approximation (PyTorch {@code approximate='tanh'}). */
    GELU_TANH,
    /** Row-wise softmax; allowed on the output layer only. */
    SOFTMAX;

    /**
     * The lower-case name used in files and on the command line, e.g. {@code leaky_relu}.
     *
     * @return the activation's id
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@link #id()} (case-insensitive).
     *
     * @param id an id as {@link #id()} writes it; surrounding spaces are ignored
     * @return the activation with that id
     * @throws IllegalArgumentException if no activation has that id
     */
    public static Activation fromId(String id) {
        for (Activation a : values()) {
            if (a.id().equalsIgnoreCase(id.trim())) {
                return a;
            }
        }
        throw new IllegalArgumentException("activation: expected one of identity, sigmoid, tanh, relu, leaky_relu, "
                + "gelu, gelu_tanh, softmax, got '" + id + "'");
    }

    /** True for activations whose natural initialisation is He/Kaiming (the ReLU family). */
    boolean reluFamily() {
        return this == RELU || this == LEAKY_RELU || this == GELU || this == GELU_TANH;
    }
}
