package org.mlp4j.spark;

/**
 * A training round diverged (a NaN or infinite loss, gradient or parameter on some partition). The parameters
 * of the last good round are kept: {@link #lastGoodModel()} holds them (the initial parameters if the first
 * round failed).
 */
public final class DistributedTrainingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int round;
    private final transient MlpModel lastGoodModel;

    DistributedTrainingException(int round, String detail, MlpModel lastGoodModel) {
        super("mlp4j-spark: training diverged in round " + (round + 1) + " (" + detail + "); kept the parameters of "
                + (round == 0 ? "the initialisation" : "round " + round) + ", see lastGoodModel(). Lower the learning"
                + " rate, clip gradients or scale the features.");
        this.round = round;
        this.lastGoodModel = lastGoodModel;
    }

    /** The round that diverged, counted from 0 (so also the number of good rounds before it). */
    public int round() {
        return round;
    }

    /** The model with the parameters after the last good round (on the driver that called fit). */
    public MlpModel lastGoodModel() {
        return lastGoodModel;
    }
}
