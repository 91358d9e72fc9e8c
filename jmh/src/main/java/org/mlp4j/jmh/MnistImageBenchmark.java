package org.mlp4j.jmh;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.mlp4j.Network;
import org.mlp4j.Predictor;
import org.mlp4j.Workspace;
import org.mlp4j.io.Idx;
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
 * The benchmark MNIST net ({@link Models}, the weights ONNX Runtime runs too) on real MNIST test images instead
 * of {@code InferenceBenchmark}'s uniform random input. {@code predict}: each call scores the next of the first
 * {@value #IMAGES} test images, copied into the engine's input first (a {@code float[]} for mlp4j, the pinned
 * direct buffer for ONNX Runtime), as a service would. {@code predictBatch128}: each call scores the next of
 * {@value #BATCHES} batches of 128 of those images, each already in its own input (a {@code float[]}, an ONNX
 * Runtime tensor over its own direct buffer), as {@code predictBatch128} of the other benchmarks does. mlp4j
 * leaves out the blank stretches of an image (about 60 % of the first layer's k-steps one image at a time, 34 %
 * where all of a block of 8 images are blank; exactly: see {@code PackedGemm}); ONNX Runtime's time does not
 * depend on the values. The images come from {@code data/mnist} in the working directory ({@code jmh/run.sh} runs
 * from the repository root), else {@code ../shared/data/mnist}, or the directory in {@code -Dmlp4j.mnist}.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class MnistImageBenchmark {
    static final int IMAGES = 1024;
    static final int BATCH = InferenceBenchmark.BATCH;
    static final int BATCHES = IMAGES / BATCH;
    private static final int PIXELS = 784;

    @Param({"network", "predictor-fp32", "predictor-bf16", "onnxruntime"})
    public String engine;

    private float[] images;
    private int next;
    private float[] input;
    private float[] output;
    private Network network;
    private Workspace ws;
    private Predictor predictor;
    private OrtEnvironment env;
    private OrtSession session;
    private FloatBuffer ortIn;
    private FloatBuffer ortOut;
    private Map<String, OnnxTensor> ortInputs;
    private Map<String, OnnxTensor> ortOutputs;
    private float[][] batchInputs;
    private float[] batchOutput;
    private Workspace batchWs;
    private int nextBatch;
    private java.util.List<Map<String, OnnxTensor>> ortBatchInputs;
    private Map<String, OnnxTensor> ortBatchOutputs;
    private FloatBuffer ortBatchOut;

    @Setup(Level.Trial)
    public void setup() throws OrtException {
        float[] all = readImages();
        images = java.util.Arrays.copyOf(all, IMAGES * PIXELS);
        input = new float[PIXELS];
        output = new float[10];
        batchInputs = new float[BATCHES][];
        for (int i = 0; i < BATCHES; i++) {
            batchInputs[i] = java.util.Arrays.copyOfRange(images, i * BATCH * PIXELS, (i + 1) * BATCH * PIXELS);
        }
        batchOutput = new float[BATCH * 10];
        switch (engine) {
            case "network":
            case "predictor-fp32":
            case "predictor-bf16":
                Models.selectKernels("vector");
                network = Models.load("mnist");
                ws = network.newWorkspace();
                batchWs = network.newWorkspace(BATCH);
                if (!engine.equals("network")) {
                    predictor = Predictor.of(network, engine.equals("predictor-fp32")
                            ? Predictor.Precision.FLOAT32 : Predictor.Precision.BFLOAT16);
                }
                break;
            case "onnxruntime":
                env = OrtEnvironment.getEnvironment();
                session = OnnxRuntimeBenchmark.openSession(env, "mnist", 1);
                ortIn = OnnxRuntimeBenchmark.direct(Models.checkInput("mnist"));
                ortOut = OnnxRuntimeBenchmark.direct(new float[10]);
                ortInputs = Map.of("x", OnnxTensor.createTensor(env, ortIn, new long[] {1, PIXELS}));
                ortOutputs = Map.of("y", OnnxTensor.createTensor(env, ortOut, new long[] {1, 10}));
                ortBatchInputs = new java.util.ArrayList<>();
                for (float[] batch : batchInputs) {
                    ortBatchInputs.add(Map.of("x", OnnxTensor.createTensor(env, OnnxRuntimeBenchmark.direct(batch),
                            new long[] {BATCH, PIXELS})));
                }
                ortBatchOut = OnnxRuntimeBenchmark.direct(batchOutput);
                ortBatchOutputs = Map.of("y", OnnxTensor.createTensor(env, ortBatchOut, new long[] {BATCH, 10}));
                try (OrtSession.Result r = session.run(ortInputs, ortOutputs)) {
                    float[] got = new float[10];
                    ortOut.get(0, got);
                    Models.checkOutput("onnxruntime", "mnist", got); // the same function as mlp4j's
                }
                break;
            default:
                throw new IllegalArgumentException("engine: expected network, predictor-fp32, predictor-bf16 or "
                        + "onnxruntime, got " + engine);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        if (session != null) {
            for (OnnxTensor t : ortInputs.values()) {
                t.close();
            }
            for (OnnxTensor t : ortOutputs.values()) {
                t.close();
            }
            for (Map<String, OnnxTensor> m : ortBatchInputs) {
                for (OnnxTensor t : m.values()) {
                    t.close();
                }
            }
            for (OnnxTensor t : ortBatchOutputs.values()) {
                t.close();
            }
            session.close();
        }
    }

    /** The next image, scored by the engine. */
    @Benchmark
    public float predict() throws OrtException {
        int off = next * PIXELS;
        next = next + 1 == IMAGES ? 0 : next + 1;
        switch (engine) {
            case "network":
                System.arraycopy(images, off, input, 0, PIXELS);
                network.predict(input, 0, output, 0, ws);
                return output[0];
            case "onnxruntime":
                ortIn.put(0, images, off, PIXELS);
                try (OrtSession.Result r = session.run(ortInputs, ortOutputs)) {
                    return ortOut.get(0);
                }
            default:
                System.arraycopy(images, off, input, 0, PIXELS);
                predictor.predict(input, 0, output, 0);
                return output[0];
        }
    }

    /** The next batch of 128 images, scored by the engine (average time only: throughput = 128 / time). */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public float predictBatch128() throws OrtException {
        int i = nextBatch;
        nextBatch = i + 1 == BATCHES ? 0 : i + 1;
        switch (engine) {
            case "network":
                network.predictBatch(batchInputs[i], BATCH, batchOutput, batchWs);
                return batchOutput[0];
            case "onnxruntime":
                try (OrtSession.Result r = session.run(ortBatchInputs.get(i), ortBatchOutputs)) {
                    return ortBatchOut.get(0);
                }
            default:
                predictor.predictBatch(batchInputs[i], BATCH, batchOutput);
                return batchOutput[0];
        }
    }

    private static float[] readImages() {
        String dir = System.getProperty("mlp4j.mnist");
        Path[] candidates = dir != null ? new Path[] {Path.of(dir)}
                : new Path[] {Path.of("data", "mnist"), Path.of("..", "shared", "data", "mnist")};
        for (Path d : candidates) {
            Path f = d.resolve("t10k-images-idx3-ubyte.gz");
            if (Files.isRegularFile(f)) {
                try {
                    return Idx.readImages(f).toFeatures();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("MnistImageBenchmark: no t10k-images-idx3-ubyte.gz in "
                + java.util.Arrays.toString(candidates) + " (run from the repository root, or set -Dmlp4j.mnist)");
    }
}
