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
 * data through the public API, with the run's batch size, remainder batch and evaluation batch,
 * so that the kernels of every shape the run uses are compiled before its first epoch. The run's own network,
 * optimizer and random streams are never touched, so results are the same with or without it.
 */
final class Warmup {
    /** Steps at most; about 0.3 s once compiled (MNIST net, batch 128), far less than loading MNIST. */
    static final int MAX_STEPS = 600;
    /** The small batch of most warm-up steps. */
    static final int SMALL = 16;

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
     * @param evalBatch  the batch size of the per-epoch evaluation
     */
    Warmup(Network net, Optimizer optimizer, int batch, int remainder, int evalBatch) {
        Network copy = net.copy();
        thread = new Thread(() -> run(copy, optimizer, batch, remainder, evalBatch), "mlp4j-warmup");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    Warmup start() {
        thread.start();
        return this;
    }

    private void run(Network net, Optimizer optimizer, int batch, int remainder, int evalBatch) {
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
            // One worker: the loading thread keeps the other core. Compiled code is shared by all threads, so
            // the run's workers start with it. Mostly small batches: in the interpreter a step of 128 samples
            // takes long, and the kernels' loops over the layer widths are the same for 16 samples.
            Trainer.Builder b = Trainer.builder(net, optimizer).batchSize(batch).epochs(1).seed(1).threads(1);
            Evaluator eval = new Evaluator(net, evalBatch);
            Dataset evalSet = Dataset.of(x, in, y, width).slice(0, SMALL + 1);
            try (Trainer t = b.build()) {
                while (!stop.get() && steps.get() < MAX_STEPS) {
                    int s = steps.get();
                    int size = s % 8 == 7 ? batch : s % 8 == 3 && remainder > 0 ? remainder : Math.min(SMALL, batch);
                    t.step(x, 0, y, 0, size);
                    if (s % 16 == 15) {
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
