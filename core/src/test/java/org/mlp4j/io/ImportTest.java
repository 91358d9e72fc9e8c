package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;

/**
 * Imports of PyTorch models: ONNX files from {@code torch.onnx.export} and state dicts from
 * {@code safetensors.torch.save_file}, compared with PyTorch's own outputs (fixtures made by
 * {@code core/src/test/python/make_import_fixtures.py}).
 */
class ImportTest {
    static final Path DIR = Paths.get("src", "test", "resources", "import");

    @TempDir
    Path tmp;

    /** The activations each fixture's nn.Sequential applies after its nn.Linear layers. */
    static List<Activation> activations(String name) {
        switch (name) {
            case "relu_sigmoid":
                return List.of(Activation.RELU, Activation.RELU, Activation.SIGMOID);
            case "tanh_leaky_softmax":
                return List.of(Activation.TANH, Activation.LEAKY_RELU, Activation.SOFTMAX);
            case "gelu":
                return List.of(Activation.GELU, Activation.IDENTITY);
            case "flatten_dropout":
                return List.of(Activation.RELU, Activation.IDENTITY);
            default:
                throw new AssertionError(name);
        }
    }

    /** Runs every expected input through {@code net} and compares with PyTorch's {@code key} output. */
    static void assertMatchesPyTorch(String name, Network net, String key, double tolerance) throws IOException {
        SafeTensorsFile e = SafeTensors.read(DIR.resolve(name + ".expected.safetensors"));
        float[] in = e.floats("input");
        float[] out = e.floats(key);
        int rows = e.shape("input")[0];
        int features = in.length / rows;
        int width = out.length / rows;
        assertEquals(features, net.inputSize(), name + " inputs");
        assertEquals(width, net.outputSize(), name + " outputs");
        float[] y = new float[width];
        for (int r = 0; r < rows; r++) {
            net.predict(in, r * features, y, 0, net.newWorkspace());
            for (int j = 0; j < width; j++) {
                float want = out[r * width + j];
                assertEquals(want, y[j], tolerance * Math.max(1, Math.abs(want)),
                        name + " " + key + " row " + r + " output " + j);
            }
        }
    }

    // --------------------------------------------------------------------------------------------- ONNX

    @ParameterizedTest
    @ValueSource(strings = {"relu_sigmoid", "tanh_leaky_softmax", "gelu", "flatten_dropout", "matmul_add"})
    void onnxExportMatchesPyTorch(String name) throws IOException {
        Network viaOnnx = Onnx.load(DIR.resolve(name + ".onnx"));
        assertMatchesPyTorch(name, viaOnnx, "output", 1e-5);
        Network viaLoad = ModelFiles.load(DIR.resolve(name + ".onnx")); // format detected from the content
        assertEquals(viaOnnx.toString(), viaLoad.toString());
    }

    @Test
    void onnxImportKeepsActivationsSlopeAndLoss() throws IOException {
        Network net = Onnx.load(DIR.resolve("tanh_leaky_softmax.onnx"));
        assertEquals(Activation.TANH, net.activation(0));
        assertEquals(Activation.LEAKY_RELU, net.activation(1));
        assertEquals(Activation.SOFTMAX, net.activation(2));
        assertEquals(0.2f, net.leakyReluSlope());
        assertEquals(Loss.CROSS_ENTROPY, net.loss());
        assertEquals(Activation.GELU, Onnx.load(DIR.resolve("gelu.onnx")).activation(0));
        assertEquals(Loss.BCE, Onnx.load(DIR.resolve("relu_sigmoid.onnx")).loss());
    }

    @Test
    void unsupportedOperatorNamesTheNode() throws IOException {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Onnx.load(DIR.resolve("unsupported_layernorm.onnx")));
        String m = e.getMessage();
        assertTrue(m.contains("unsupported_layernorm.onnx") && m.contains("node '") && m.contains("ReduceMean")
                && m.contains("unsupported operator") && m.contains("supported: Gemm"), m);
    }

    @Test
    void onnxImportedModelSavesAndReloadsAsSafetensors() throws IOException {
        Network net = Onnx.load(DIR.resolve("relu_sigmoid.onnx"));
        Path file = tmp.resolve("m.safetensors");
        ModelFiles.save(net, file);
        assertMatchesPyTorch("relu_sigmoid", ModelFiles.load(file), "output", 1e-5);
    }

    // --------------------------------------------------------------------------------------------- state dicts

    @ParameterizedTest
    @ValueSource(strings = {"relu_sigmoid", "tanh_leaky_softmax", "gelu", "flatten_dropout"})
    void stateDictLoadsGivenTheActivations(String name) throws IOException {
        Loss loss = name.equals("relu_sigmoid") ? Loss.BCE : name.equals("tanh_leaky_softmax") ? Loss.CROSS_ENTROPY
                : Loss.MSE;
        Network f32 = ModelFiles.loadStateDict(DIR.resolve(name + ".safetensors"), loss, activations(name));
        if (name.equals("tanh_leaky_softmax")) {
            // PyTorch's fixture uses LeakyReLU(0.2); the state dict does not record it, so rebuild with that slope.
            Network.Builder b = Network.builder(f32.inputSize()).loss(loss).leakyReluSlope(0.2f);
            for (int l = 0; l < f32.layerCount(); l++) {
                b.dense(f32.layout().outputs(l), f32.activation(l));
            }
            Network n = b.build();
            n.setParameters(f32.parameters());
            f32 = n;
        }
        assertMatchesPyTorch(name, f32, "output", 1e-5);
        if (!name.equals("tanh_leaky_softmax")) {
            assertMatchesPyTorch(name, ModelFiles.loadStateDict(DIR.resolve(name + ".f16.safetensors"), loss,
                    activations(name)), "output_f16", 1e-5);
            assertMatchesPyTorch(name, ModelFiles.loadStateDict(DIR.resolve(name + ".bf16.safetensors"), loss,
                    activations(name)), "output_bf16", 1e-5);
        }
    }

    @Test
    void stateDictThroughLoadSaysHowToLoadIt() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelFiles.load(DIR.resolve("relu_sigmoid.safetensors")));
        String m = e.getMessage();
        assertTrue(m.contains("'layer_sizes'") && m.contains("PyTorch state dict of 3 nn.Linear layers")
                && m.contains("0.weight [16, 6]") && m.contains("4.weight [1, 8]")
                && m.contains("ModelFiles.loadStateDict"), m);
    }

    @Test
    void stateDictWithTheWrongNumberOfActivations() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelFiles.loadStateDict(DIR.resolve("relu_sigmoid.safetensors"), Loss.MSE,
                        List.of(Activation.RELU, Activation.IDENTITY)));
        assertTrue(e.getMessage().contains("expected 2 nn.Linear layers (one per activation given: relu,identity), "
                + "the file has 3: 0.weight [16, 6], 2.weight [8, 16], 4.weight [1, 8]"), e.getMessage());
    }

    @Test
    void stateDictWithOtherLayersNamesThem() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelFiles.loadStateDict(DIR.resolve("unsupported_layernorm.safetensors"), Loss.MSE,
                        List.of(Activation.RELU, Activation.IDENTITY)));
        assertTrue(e.getMessage().contains("tensor '1.weight' of shape [6] is not an nn.Linear weight"),
                e.getMessage());
    }

    @Test
    void stateDictMissingBiasAndBrokenChain() throws IOException {
        SafeTensorsFile f = SafeTensors.read(DIR.resolve("relu_sigmoid.safetensors"));
        var tensors = f.tensors();
        tensors.remove("2.bias");
        Path noBias = tmp.resolve("nobias.safetensors");
        SafeTensors.write(noBias, java.util.Map.of(), tensors);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelFiles.loadStateDict(noBias, Loss.MSE, activations("relu_sigmoid")));
        assertTrue(e.getMessage().contains("tensor '2.bias' of shape [8] is missing"), e.getMessage());

        tensors = f.tensors();
        tensors.put("2.weight", Tensor.matrix(8, 15, new float[8 * 15]));
        Path broken = tmp.resolve("broken.safetensors");
        SafeTensors.write(broken, java.util.Map.of(), tensors);
        e = assertThrows(ModelFormatException.class,
                () -> ModelFiles.loadStateDict(broken, Loss.MSE, activations("relu_sigmoid")));
        assertTrue(e.getMessage().contains("tensor '2.weight' has shape [8, 15]: expected [8, 16] (its input is the "
                + "16 outputs of '0.weight')"), e.getMessage());
    }

    @Test
    void modulePathsSortNumerically() {
        List<String> paths = new java.util.ArrayList<>(List.of("10", "2", "fc10", "fc2", "net.1", "0"));
        paths.sort(StateDicts.NATURAL);
        assertEquals(List.of("0", "2", "10", "fc2", "fc10", "net.1"), paths);
    }

    // --------------------------------------------------------------------------------------------- wrong files

    @Test
    void pytorchPickleAndZipFilesSayWhatTheyAre() {
        for (String name : List.of("relu_sigmoid.pt", "relu_sigmoid.legacy.pt")) {
            SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class,
                    () -> ModelFiles.load(DIR.resolve(name)));
            assertTrue(e.getMessage().contains("not a safetensors file") && e.getMessage().contains("torch.save")
                    && e.getMessage().contains("safetensors.torch.save_file"), e.getMessage());
        }
    }

    @Test
    void onnxFileWhereSafetensorsIsExpected() {
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class,
                () -> SafeTensors.read(DIR.resolve("gelu.onnx")));
        assertTrue(e.getMessage().contains("looks like an ONNX model"), e.getMessage());
    }

    @Test
    void safetensorsFileGivenToOnnxLoad() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Onnx.load(DIR.resolve("gelu.safetensors")));
        assertTrue(e.getMessage().contains("not a valid ONNX model"), e.getMessage());
    }

    @Test
    void millionsOfTinyNodesAreRefusedBeforeTheyFillTheHeap() throws IOException {
        int nodes = (int) Protobuf.MAX_ITEMS + 1;
        // ModelProto { ir_version: 7, graph (field 7): GraphProto { node (field 1, empty) x nodes } }
        int graphLength = 2 * nodes;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(graphLength + 16);
        out.write(0x08);
        out.write(7);
        out.write(0x3a);
        for (int v = graphLength; ; v >>>= 7) { // varint length
            if (v < 0x80) {
                out.write(v);
                break;
            }
            out.write((v & 0x7f) | 0x80);
        }
        byte[] node = {0x0a, 0};
        for (int i = 0; i < nodes; i++) {
            out.write(node, 0, 2);
        }
        Path f = tmp.resolve("many.onnx");
        Files.write(f, out.toByteArray());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Onnx.load(f));
        assertTrue(e.getMessage().contains("more than " + Protobuf.MAX_ITEMS), e.getMessage());
    }

    @Test
    void onnxFileLargerThanTheHeapAllowsIsRefusedBeforeReading() throws IOException {
        Path f = tmp.resolve("huge.onnx");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(Runtime.getRuntime().maxMemory() / 2); // sparse
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Onnx.load(f));
        assertTrue(e.getMessage().contains("bytes of heap to import") && e.getMessage().contains("-Xmx"),
                e.getMessage());
    }

    @Test
    void emptyOnnxFile() throws IOException {
        Path f = tmp.resolve("empty.onnx");
        Files.write(f, new byte[0]);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Onnx.load(f));
        assertTrue(e.getMessage().contains("expected an ir_version and a graph"), e.getMessage());
    }
}
