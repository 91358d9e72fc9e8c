package org.mlp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.io.SafeTensors;
import org.mlp4j.io.SafeTensorsFile;

/**
 * {@code predict} on models made by PyTorch: the ONNX export and the plain state dict of the same
 * {@code nn.Sequential} (core's import fixtures, made by core/src/test/python/make_import_fixtures.py) give
 * PyTorch's outputs.
 */
class ImportedModelsCliTest {
    private static final Path FIXTURES = Path.of("../core/src/test/resources/import");

    @TempDir
    Path dir;

    @Test
    void predictReadsOnnxAndStateDictsLikePyTorch() throws IOException {
        SafeTensorsFile expected = SafeTensors.read(FIXTURES.resolve("relu_sigmoid.expected.safetensors"));
        float[] in = expected.floats("input");
        float[] out = expected.floats("output");
        int rows = expected.shape("input")[0];
        int features = in.length / rows;
        StringBuilder csv = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < features; j++) {
                csv.append(j > 0 ? "," : "").append(in[r * features + j]);
            }
            csv.append('\n');
        }
        Path input = Files.writeString(dir.resolve("rows.csv"), csv.toString());

        List<String> onnx = predict("--model", FIXTURES.resolve("relu_sigmoid.onnx").toString());
        List<String> stateDict = predict("--model", FIXTURES.resolve("relu_sigmoid.safetensors").toString(),
                "--state-dict-activations", "relu,relu,sigmoid", "--state-dict-loss", "bce");
        assertEquals(onnx, stateDict, "the ONNX export and the state dict of one model predict alike");
        assertEquals(rows + 1, onnx.size(), "a header and one line per row");
        for (int r = 0; r < rows; r++) {
            String[] cells = onnx.get(r + 1).split(",");
            double got = Double.parseDouble(cells[cells.length - 1]); // class, then the probability p1
            assertEquals(out[r], got, 1e-5, "row " + r + " against PyTorch");
        }
        MainTest.Result bad = MainTest.run("predict", "--model", FIXTURES.resolve("relu_sigmoid.safetensors").toString(),
                "--input", input.toString(), "--output", dir.resolve("x.csv").toString(),
                "--state-dict-activations", "relu,swish,sigmoid");
        assertTrue(bad.code() != 0 && bad.err().contains("--state-dict-activations"), bad.all());
    }

    private List<String> predict(String... model) throws IOException {
        Path output = dir.resolve("out-" + System.nanoTime() + ".csv");
        String[] args = new String[model.length + 4];
        args[0] = "predict";
        System.arraycopy(model, 0, args, 1, model.length);
        args[model.length + 1] = "--input";
        args[model.length + 2] = dir.resolve("rows.csv").toString();
        args[model.length + 3] = "--output=" + output;
        MainTest.Result r = MainTest.run(args);
        assertEquals(0, r.code(), r.all());
        return Files.readAllLines(output).stream().map(l -> l.toLowerCase(Locale.ROOT)).toList();
    }
}
