package org.mlp4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.io.ModelFiles;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * How {@code eval} and {@code predict} read {@code --model}: an mlp4j model file or an ONNX file as they are
 * ({@link ModelFiles#load} tells them apart), or, with {@code --state-dict-activations}, a plain PyTorch state dict
 * ({@link ModelFiles#loadStateDict}), which records no activations.
 */
final class ModelSource {
    /** Text for the {@code --model} option of the commands that use this mixin. */
    static final String MODEL_HELP = "Model file: safetensors from 'mlp4j train' (or PyTorch with the same names and "
            + "metadata), an ONNX file (torch.onnx.export of a dense network), or a PyTorch state dict "
            + "(safetensors.torch.save_file) with --state-dict-activations.";

    @Option(names = "--state-dict-activations", split = ",", paramLabel = "NAME",
            description = "Read --model as a PyTorch state dict of nn.Linear layers (keys 0.weight, 0.bias, "
                    + "2.weight, ...), with these activations, one after each nn.Linear in order: relu, "
                    + "leaky_relu, sigmoid, tanh, gelu, softmax, identity.")
    String[] activations;

    @Option(names = "--state-dict-loss", paramLabel = "NAME", defaultValue = "cross_entropy",
            description = "The loss of a state dict read with --state-dict-activations (cross_entropy for class "
                    + "logits, mse, bce, bce_with_logits). Default ${DEFAULT-VALUE}.")
    String loss;

    /** The network in {@code model}, read as the options say. */
    Network load(Path model, CommandLine cl) throws IOException {
        if (activations == null) {
            return ModelFiles.load(model);
        }
        Loss l;
        try {
            l = Loss.fromId(loss);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, "--state-dict-loss: " + e.getMessage().replaceFirst("^loss: ", ""));
        }
        List<Activation> acts = new ArrayList<>();
        for (String a : activations) {
            try {
                acts.add(Activation.fromId(a));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(cl, "--state-dict-activations: "
                        + e.getMessage().replaceFirst("^activation: ", ""));
            }
        }
        return ModelFiles.loadStateDict(model, l, acts);
    }
}
