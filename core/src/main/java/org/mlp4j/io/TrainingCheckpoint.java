package org.mlp4j.io;

import java.util.Map;
import java.util.Objects;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;

/**
 * Everything needed to continue training exactly where it stopped, as read by
 * {@link ModelFiles#loadCheckpoint}: the network, the optimizer with its state and step count, the trainer's
 * progress (seed of the per-epoch sample order, completed epochs, iterations) and its early-stopping state.
 *
 * <pre>{@code
 * TrainingCheckpoint c = ModelFiles.loadCheckpoint(path);
 * try (Trainer t = Trainer.builder(c.network(), c.optimizer()).seed(c.seed()).batchSize(128).epochs(20).build()) {
 *     c.restoreInto(t);
 *     t.fit(train);     // same parameters as a run that was never interrupted
 * }
 * }</pre>
 *
 * @param network            the network with the saved parameters
 * @param optimizer          an optimizer with the saved hyperparameters, state buffers and step count
 * @param seed               the trainer's sample-order seed
 * @param completedEpochs    epochs completed
 * @param iterations         optimizer steps taken
 * @param bestEpoch          epoch of the lowest validation loss (0: none)
 * @param bestValidationLoss that loss (+infinity: none)
 * @param bestParameters     the parameters after {@code bestEpoch}, or null when it is 0
 * @param metadata           application entries stored with the checkpoint (e.g. the command line that made
 *                           it), unmodifiable
 */
public record TrainingCheckpoint(Network network, Optimizer optimizer, long seed, int completedEpochs, long iterations,
                                 int bestEpoch, double bestValidationLoss, float[] bestParameters,
                                 Map<String, String> metadata) {
    /**
     * Validates the network and optimizer and copies the metadata.
     *
     * @param network            the network with the saved parameters
     * @param optimizer          the optimizer with its restored state
     * @param seed               the trainer's sample-order seed
     * @param completedEpochs    epochs completed
     * @param iterations         optimizer steps taken
     * @param bestEpoch          epoch of the lowest validation loss (0: none)
     * @param bestValidationLoss that loss (+infinity: none)
     * @param bestParameters     the parameters after {@code bestEpoch}, or null when it is 0
     * @param metadata           application entries stored with the checkpoint
     * @throws NullPointerException if the network or optimizer is null
     */
    public TrainingCheckpoint {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(optimizer, "optimizer");
        metadata = Map.copyOf(metadata);
    }

    /**
     * Restores progress and early-stopping state into a trainer built on {@link #network()} and
     * {@link #optimizer()}.
     *
     * @param trainer a trainer built on this checkpoint's network and optimizer, with its seed
     * @throws IllegalArgumentException if the trainer trains another network or optimizer, or uses another seed
     */
    public void restoreInto(Trainer trainer) {
        if (trainer.network() != network || trainer.optimizer() != optimizer) {
            throw new IllegalArgumentException("trainer: expected a trainer built on this checkpoint's network and "
                    + "optimizer, got one with other objects");
        }
        if (trainer.seed() != seed) {
            throw new IllegalArgumentException("trainer: expected seed " + seed + " (the checkpoint's sample order), got "
                    + trainer.seed());
        }
        trainer.restoreProgress(completedEpochs, iterations);
        trainer.restoreBest(bestEpoch, bestValidationLoss, bestParameters);
    }
}
