package org.mlp4j.jmh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
 * ONNX Runtime Java (CPU execution provider) on the same nets and weights as {@link InferenceBenchmark}:
 * what a JVM team would pick for serving. The session is tuned for latency (all graph optimisations,
 * sequential execution, {@code ortThreads} intra-op threads, 1 by default like mlp4j's single-threaded
 * inference).
 *
 * <ul>
 *   <li>{@code predict} / {@code predictBatch128}: ONNX Runtime at its best from Java: input and output
 *       tensors created once over direct buffers, the output pinned, so a call is one native run.</li>
 *   <li>{@code predictTypical}: the usual code, a tensor created from a {@code float[][]} per call and the
 *       result read back as {@code float[][]} (what most services do).</li>
 * </ul>
 * Both engines' outputs are checked against PyTorch's on the exported check sample at setup.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class OnnxRuntimeBenchmark {
    static final int BATCH = InferenceBenchmark.BATCH;

    @Param({"tiny", "mnist"})
    public String net;

    @Param({"1"})
    public int ortThreads;

    private OrtEnvironment env;
    private OrtSession session;
    private OnnxTensor x1;
    private OnnxTensor y1;
    private OnnxTensor xB;
    private OnnxTensor yB;
    private FloatBuffer y1Buf;
    private FloatBuffer yBBuf;
    private Map<String, OnnxTensor> in1;
    private Map<String, OnnxTensor> out1;
    private Map<String, OnnxTensor> inB;
    private Map<String, OnnxTensor> outB;
    private float[][] typicalInput;

    @Setup(Level.Trial)
    public void setup() throws OrtException {
        int[] sizes = Models.sizes(net);
        int in = sizes[0];
        int out = sizes[sizes.length - 1];
        env = OrtEnvironment.getEnvironment();
        session = openSession(env, net, ortThreads);
        float[] check = Models.checkInput(net);
        x1 = OnnxTensor.createTensor(env, direct(check), new long[] {1, in});
        y1Buf = direct(new float[out]);
        y1 = OnnxTensor.createTensor(env, y1Buf, new long[] {1, out});
        xB = OnnxTensor.createTensor(env, direct(Data.uniform(BATCH * in, 7, 0f, 1f)), new long[] {BATCH, in});
        yBBuf = direct(new float[BATCH * out]);
        yB = OnnxTensor.createTensor(env, yBBuf, new long[] {BATCH, out});
        in1 = Map.of("x", x1);
        out1 = Map.of("y", y1);
        inB = Map.of("x", xB);
        outB = Map.of("y", yB);
        typicalInput = new float[][] {check};

        predict();
        float[] got = new float[out];
        y1Buf.get(0, got);
        Models.checkOutput("onnxruntime", net, got);
        float[] typical = predictTypical();
        Models.checkOutput("onnxruntime (typical)", net, typical);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        for (OnnxTensor t : new OnnxTensor[] {x1, y1, xB, yB}) {
            t.close();
        }
        session.close();
    }

    /** One sample; input and pinned output tensors reused. */
    @Benchmark
    public float predict() throws OrtException {
        try (OrtSession.Result r = session.run(in1, out1)) {
            return y1Buf.get(0);
        }
    }

    /** One sample the usual way: tensor from float[][] per call, result copied out as float[][]. */
    @Benchmark
    public float[] predictTypical() throws OrtException {
        try (OnnxTensor x = OnnxTensor.createTensor(env, typicalInput);
             OrtSession.Result r = session.run(Map.of("x", x))) {
            return ((float[][]) r.get(0).getValue())[0];
        }
    }

    /** 128 samples; tensors reused, output pinned. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public float predictBatch128() throws OrtException {
        try (OrtSession.Result r = session.run(inB, outB)) {
            return yBBuf.get(0);
        }
    }

    /** A session on the exported net: every graph optimisation, sequential, {@code threads} intra-op threads. */
    static OrtSession openSession(OrtEnvironment env, String net, int threads) throws OrtException {
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            return env.createSession(Models.resource(net + ".onnx"), opts);
        }
    }

    /** A native-order direct buffer holding {@code values}, positioned at 0. */
    static FloatBuffer direct(float[] values) {
        FloatBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        b.put(values).rewind();
        return b;
    }
}
