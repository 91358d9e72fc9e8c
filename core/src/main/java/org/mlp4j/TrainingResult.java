package org.mlp4j;

/**
 * Outcome of {@link Trainer#fit}.
 *
 * @param reason       why training stopped
 * @param epochs       epochs started (the last one may be partial when an iteration budget or the gradient
 *                     tolerance stopped it)
 * @param iterations   optimizer steps taken
 * @param loss         mean training loss of the last epoch (over the batches it ran)
 * @param gradientNorm global L2 norm of the last mini-batch gradient
 * @param bestEpoch    epoch with the lowest validation loss, 0 without a validation set
 * @param bestValidationLoss that loss, +infinity without a validation set
 */
public record TrainingResult(StopReason reason, int epochs, long iterations, double loss, double gradientNorm,
                             int bestEpoch, double bestValidationLoss) {
}
