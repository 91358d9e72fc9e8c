package org.mlp4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mlp4j.Network;
import org.mlp4j.io.Onnx;

/**
 * mlp4j's ONNX import computes what ONNX Runtime computes on the same file: the PyTorch-exported fixtures of
 * core's import tests, on random inputs (seeded), batch by batch.
 */
class OnnxRuntimeComparisonTest {
    @ParameterizedTest
    @ValueSource(strings = {"relu_sigmoid", "tanh_leaky_softmax", "gelu", "flatten_dropout", "matmul_add",
            "../../../../../jmh/src/main/resources/models/mnist", "../../../../../jmh/src/main/resources/models/tiny"})
    void importedNetworkMatchesOnnxRuntime(String name) throws Exception {
        // the last two: the benchmark's 784-256-128-10 and 32-64-64-1 exports (jmh/scripts/export_models.py)
        Path file = ExamplesTest.IMPORT_FIXTURES.resolve(name + ".onnx").normalize();
        Network net = Onnx.load(file);
        int in = net.inputSize();
        int out = net.outputSize();
        int rows = 64;
        float[] x = new float[rows * in];
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-3, 3);
        }
        // flatten_dropout takes [batch, 3, 4] (its graph starts with Flatten)
        long[] shape = name.endsWith("flatten_dropout") ? new long[] {rows, 3, 4} : new long[] {rows, in};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][] ort;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(file.toString(), opts);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
                ort = (float[][]) result.get(0).getValue();
            }
        }
        float[] y = new float[out];
        for (int r = 0; r < rows; r++) {
            net.predict(x, r * in, y, 0, net.newWorkspace());
            for (int j = 0; j < out; j++) {
                assertEquals(ort[r][j], y[j], 2e-5 * Math.max(1, Math.abs(ort[r][j])),
                        name + " row " + r + " output " + j);
            }
        }
        assertEquals(List.of(rows, out), List.of(ort.length, ort[0].length));
    }
}
