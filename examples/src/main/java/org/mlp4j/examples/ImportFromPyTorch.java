package org.mlp4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.io.ModelFiles;

/**
 * The README's "Import from PyTorch and ONNX" example: load a network exported with {@code torch.onnx.export}
 * and the same network's state dict saved with {@code safetensors.torch.save_file}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp core/target/classes:examples/target/classes \
 *      org.mlp4j.examples.ImportFromPyTorch core/src/test/resources/import/relu_sigmoid.onnx \
 *      core/src/test/resources/import/relu_sigmoid.safetensors
 * </pre>
 * The files there come from {@code nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
 * nn.Linear(8, 1), nn.Sigmoid())} ({@code core/src/test/python/make_import_fixtures.py}).
 */
public final class ImportFromPyTorch {
    private ImportFromPyTorch() {
    }

    /**
     * Loads both files.
     *
     * @param onnxFile      the {@code torch.onnx.export} output
     * @param stateDictFile the {@code safetensors.torch.save_file(model.state_dict(), ...)} output
     * @return the network from the ONNX file and the one from the state dict
     * @throws IOException if a file cannot be read or does not hold such a network
     */
    public static Network[] run(Path onnxFile, Path stateDictFile) throws IOException {
        // README:begin import
        // torch.onnx.export(model, x, "model.onnx"): Gemm/MatMul + Add + activations, read without ONNX Runtime
        Network fromOnnx = ModelFiles.load(onnxFile);

        // safetensors.torch.save_file(model.state_dict(), "model.safetensors"): keys 0.weight, 0.bias, 2.weight, ...
        // A state dict records no activations: give the one after each nn.Linear.
        Network fromStateDict = ModelFiles.loadStateDict(stateDictFile, Loss.BCE,
                List.of(Activation.RELU, Activation.RELU, Activation.SIGMOID));
        // README:end
        return new Network[] {fromOnnx, fromStateDict};
    }

    /**
     * Runs the example: {@code ImportFromPyTorch ONNX_FILE STATE_DICT_FILE}.
     *
     * @param args the two files
     * @throws IOException if a file cannot be read or does not hold such a network
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ImportFromPyTorch MODEL.onnx STATE_DICT.safetensors");
            System.exit(2);
        }
        Network[] nets = run(Path.of(args[0]), Path.of(args[1]));
        float[] x = new float[nets[0].inputSize()];
        System.out.println("ONNX:       " + nets[0] + " -> " + nets[0].predict(x)[0]);
        System.out.println("state dict: " + nets[1] + " -> " + nets[1].predict(x)[0]);
    }
}
