package org.mlp4j.jmh;

import java.util.concurrent.TimeUnit;

import org.mlp4j.Activation;
import org.mlp4j.internal.kernel.KernelProvider;
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
 * The mini-batch matrix kernels alone, one thread, on one dense layer {@code layer = "INxOUT"} (the MNIST
 * net's three layers plus an odd-width one) and a batch of {@code batch} samples. Each call is
 * {@code 2*batch*IN*OUT} FLOP; the report turns ns/op into GFLOP/s and compares with OpenBLAS sgemm on the
 * same shapes ({@code shared/peers/sgemm_mlp.py}: fwd Z=A*W^T, bwd dA=dZ*W, bwd dW=dZ^T*A).
 *
 * <p>{@code gemmForward} also adds the bias and applies ReLU (the layer as mlp4j runs it; sgemm does
 * neither, the extra work is O(batch*OUT)); {@code gemmWeightGradient} also computes the bias gradient.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class GemmBenchmark {
    @Param({"784x256", "256x128", "128x10", "301x37"})
    public String layer;

    @Param({"32", "128", "256"})
    public int batch;

    @Param({"vector", "scalar"})
    public String kernels;

    private Kernels k;
    private int in;
    private int out;
    private float[] w;
    private float[] a;
    private float[] z;
    private float[] act;
    private float[] dz;
    private float[] da;
    private float[] g;
    private float[] packed;

    @Setup(Level.Trial)
    public void setup() {
        k = kernels(kernels);
        int[] s = Data.shape(layer);
        in = s[0];
        out = s[1];
        w = Data.uniform(out * in + out, 1, -0.05f, 0.05f);  // weights then bias, as in the flat layout
        a = Data.uniform(batch * in, 2, 0f, 1f);
        z = new float[batch * out];
        act = new float[batch * out];
        dz = Data.uniform(batch * out, 3, -0.01f, 0.01f);
        da = new float[batch * in];
        g = new float[out * in + out];
        packed = new float[k.packedWeightsLength(out, in)];
        k.packWeights(w, 0, out * in, out, in, packed, 0);
    }

    static Kernels kernels(String name) {
        switch (name) {
            case "vector": return KernelProvider.vector().orElseThrow(() -> new IllegalStateException(
                    "no Vector API kernels: " + KernelProvider.vectorUnavailableReason().orElse("?")));
            case "scalar": return KernelProvider.scalar();
            default: throw new IllegalArgumentException("kernels: expected vector or scalar, got " + name);
        }
    }

    /**
     * {@code Z = A*W^T + b}, {@code Act = relu(Z)}: [batch x in] x [in x out], from weights packed once (as
     * inference reads them; training adds {@link #packWeights} once per step).
     */
    @Benchmark
    public float[] gemmForward() {
        k.gemmForwardPacked(a, 0, batch, packed, 0, out, in, z, 0, act, 0, Activation.RELU, 0f);
        return act;
    }

    /** Packing {@code W} and {@code b} for {@link #gemmForward}: the per-step cost of training. */
    @Benchmark
    public float[] packWeights() {
        k.packWeights(w, 0, out * in, out, in, packed, 0);
        return packed;
    }

    /** {@code dA = dZ*W}: [batch x out] x [out x in]. */
    @Benchmark
    public float[] gemmBackwardInput() {
        k.gemmBackwardInput(dz, 0, batch, w, 0, out, in, da, 0);
        return da;
    }

    /** {@code G += dZ^T*A}, {@code gb += sum_b dZ}: [out x batch] x [batch x in]. */
    @Benchmark
    public float[] gemmWeightGradient() {
        k.gemmWeightGradient(dz, 0, out, batch, a, 0, out, in, g, 0, out * in);
        return g;
    }
}
