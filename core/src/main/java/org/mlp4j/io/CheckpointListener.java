package org.mlp4j.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.mlp4j.Trainer;
import org.mlp4j.TrainingListener;

/**
 * A {@link TrainingListener} that writes a training checkpoint ({@link ModelFiles#saveCheckpoint}) after every
 * epoch, so that an interrupted run can be resumed from the last completed epoch.
 *
 * <p>The trainer is built after its listener, so the listener is given its trainer with {@link #attach} once
 * the trainer exists:
 *
 * <pre>{@code
 * CheckpointListener ckpt = new CheckpointListener(Path.of("run.ckpt"), stats -> Map.of());
 * try (Trainer t = Trainer.builder(net, opt).listener(ckpt).build()) {
 *     ckpt.attach(t);
 *     t.fit(train);
 * }
 * }</pre>
 *
 * A write error stops training: it is thrown from {@link Trainer#fit} as an {@link UncheckedIOException}
 * whose cause names the file; the previous checkpoint is then unchanged (writes are atomic).
 */
public final class CheckpointListener implements TrainingListener {
    private final Path file;
    private final Function<EpochStats, Map<String, String>> metadata;
    private Trainer trainer;

    /**
     * A listener that writes a checkpoint to {@code file} after every epoch; {@link #attach} it to its trainer.
     *
     * @param file     the checkpoint file, replaced after every epoch
     * @param metadata the application entries to store with each checkpoint, given the epoch just completed
     *                 (see {@link TrainingCheckpoint#metadata()}); called on the training thread
     */
    public CheckpointListener(Path file, Function<EpochStats, Map<String, String>> metadata) {
        this.file = Objects.requireNonNull(file, "file");
        this.metadata = Objects.requireNonNull(metadata, "metadata");
    }

    /**
     * The checkpoint file.
     *
     * @return the path given to the constructor
     */
    public Path file() {
        return file;
    }

    /**
     * Sets the trainer whose state is saved; call it before {@link Trainer#fit}.
     *
     * @param trainer the trainer this listener is registered with
     * @throws IllegalStateException if another trainer is already attached
     */
    public void attach(Trainer trainer) {
        Objects.requireNonNull(trainer, "trainer");
        if (this.trainer != null && this.trainer != trainer) {
            throw new IllegalStateException("trainer: this listener already saves another trainer");
        }
        this.trainer = trainer;
    }

    /**
     * Writes the checkpoint.
     *
     * @throws IllegalStateException if no trainer was attached
     * @throws UncheckedIOException  if the file cannot be written
     */
    @Override
    public boolean onEpoch(EpochStats stats) {
        if (trainer == null) {
            throw new IllegalStateException("CheckpointListener: call attach(trainer) before training");
        }
        Map<String, String> meta = Objects.requireNonNull(metadata.apply(stats), "metadata of epoch " + stats.epoch());
        try {
            ModelFiles.saveCheckpoint(trainer, file, meta);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }
}
