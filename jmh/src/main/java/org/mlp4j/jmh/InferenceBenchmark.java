package org.mlp4j.jmh;

import java.util.concurrent.TimeUnit;

import org.mlp4j.Network;
import org.mlp4j.Workspace;
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
 * mlp4j inference on the exported nets ({@link Models}): single-sample latency through the fused matvec
 * kernel ({@code predict}, average time and sample mode for percentiles) and batch-128 throughput through
 * the matrix kernels ({@code predictBatch128}; samples/s = 128 / time). Vector API vs scalar kernels is a
 * parameter; each combination runs in its own fork, so each JVM sees one kernel path only.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class InferenceBenchmark {
    static final int BATCH = 128;

    @Param({"tiny", "mnist"})
    public String net;

    @Param({"vector", "scalar"})
    public String kernels;

    private Network network;
    private Workspace ws;
    private Workspace batchWs;
    private float[] input;
    private float[] output;
    private float[] batchInput;
    private float[] batchOutput;

    @Setup(Level.Trial)
    public void setup() {
        Models.selectKernels(kernels);
        network = Models.load(net);
        ws = network.newWorkspace();
        batchWs = network.newWorkspace(BATCH);
        input = Models.checkInput(net);
        output = new float[network.outputSize()];
        batchInput = Data.uniform(BATCH * network.inputSize(), 7, 0f, 1f);
        batchOutput = new float[BATCH * network.outputSize()];
    }

    /** One sample, allocation-free API. */
    @Benchmark
    public float[] predict() {
        network.predict(input, 0, output, 0, ws);
        return output;
    }

    /** 128 samples through the mini-batch kernels. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public float[] predictBatch128() {
        network.predictBatch(batchInput, BATCH, batchOutput, batchWs);
        return batchOutput;
    }
}
