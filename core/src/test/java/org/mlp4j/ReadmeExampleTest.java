package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The README's usage example, verbatim apart from the data, so that it keeps compiling and working. */
class ReadmeExampleTest {

    @Test
    void usageExampleRuns() {
        int samples = 256;
        SplittableRandom random = new SplittableRandom(7);
        float[] pixels = new float[samples * 784];
        float[] labels = new float[samples];
        for (int s = 0; s < samples; s++) {
            int label = random.nextInt(10);
            labels[s] = label;
            for (int i = 0; i < 784; i++) { // a learnable pattern: a bright band per class
                pixels[s * 784 + i] = (i / 78 == label ? 0.8f : 0f) + (float) random.nextDouble() * 0.2f;
            }
        }

        // ---- README "Usage" ----
        Network net = Network.builder(784)
                .dense(256, Activation.RELU)
                .dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY)      // logits
                .loss(Loss.CROSS_ENTROPY)            // fused softmax + log-sum-exp
                .seed(42)
                .build();

        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.1).momentum(0.9))
                .batchSize(128).epochs(10).seed(1).build()) {
            TrainingResult result = trainer.fit(Dataset.of(pixels, 784, labels, 1));
            assertEquals(StopReason.MAX_EPOCHS, result.reason());
            assertTrue(result.loss() < 0.1, "loss " + result.loss());
        }

        Workspace ws = net.newWorkspace();           // one per thread, reused
        float[] logits = new float[10];
        net.predict(pixels, 0, logits, 0, ws);        // allocation-free
        // ---- end ----

        int best = 0;
        for (int j = 1; j < 10; j++) {
            best = logits[j] > logits[best] ? j : best;
        }
        assertEquals((int) labels[0], best);
    }
}
