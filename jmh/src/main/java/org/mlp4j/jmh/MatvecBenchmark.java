package org.mlp4j.jmh;

import java.util.concurrent.TimeUnit;

import org.mlp4j.Activation;
import org.mlp4j.internal.kernel.Kernels;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fused single-sample kernels alone: {@code a = relu(W*x + b)} for one dense layer {@code "INxOUT"}
 * (the tiny and MNIST nets' layers plus an odd width). {@code 2*IN*OUT} FLOP per call; the report gives
 * GFLOP/s. {@code packedForward} is what {@code Network.predict} runs: the packed forward GEMM with one
 * sample, on the panels inference packs once, four panels per pass.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class MatvecBenchmark {
    @Param({"32x64", "64x64", "64x1", "784x256", "256x128", "128x10", "301x37"})
    public String layer;

    @Param({"vector", "scalar"})
    public String kernels;

    private Kernels k;
    private int in;
    private int out;
    private float[] w;
    private float[] x;
    private float[] y;
    private float[] packed;

    @Setup(Level.Trial)
    public void setup() {
        k = GemmBenchmark.kernels(kernels);
        int[] s = Data.shape(layer);
        in = s[0];
        out = s[1];
        w = Data.uniform(out * in + out, 1, -0.05f, 0.05f);
        x = Data.uniform(in, 2, 0f, 1f);
        y = new float[out];
        packed = new float[k.packedWeightsLength(out, in)];
        k.packWeights(w, 0, out * in, out, in, packed, 0);
    }

    @Benchmark
    public float[] packedForward() {
        k.gemmForwardPacked(x, 0, 1, packed, 0, out, in, null, 0, y, 0, Activation.RELU, 0f);
        return y;
    }
}
