package org.mlp4j;

/**
 * Receives progress from {@link Trainer#fit}, on the training thread. Implementations should be quick;
 * both methods may return {@code false} to stop training after the current step.
 */
public interface TrainingListener {

    /**
     * After every optimizer step.
     *
     * @param stats the step's epoch, batch, sample count, loss and iteration
     * @return false to stop training after this step
     */
    default boolean onBatch(BatchStats stats) {
        return true;
    }

    /**
     * After every epoch.
     *
     * @param stats the epoch's training and validation loss and accuracy, throughput and learning rate
     * @return false to stop training after this epoch
     */
    default boolean onEpoch(EpochStats stats) {
        return true;
    }

    /**
     * What {@link #onBatch} reports after one optimizer step.
     *
     * @param epoch     1-based epoch
     * @param batch     0-based batch within the epoch
     * @param batches   batches per epoch
     * @param samples   samples in this batch
     * @param loss      mean loss of this batch (before the step)
     * @param iteration optimizer steps so far, this one included
     */
    record BatchStats(int epoch, int batch, int batches, int samples, double loss, long iteration) {
    }

    /**
     * What {@link #onEpoch} reports after each epoch.
     *
     * @param epoch         1-based epoch
     * @param loss          mean training loss over the epoch's batches
     * @param accuracy      training accuracy over the epoch (cross-entropy and BCE networks) or NaN
     * @param samples       samples seen in the epoch
     * @param seconds       wall time of the epoch
     * @param samplesPerSecond training throughput of the epoch
     * @param validationLoss     mean loss on the validation set after the epoch, or NaN without one
     * @param validationAccuracy accuracy on the validation set (classifiers) or NaN
     * @param learningRate       the optimizer's learning rate at the epoch's last step
     */
    record EpochStats(int epoch, double loss, double accuracy, long samples, double seconds, double samplesPerSecond,
                      double validationLoss, double validationAccuracy, double learningRate) {
    }
}
