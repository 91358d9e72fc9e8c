package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;

class CheckpointListenerTest {
    @TempDir
    Path dir;

    private static Network net() {
        return Network.builder(2).dense(4, Activation.TANH).dense(2, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY)
                .seed(3).build();
    }

    private static Dataset data() {
        float[] x = new float[40];
        float[] y = new float[20];
        for (int i = 0; i < 20; i++) {
            x[2 * i] = i % 2 == 0 ? 1 : -1;
            x[2 * i + 1] = (i % 5) / 5f;
            y[i] = i % 2;
        }
        return Dataset.of(x, 2, y, 1);
    }

    @Test
    void savesEveryEpochAndResumesBitIdentically() throws IOException {
        Path file = dir.resolve("run.ckpt");
        List<Integer> epochs = new ArrayList<>();
        CheckpointListener ckpt = new CheckpointListener(file, s -> {
            epochs.add(s.epoch());
            return Map.of("epoch_seen", Integer.toString(s.epoch()));
        });
        Network full = net();
        try (Trainer t = Trainer.builder(full, Optimizer.sgd(0.1).momentum(0.9)).batchSize(4).epochs(4).seed(5)
                .threads(1).build()) {
            t.fit(data());
        }
        Network part = net();
        try (Trainer t = Trainer.builder(part, Optimizer.sgd(0.1).momentum(0.9)).batchSize(4).epochs(2).seed(5)
                .threads(1).listener(ckpt).build()) {
            ckpt.attach(t);
            t.fit(data());
        }
        assertEquals(List.of(1, 2), epochs);
        TrainingCheckpoint c = ModelFiles.loadCheckpoint(file);
        assertEquals(2, c.completedEpochs());
        assertEquals("2", c.metadata().get("epoch_seen"));
        try (Trainer t = Trainer.builder(c.network(), c.optimizer()).batchSize(4).epochs(4).seed(c.seed()).threads(1)
                .build()) {
            c.restoreInto(t);
            t.fit(data());
        }
        assertArrayEquals(full.parameters(), c.network().parameters());
    }

    @Test
    void mustBeAttachedAndWriteErrorsStopTraining() {
        CheckpointListener unattached = new CheckpointListener(dir.resolve("a.ckpt"), s -> Map.of());
        try (Trainer t = Trainer.builder(net(), Optimizer.sgd(0.1)).batchSize(4).epochs(1).listener(unattached)
                .build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.fit(data()));
            assertTrue(e.getMessage().contains("attach"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> {
                unattached.attach(t);
                try (Trainer other = Trainer.builder(net(), Optimizer.sgd(0.1)).build()) {
                    unattached.attach(other);
                }
            });
        }
        Path missing = dir.resolve("no-such-dir").resolve("b.ckpt");
        CheckpointListener broken = new CheckpointListener(missing, s -> Map.of());
        try (Trainer t = Trainer.builder(net(), Optimizer.sgd(0.1)).batchSize(4).epochs(3).listener(broken)
                .build()) {
            broken.attach(t);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> t.fit(data()));
            assertTrue(e.getCause().getMessage().contains("no-such-dir"), e.getCause().getMessage());
            assertEquals(1, t.completedEpochs(), "stopped after the first failed save");
        }
        assertTrue(Files.notExists(missing));
    }
}
