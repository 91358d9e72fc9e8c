package org.mlp4j.cli;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.mlp4j.Dataset;
import org.mlp4j.Evaluator;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;

/**
 * Warms the JIT while the data loads: a background thread trains a throw-away copy of the network on random
 * data through the public API, with the run's batch size, remainder batch, thread count and evaluation batch,
 * so that the kernels of every shape the run uses are compiled before its first epoch. The run's own network,
 * optimizer and random streams are never touched, so results are the same with or without it.
 */
final class Warmup {
    /** Steps at most; about 0.3 s once compiled (MNIST net, batch 128), far less than loading MNIST. */
    static final int MAX_STEPS = 300;

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger steps = new AtomicInteger();
    private final Thread thread;
    private volatile long elapsedNanos;

    /**
     * Starts warming for a run of {@code net} trained by a fresh optimizer like {@code optimizer}.
     *
     * @param net        the run's network (only copied)
     * @param optimizer  a new optimizer of the run's kind (used only here)
     * @param batch      the run's batch size
     * @param remainder  the size of each epoch's last batch (0 when it is full)
     * @param threads    the run's worker threads, or null for the default
     * @param evalBatch  the batch size of the per-epoch evaluation
     */
    Warmup(Network net, Optimizer optimizer, int batch, int remainder, Integer threads, int evalBatch) {
        Network copy = net.copy();
        thread = new Thread(() -> run(copy, optimizer, batch, remainder, threads, evalBatch), "mlp4j-warmup");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    Warmup start() {
        thread.start();
        return this;
    }

    private void run(Network net, Optimizer optimizer, int batch, int remainder, Integer threads, int evalBatch) {
        long t0 = System.nanoTime();
        try {
            int in = net.inputSize();
            int width = net.targetWidth();
            int n = Math.max(batch, evalBatch) + Math.max(remainder, 1);
            SplittableRandom rnd = new SplittableRandom(7);
            float[] x = new float[n * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble();
            }
            float[] y = new float[n * width];
            for (int i = 0; i < y.length; i++) {
                y[i] = net.loss() == Loss.CROSS_ENTROPY ? rnd.nextInt(net.outputSize()) : (float) rnd.nextDouble();
            }
            Trainer.Builder b = Trainer.builder(net, optimizer).batchSize(batch).epochs(1).seed(1);
            if (threads != null) {
                b.threads(threads);
            }
            Evaluator eval = new Evaluator(net, evalBatch);
            Dataset evalSet = Dataset.of(x, in, y, width).slice(0, Math.min(n, evalBatch + Math.max(remainder, 1)));
            try (Trainer t = b.build()) {
                while (!stop.get() && steps.get() < MAX_STEPS) {
                    int s = steps.get();
                    int size = remainder > 0 && s % 8 == 7 ? remainder : batch;
                    t.step(x, 0, y, 0, size);
                    if (s % 50 == 49) {
                        eval.evaluate(evalSet);
                    }
                    steps.incrementAndGet();
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // Warming is an optimization only (e.g. random targets diverged): the run goes on without it.
        } finally {
            elapsedNanos = System.nanoTime() - t0;
        }
    }

    /** Stops warming (the data is loaded) and waits for the thread; returns the steps it took. */
    int finish() {
        stop.set(true);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return steps.get();
    }

    /** Seconds the warm-up thread ran. */
    double seconds() {
        return elapsedNanos / 1e9;
    }
}
