package org.mlp4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;

/** The README's serving examples run and do what they say. */
class OnlineLearningTest {

    @Test
    void serviceScoresWhileTheTrainerPublishes() throws Exception {
        OnlineLearning.Result r = OnlineLearning.run(ExamplesTest.mnistDir(), 64 * 60, 10);
        assertEquals(1 + 60 / 10, r.version(), "one publish per 10 steps");
        assertTrue(r.served() > 0, "requests served: " + r.served());
        assertTrue(r.lastServed() >= 1 && r.lastServed() <= r.version(), "last version served " + r.lastServed());
        assertTrue(r.accuracy() > 0.75, "accuracy of the published weights " + r.accuracy());
    }

    @Test
    void predictorExampleRanksClasses() {
        Network net = Network.builder(784).dense(32, Activation.RELU).dense(10, Activation.IDENTITY)
                .loss(Loss.CROSS_ENTROPY).seed(3).build();
        float[] image = new float[784];
        image[300] = 1f;
        float[] logits = net.predict(image);
        int[] top3 = OnlineLearning.serve(net, image);
        assertTrue(logits[top3[0]] >= logits[top3[1]] && logits[top3[1]] >= logits[top3[2]]);
        for (int j = 0; j < 10; j++) {
            if (j != top3[0] && j != top3[1] && j != top3[2]) {
                assertTrue(logits[j] <= logits[top3[2]], "class " + j);
            }
        }
    }
}
