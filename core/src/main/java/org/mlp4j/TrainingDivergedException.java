package org.mlp4j;

/**
 * Thrown when a mini-batch loss, its gradient or the updated parameters become NaN or infinite. The step
 * is not applied (or is undone), so the network keeps the last finite parameters, which can still be
 * saved. The optimizer's state buffers may hold the failed step's values: resume from a checkpoint or
 * a new optimizer.
 */
public final class TrainingDivergedException extends ArithmeticException {
    private static final long serialVersionUID = 1L;
    /** 1-based epoch of the failing step. */
    private final int epoch;
    /** 0-based batch within that epoch. */
    private final int batch;

    TrainingDivergedException(int epoch, int batch, String what, double value) {
        super("training diverged: " + what + " is " + value + " at epoch " + epoch + ", batch " + batch
                + "; the parameters keep their last finite values (try a lower learning rate)");
        this.epoch = epoch;
        this.batch = batch;
    }

    /**
     * 1-based epoch of the failing step.
     *
     * @return the epoch, {@code >= 1}
     */
    public int epoch() {
        return epoch;
    }

    /**
     * 0-based batch within that epoch.
     *
     * @return the batch index, {@code >= 0}
     */
    public int batch() {
        return batch;
    }
}
