package org.mlp4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mlp4j.Activation;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Predictor;
import org.mlp4j.Trainer;
import org.mlp4j.io.Mnist;

/**
 * The README's "Serving" examples: a shared {@link Predictor} (probabilities, top-k, bfloat16), and online
 * learning, a service scoring requests on two threads while a trainer learns from a stream of mini-batches and
 * publishes its weights every k steps.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:examples/target/classes \
 *      org.mlp4j.examples.OnlineLearning data/mnist 60000 50
 * </pre>
 */
public final class OnlineLearning {
    private OnlineLearning() {
    }

    /**
     * Serves the first 1000 MNIST test images on two threads while training on a stream of the first
     * {@code samples} training images, publishing every {@code publishEvery} steps.
     *
     * @param dataDir      directory with the four MNIST IDX files (raw or .gz)
     * @param samples      how many training images the stream carries
     * @param publishEvery optimizer steps between publishes
     * @return what was served and learnt
     * @throws Exception if the MNIST files cannot be read or a serving thread failed
     */
    public static Result run(String dataDir, int samples, int publishEvery) throws Exception {
        Mnist mnist = Mnist.load(Path.of(dataDir));
        Dataset stream = mnist.train().slice(0, samples);
        float[] requests = mnist.test().slice(0, 1000).features();
        Network net = Network.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).loss(Loss.CROSS_ENTROPY).seed(42).build();
        int k = publishEvery;

        // README:begin online-learning
        Predictor predictor = Predictor.of(net);                   // a snapshot of net's weights: version 1
        AtomicBoolean learning = new AtomicBoolean(true);
        ExecutorService service = Executors.newFixedThreadPool(2); // request threads share the predictor
        List<Future<long[]>> servers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            servers.add(service.submit(() -> {
                float[] probabilities = new float[10];
                long served = 0;
                long lastVersion = 0;
                while (learning.get()) {
                    int r = (int) (served++ % 1000);                // a request: one 784-pixel image
                    lastVersion = predictor.predictProbabilities(requests, r * 784, probabilities, 0);
                }
                return new long[] {served, lastVersion};           // no lock, no allocation per request
            }));
        }
        try (Trainer trainer = Trainer.builder(net, Optimizer.sgd(0.05).momentum(0.9)).batchSize(64).build()) {
            float[] x = stream.features();
            float[] y = stream.targets();
            for (int b = 0; b + 64 <= stream.size(); b += 64) {    // a mini-batch arrives from the stream
                trainer.step(x, b * 784, y, b, 64);
                if (trainer.iterations() % k == 0) {
                    predictor.publish(net);                        // atomic swap; packs here, not in the service
                }
            }
        } finally {
            learning.set(false);
            service.shutdown();
        }
        // README:end
        long served = 0;
        long lastSeen = 0;
        for (Future<long[]> f : servers) {
            long[] r = f.get();
            served += r[0];
            lastSeen = Math.max(lastSeen, r[1]);
        }
        return new Result(predictor.version(), lastSeen, served, accuracy(predictor, mnist.test().slice(0, 1000)));
    }

    /** The README's basic serving example on {@code net}; returns the top-3 classes of {@code image}. */
    static int[] serve(Network net, float[] image) {
        // README:begin predictor
        Predictor predictor = Predictor.of(net);                     // share it: thread-safe, no workspace
        float[] logits = new float[10];
        long version = predictor.predict(image, 0, logits, 0);      // 0 B per call after a thread's first
        float[] probabilities = new float[10];
        predictor.toProbabilities(logits, 0, probabilities, 0);     // softmax of the logits
        int[] top3 = new int[3];
        Predictor.topK(probabilities, 0, 10, 3, top3, 0);           // classes, most likely first
        int digit = predictor.predictClass(image, 0);              // argmax

        Predictor compact = Predictor.of(net, Predictor.Precision.BFLOAT16); // 16-bit weights, float math
        // README:end
        if (digit != top3[0] || version != 1 || compact.predictClass(image, 0) < 0) {
            throw new IllegalStateException("inconsistent predictor results");
        }
        return top3;
    }

    private static double accuracy(Predictor p, Dataset test) {
        float[] x = test.features();
        float[] y = test.targets();
        int right = 0;
        for (int s = 0; s < test.size(); s++) {
            right += p.predictClass(x, s * 784) == (int) y[s] ? 1 : 0;
        }
        return (double) right / test.size();
    }

    /**
     * What {@link #run} produced.
     *
     * @param version     the predictor's version at the end (1 + the number of publishes)
     * @param lastServed  the newest version a serving thread reported
     * @param served      requests answered on both threads
     * @param accuracy    accuracy of the final version on the 1000 requests' images
     */
    public record Result(long version, long lastServed, long served, double accuracy) {
    }

    /**
     * Runs {@link #run} and prints the result.
     *
     * @param args MNIST directory, stream samples, steps between publishes
     * @throws Exception if the MNIST files cannot be read
     */
    public static void main(String[] args) throws Exception {
        Result r = run(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        System.out.println(r);
    }
}
