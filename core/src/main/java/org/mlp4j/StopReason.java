package org.mlp4j;

/** Why {@link Trainer#fit} returned. */
public enum StopReason {
    /** The epoch budget was used up. */
    MAX_EPOCHS,
    /** The iteration (optimizer step) budget was used up. */
    MAX_ITERATIONS,
    /** An epoch's mean training loss reached the target loss. */
    TARGET_LOSS,
    /** A mini-batch gradient's global L2 norm fell to the tolerance: the gradient is ~0. */
    GRADIENT_TOLERANCE,
    /** The validation loss did not improve for {@code patience} epochs (the best parameters were restored). */
    EARLY_STOPPING,
    /** A {@link TrainingListener} asked to stop. */
    LISTENER
}
