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

    @Test
    void fineTuningExampleRuns() {
        Network net = Network.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(42).build();
        float[] image = new float[784];
        image[100] = 1f;

        // ---- README "Fine-tuning, features and probabilities" ----
        net.setTrainable(0, false, false);            // freeze layer 0's weights and bias (requires_grad = False)
        Optimizer opt = Optimizer.adam(1e-3).amsgrad(true);   // also maximize(true) on every optimizer
        Optimizer same = Optimizer.create("adam", java.util.Map.of("lr", "0.001", "amsgrad", "true"));  // names as in files

        float[] probabilities = net.predictProbabilities(image);      // softmax of the logits
        float[][] layers = {new float[256], new float[128], new float[10]};
        net.predictLayers(image, 1, layers);          // every layer's activations (embeddings), caller's arrays
        // ---- end ----

        assertEquals(opt.hyperparameters(), same.hyperparameters());
        double sum = 0;
        for (float p : probabilities) {
            sum += p;
        }
        assertEquals(1, sum, 1e-5);
        float[] logits = net.predict(image); // the single-sample kernels: equal up to rounding
        for (int j = 0; j < 10; j++) {
            assertEquals(logits[j], layers[2][j], 1e-5);
        }
        assertTrue(!net.weightsTrainable(0) && !net.biasTrainable(0));
    }
}
