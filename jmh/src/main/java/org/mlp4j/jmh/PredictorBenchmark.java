package org.mlp4j.jmh;

import java.util.concurrent.TimeUnit;

import org.mlp4j.Network;
import org.mlp4j.Predictor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The serving {@link Predictor} on the exported nets ({@link Models}), float32 and bfloat16 weights, beside
 * {@link OnnxRuntimeBenchmark} and {@link InferenceBenchmark} (same nets, weights and inputs):
 * <ul>
 *   <li>{@code predict}: one sample, one thread (average and sample mode: p50/p99/p99.9);</li>
 *   <li>{@code predictBatch128}: 128 samples, one thread;</li>
 *   <li>{@code shared1} / {@code shared2}: request rate (ops/s, summed over threads) of 1 and 2 threads sharing
 *       one predictor, no workspace of their own;</li>
 *   <li>{@code publish}: the time to publish the network's weights (pack + one volatile write);</li>
 *   <li>group {@code swap}: one thread publishing back to back while another serves, sample mode: the
 *       latency of calls during publishes.</li>
 * </ul>
 * Allocation per call: run with {@code -prof gc} ({@code gc.alloc.rate.norm}, expected 0 B/op).
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class PredictorBenchmark {
    static final int BATCH = InferenceBenchmark.BATCH;

    /** The predictor all threads of a trial share. */
    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"tiny", "mnist"})
        public String net;

        @Param({"FLOAT32", "BFLOAT16"})
        public Predictor.Precision precision;

        Network network;
        Predictor predictor;

        @Setup(Level.Trial)
        public void setup() {
            Models.selectKernels("vector");
            network = Models.load(net);
            predictor = Predictor.of(network, precision);
            float[] out = new float[network.outputSize()];
            predictor.predict(Models.checkInput(net), 0, out, 0);
            if (precision == Predictor.Precision.FLOAT32) {
                Models.checkOutput("mlp4j predictor", net, out);
            }
        }
    }

    /** One thread's inputs and outputs (the predictor keeps its own scratch per thread). */
    @State(Scope.Thread)
    public static class Io {
        float[] input;
        float[] output;
        float[] batchInput;
        float[] batchOutput;

        @Setup(Level.Trial)
        public void setup(Shared s) {
            input = Models.checkInput(s.net);
            output = new float[s.network.outputSize()];
            batchInput = Data.uniform(BATCH * s.network.inputSize(), 7, 0f, 1f);
            batchOutput = new float[BATCH * s.network.outputSize()];
        }
    }

    /** One sample. */
    @Benchmark
    public float[] predict(Shared s, Io io) {
        s.predictor.predict(io.input, 0, io.output, 0);
        return io.output;
    }

    /** 128 samples. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public float[] predictBatch128(Shared s, Io io) {
        s.predictor.predictBatch(io.batchInput, BATCH, io.batchOutput);
        return io.batchOutput;
    }

    /** Request rate of one thread. */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public float[] shared1(Shared s, Io io) {
        s.predictor.predict(io.input, 0, io.output, 0);
        return io.output;
    }

    /** Request rate of two threads sharing the predictor. */
    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public float[] shared2(Shared s, Io io) {
        s.predictor.predict(io.input, 0, io.output, 0);
        return io.output;
    }

    /** Time to publish the network's weights. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public long publish(Shared s) {
        return s.predictor.publish(s.network);
    }

    /** Serving while {@link #swapPublisher} publishes back to back. */
    @Benchmark
    @Group("swap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    public float[] swapServer(Shared s, Io io) {
        s.predictor.predict(io.input, 0, io.output, 0);
        return io.output;
    }

    /** Publishes back to back while {@link #swapServer} serves. */
    @Benchmark
    @Group("swap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    public long swapPublisher(Shared s) {
        return s.predictor.publish(s.network);
    }
}
