package org.mlp4j.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.mlp4j.Dataset;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.io.Mnist;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of the MNIST net 784-256(ReLU)-128(ReLU)-10, cross-entropy, SGD lr 0.1 momentum 0.9
 * (the same configuration as the PyTorch peer {@code shared/peers/torch_mlp.py}): input validation,
 * forward, backward, gradient norm and optimizer update, through the public {@link Trainer#step} API.
 * samples/s = batch / time.
 *
 * <p>Data: a fixed pool of 8192 synthetic samples (pixels uniform in [0,1), random labels) walked
 * batch by batch, so successive steps see different data and the gradients stay in the normal float range
 * (random labels cannot be fitted in a benchmark's few thousand steps).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class TrainingBenchmark {
    static final int POOL = 8192;

    @Param({"32", "128", "256"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    @Param({"vector", "scalar"})
    public String kernels;

    private Network network;
    private Trainer trainer;
    private float[] x;
    private float[] y;
    private int cursor;

    @Setup(Level.Trial)
    public void setup() {
        if (POOL % batch != 0) {
            throw new IllegalArgumentException("batch must divide " + POOL + ", got " + batch);
        }
        Models.selectKernels(kernels);
        network = Models.build("mnist", 42);
        trainer = Trainer.builder(network, Optimizer.sgd(0.1).momentum(0.9)).batchSize(batch).threads(threads)
                .build();
        // Real MNIST images and labels, as the PyTorch peer trains on. Random inputs with random labels kill the
        // ReLU net within a few hundred steps (loss stuck at ln 10); its momentum buffer then decays through
        // subnormal floats, which cost Intel cores a microcode assist per operation: measured 1.6 -> 2.9 ms per
        // batch-128 step on a Xeon (AVX-512), 224k of 235k momentum values subnormal. That is no training.
        Dataset mnist = loadMnist();
        x = java.util.Arrays.copyOf(mnist.features(), POOL * network.inputSize());
        y = java.util.Arrays.copyOf(mnist.targets(), POOL);
        cursor = 0;
    }

    /** MNIST's training set from {@code $MLP4J_MNIST}, else the repository's data/mnist (run from the root). */
    static Dataset loadMnist() {
        String env = System.getenv("MLP4J_MNIST");
        Path dir = Path.of(env != null && !env.isEmpty() ? env : "data/mnist");
        try {
            return Mnist.load(dir).train();
        } catch (IOException e) {
            throw new UncheckedIOException("TrainingBenchmark needs MNIST: set MLP4J_MNIST or run from the "
                    + "repository root (data/mnist); " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        double norm = trainer.lastGradientNorm();
        trainer.close();
        if (!Double.isFinite(norm)) {
            throw new IllegalStateException("gradient norm " + norm + " after the benchmark");
        }
    }

    /** One optimizer step on the next {@code batch} samples of the pool; returns the batch loss. */
    @Benchmark
    public double step() {
        int s = cursor;
        cursor = s + batch == POOL ? 0 : s + batch;
        return trainer.step(x, s * network.inputSize(), y, s, batch);
    }
}
