package org.mlp4j;

import java.util.Locale;

/** Loss functions, all with mean reduction and PyTorch's semantics. */
public enum Loss {
    /** Mean squared error over all {@code batch * outputs} elements. */
    MSE,
    /**
     * Cross-entropy on logits with class-index targets (one float per sample holding the index), computed
     * with a fused, numerically stable log-sum-exp. The output layer must be {@link Activation#IDENTITY}
     * (the network outputs logits) or {@link Activation#SOFTMAX} (it outputs probabilities; the loss still
     * reads the pre-softmax logits).
     */
    CROSS_ENTROPY,
    /** Binary cross-entropy on probabilities; the output layer must be {@link Activation#SIGMOID}. */
    BCE,
    /**
     * Binary cross-entropy on logits (stable form). The output layer must be {@link Activation#IDENTITY}
     * or {@link Activation#SIGMOID} (then the network outputs probabilities; the loss reads the logits).
     */
    BCE_WITH_LOGITS;

    /**
     * The lower-case name used in files and on the command line, e.g. {@code cross_entropy}.
     *
     * @return the loss's id
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@link #id()} (case-insensitive).
     *
     * @param id an id as {@link #id()} writes it; surrounding spaces are ignored
     * @return the loss with that id
     * @throws IllegalArgumentException if no loss has that id
     */
    public static Loss fromId(String id) {
        for (Loss l : values()) {
            if (l.id().equalsIgnoreCase(id.trim())) {
                return l;
            }
        }
        throw new IllegalArgumentException("loss: expected one of mse, cross_entropy, bce, bce_with_logits, got '"
                + id + "'");
    }

    /** True when the loss is computed from the output layer's pre-activation (logits). */
    boolean onLogits() {
        return this == CROSS_ENTROPY || this == BCE_WITH_LOGITS;
    }
}
