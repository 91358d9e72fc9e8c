package org.mlp4j.spark;

/**
 * Receives progress after every synchronous training round of {@link MlpEstimator}, on the driver thread that
 * called {@code fit}. Listeners are not params: they are not saved and not copied to the fitted model.
 */
@FunctionalInterface
public interface RoundListener {
    /** Called after round {@code stats.round()} has been averaged; throwing stops training with that error. */
    void onRound(RoundStats stats);
}
