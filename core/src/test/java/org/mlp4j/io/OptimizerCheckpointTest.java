package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;

/** Checkpoints carry the new optimizer settings (amsgrad, maximize) through Optimizer.create. */
class OptimizerCheckpointTest {
    @TempDir
    Path dir;

    private static Trainer trainer(Optimizer opt) {
        Network net = Network.builder(3).dense(5, Activation.TANH).dense(2, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).seed(2).build();
        return Trainer.builder(net, opt).batchSize(4).epochs(1).threads(1).build();
    }

    @Test
    void amsgradAndMaximizeSurviveACheckpoint() throws IOException {
        Dataset d = Dataset.of(new float[] {1, 2, 3, 0, 1, 0, 2, 2, 1, 0, 0, 1}, 3, new float[] {0, 1, 1, 0}, 1);
        try (Trainer t = trainer(Optimizer.adam(0.01).amsgrad(true).maximize(true))) {
            t.fit(d);
            Path file = dir.resolve("run.ckpt");
            ModelFiles.saveCheckpoint(t, file, Map.of());
            TrainingCheckpoint c = ModelFiles.loadCheckpoint(file);
            assertEquals(t.optimizer().hyperparameters(), c.optimizer().hyperparameters());
            assertTrue(c.optimizer().maximize());
            assertArrayEquals(t.optimizer().state().get("max_exp_avg_sq"), c.optimizer().state().get("max_exp_avg_sq"));
        }
    }

    @Test
    void badOptimizerMetadataNamesTheKey() throws IOException {
        Path file = dir.resolve("run.ckpt");
        try (Trainer t = trainer(Optimizer.sgd(0.1).momentum(0.9))) {
            ModelFiles.saveCheckpoint(t, file, Map.of());
        }
        SafeTensorsFile f = SafeTensors.read(file);
        Map<String, String> meta = new LinkedHashMap<>(f.metadata());
        meta.put("optimizer.momentum", "fast");
        Path bad = dir.resolve("bad.ckpt");
        SafeTensors.write(bad, meta, f.tensors());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(bad));
        assertEquals(bad + ": metadata optimizer.momentum: expected a number, got 'fast'", e.getMessage());
        meta.put("optimizer.momentum", "0.9");
        meta.put("optimizer", "lbfgs");
        SafeTensors.write(bad, meta, f.tensors());
        e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(bad));
        assertEquals(bad + ": metadata optimizer: expected one of sgd, adam, adamw, rmsprop, got 'lbfgs'",
                e.getMessage());
    }
}
