package org.mlp4j;

/**
 * Thrown when a mini-batch loss or gradient becomes NaN or infinite. The step that produced it is not
 * applied, so the network keeps the last finite parameters (which can still be saved).
 */
public final class TrainingDivergedException extends ArithmeticException {
    private static final long serialVersionUID = 1L;
    private final int epoch;
    private final int batch;

    TrainingDivergedException(int epoch, int batch, String what, double value) {
        super("training diverged: " + what + " is " + value + " at epoch " + epoch + ", batch " + batch
                + "; the parameters keep their last finite values (try a lower learning rate)");
        this.epoch = epoch;
        this.batch = batch;
    }

    /** 1-based epoch of the failing step. */
    public int epoch() {
        return epoch;
    }

    /** 0-based batch within that epoch. */
    public int batch() {
        return batch;
    }
}
