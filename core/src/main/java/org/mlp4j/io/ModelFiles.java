package org.mlp4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;

/**
 * Saves and loads models and training checkpoints as safetensors files with PyTorch-compatible names.
 *
 * <p>A model file holds, for each dense layer {@code i}, {@code layers.{i}.weight} of shape {@code [out, in]}
 * and {@code layers.{i}.bias} of shape {@code [out]} (F32, little-endian, the layout of {@code nn.Linear}), and
 * the architecture in {@code __metadata__}: {@code layer_sizes} ({@code "784,256,128,10"}), {@code activations}
 * ({@code "relu,relu,identity"}), {@code loss} and {@code leaky_relu_slope}. In PyTorch:
 *
 * <pre>
 * from safetensors.torch import load_file
 * import torch.nn as nn
 * sd = load_file("model.safetensors")
 * model = nn.Module(); model.layers = nn.ModuleList(
 *     nn.Linear(w.shape[1], w.shape[0]) for w in (sd[f"layers.{i}.weight"] for i in range(len(sd) // 2)))
 * model.load_state_dict(sd)
 * </pre>
 *
 * <p>A checkpoint adds the optimizer ({@code optimizer}, {@code optimizer.<hyperparameter>},
 * {@code optimizer.steps}, state tensors {@code optimizer.state.<name>}), the trainer's progress
 * ({@code trainer.seed}, {@code trainer.completed_epochs}, {@code trainer.iterations}) and early-stopping state
 * ({@code trainer.best_epoch}, {@code trainer.best_validation_loss}, tensor {@code trainer.best_parameters}). A
 * checkpoint is also a valid model file.
 *
 * <p>Writes are atomic (temporary file, forced to disk, renamed over the target): a crash never leaves a
 * partial file. Loading treats the file as untrusted: beyond the format checks of {@link SafeTensors#read},
 * the architecture keys must be present and known, every layer tensor must have the shape the architecture
 * implies, and values must be finite; violations raise a {@link ModelFormatException} naming the file.
 * Tensors not named {@code layers.*} are ignored when loading a model (so PyTorch's reference files, which also
 * hold inputs and gradients, load too).
 *
 * <p>{@link #load} also reads ONNX files (see {@link Onnx}), recognised by their content, not their name.
 * {@link #loadStateDict} reads a plain PyTorch state dict (as {@code safetensors.torch.save_file} writes it,
 * without mlp4j's metadata) given the activations and loss, which a state dict does not record.
 */
public final class ModelFiles {
    /** Value of the {@code format} metadata key in files written here. */
    public static final String FORMAT = "mlp4j-model-v1";
    /** Largest layer width accepted from a file. */
    static final int MAX_WIDTH = 1 << 24;
    private static final Pattern LAYER_TENSOR = Pattern.compile("layers\\.(\\d+)\\.(.*)");
    private static final String APP_PREFIX = "app.";

    private ModelFiles() {
    }

    // ------------------------------------------------------------------------------------------------ models

    /**
     * Writes {@code network} (architecture and parameters) to {@code file} as F32, replacing it atomically.
     *
     * @param network the network to save
     * @param file    the target
     * @throws IOException if writing fails; an existing file is then unchanged
     */
    public static void save(Network network, Path file) throws IOException {
        save(network, file, SafeTensors.Dtype.F32, Map.of());
    }

    /**
     * Like {@link #save(Network, Path)}, storing application entries with the model (e.g. class names or feature
     * scaling; read back with {@link #loadMetadata}). They are kept apart from the architecture keys.
     *
     * @param network  the network to save
     * @param file     the target
     * @param metadata application entries (key to value) stored with the model
     * @throws IOException if writing fails; an existing file is then unchanged
     */
    public static void save(Network network, Path file, Map<String, String> metadata) throws IOException {
        save(network, file, SafeTensors.Dtype.F32, metadata);
    }

    /**
     * The application entries stored with a model by {@link #save(Network, Path, Map)} (or with a checkpoint),
     * without their internal prefix; empty when there are none (always for an ONNX model).
     *
     * @param file the model or checkpoint file
     * @return the entries, unmodifiable, in file order
     * @throws SafeTensorsFormatException if the file is not a valid safetensors file
     * @throws IOException                if the file cannot be read
     */
    public static Map<String, String> loadMetadata(Path file) throws IOException {
        Map<String, String> app = new LinkedHashMap<>();
        if (isOnnx(Objects.requireNonNull(file, "file"))) {
            return Collections.unmodifiableMap(app); // an ONNX model (see load) carries no mlp4j entries
        }
        SafeTensors.read(file).metadata().forEach((k, v) -> {
            if (k.startsWith(APP_PREFIX)) {
                app.put(k.substring(APP_PREFIX.length()), v);
            }
        });
        return Collections.unmodifiableMap(app);
    }

    /**
     * Writes {@code network} like {@link #save(Network, Path)} with its parameters stored as {@code dtype}:
     * {@link SafeTensors.Dtype#BF16} halves the file (for serving; about 2-3 significant digits per weight),
     * {@link SafeTensors.Dtype#F16} too but fails here if a parameter is beyond F16's range.
     *
     * @param network the network to save
     * @param file    the target
     * @param dtype   how the weights and biases are stored
     * @throws IllegalArgumentException if {@code dtype} is F16 and a parameter's magnitude rounds beyond 65504
     * @throws IOException              if writing fails; an existing file is then unchanged
     */
    public static void save(Network network, Path file, SafeTensors.Dtype dtype) throws IOException {
        save(network, file, dtype, Map.of());
    }

    /**
     * Writes {@code network} with its parameters stored as {@code dtype} (see
     * {@link #save(Network, Path, SafeTensors.Dtype)}) and the application entries {@code metadata} (see
     * {@link #save(Network, Path, Map)}), replacing {@code file} atomically.
     *
     * @param network  the network to save
     * @param file     the target
     * @param dtype    how the weights and biases are stored
     * @param metadata application entries, kept apart from the architecture keys
     * @throws IllegalArgumentException if {@code dtype} is F16 and a parameter's magnitude rounds beyond 65504
     * @throws IOException              if writing fails; an existing file is then unchanged
     */
    public static void save(Network network, Path file, SafeTensors.Dtype dtype, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(metadata, "metadata");
        if (dtype == SafeTensors.Dtype.F16) {
            float[] p = network.parameters();
            for (int i = 0; i < p.length; i++) {
                if (Float.isInfinite(HalfFloats.f16ToFloat(HalfFloats.floatToF16(p[i])))) {
                    throw new IllegalArgumentException("dtype: F16 cannot store parameter " + i + " = " + p[i]
                            + " (largest F16 value 65504); use BF16 or F32");
                }
            }
        }
        Map<String, String> meta = architecture(network);
        metadata.forEach((k, v) -> meta.put(APP_PREFIX + Objects.requireNonNull(k, "metadata key"),
                Objects.requireNonNull(v, "metadata value of " + k)));
        SafeTensors.write(file, meta, layerTensors(network, new LinkedHashMap<>()), dtype);
    }

    /**
     * Reads a model: a safetensors file written by {@link #save} (or by PyTorch tooling with the same names and
     * metadata), or an ONNX file (see {@link Onnx#load}), told apart by their first bytes.
     *
     * @param file the model file
     * @return the network
     * @throws ModelFormatException       if the metadata or tensors do not describe a valid network (the message
     *                                    says how to load a plain PyTorch state dict when the file is one)
     * @throws SafeTensorsFormatException if the file is not a valid safetensors file (nor ONNX); the message
     *                                    names other kinds of file it recognises, such as {@code .pt}
     * @throws IOException                if the file cannot be read
     */
    public static Network load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (isOnnx(file)) {
            return Onnx.load(file);
        }
        return network(SafeTensors.read(file));
    }

    /** True when {@code file} starts like an ONNX model and not like safetensors. */
    private static boolean isOnnx(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(16);
        }
        return !FileKinds.looksLikeSafeTensors(head, head.length) && FileKinds.looksLikeOnnx(head, head.length);
    }

    /**
     * Reads a PyTorch state dict saved with {@code safetensors.torch.save_file(model.state_dict(), path)}, for
     * a model that is a chain of {@code nn.Linear} layers and parameter-free activations, such as
     * {@code nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))} (keys {@code 0.weight},
     * {@code 0.bias}, {@code 2.weight}, ...). The file records no activations, so they are given here, one per
     * {@code nn.Linear} in order ({@link Activation#IDENTITY} where none follows). Layers are ordered by their
     * module path (numbers compared as numbers: {@code 2} before {@code 10}); any prefix works
     * ({@code model.0.weight}, {@code fc1.weight}). Weights may be F32, F16 or BF16. Leaky ReLU uses PyTorch's
     * default slope 0.01.
     *
     * @param file        the safetensors file
     * @param loss        the loss for further training ({@link Loss#CROSS_ENTROPY} for logits of classes)
     * @param activations the activation after each {@code nn.Linear}, in order
     * @return the network with the file's weights
     * @throws ModelFormatException       naming what is missing or does not fit: a bias, a tensor that is not an
     *                                    {@code nn.Linear} weight or bias, a layer count that differs from the
     *                                    activations given, shapes that do not chain
     * @throws SafeTensorsFormatException if the file is not a valid safetensors file
     * @throws IOException                if the file cannot be read
     */
    public static Network loadStateDict(Path file, Loss loss, List<Activation> activations) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(activations, "activations");
        for (int i = 0; i < activations.size(); i++) {
            Objects.requireNonNull(activations.get(i), "activations[" + i + "]");
        }
        return StateDicts.network(SafeTensors.read(file), loss, List.copyOf(activations));
    }

    // ------------------------------------------------------------------------------------------------ checkpoints

    /**
     * Writes a training checkpoint of {@code trainer} (its network, optimizer, progress and early-stopping state)
     * to {@code file}, replacing it atomically. Call it between epochs, e.g. from
     * {@link org.mlp4j.TrainingListener#onEpoch}.
     *
     * @param trainer  the trainer whose state is saved
     * @param file     the target
     * @param metadata application entries to store with it (returned by {@link TrainingCheckpoint#metadata()})
     * @throws IOException if writing fails; an existing file is then unchanged
     */
    public static void saveCheckpoint(Trainer trainer, Path file, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(metadata, "metadata");
        Network net = trainer.network();
        Optimizer opt = trainer.optimizer();
        Map<String, String> meta = architecture(net);
        meta.put("checkpoint", "true");
        meta.put("optimizer", opt.id());
        opt.hyperparameters().forEach((k, v) -> meta.put("optimizer." + k, v));
        meta.put("optimizer.steps", Long.toString(opt.steps()));
        meta.put("trainer.seed", Long.toString(trainer.seed()));
        meta.put("trainer.completed_epochs", Integer.toString(trainer.completedEpochs()));
        meta.put("trainer.iterations", Long.toString(trainer.iterations()));
        meta.put("trainer.best_epoch", Integer.toString(trainer.bestEpoch()));
        meta.put("trainer.best_validation_loss", Double.toString(trainer.bestValidationLoss()));
        metadata.forEach((k, v) -> meta.put(APP_PREFIX + k, v));
        Map<String, Tensor> tensors = layerTensors(net, new LinkedHashMap<>());
        opt.state().forEach((k, v) -> tensors.put("optimizer.state." + k, Tensor.vector(v)));
        float[] best = trainer.bestParameters();
        if (best != null) {
            tensors.put("trainer.best_parameters", Tensor.vector(best));
        }
        SafeTensors.write(file, meta, tensors);
    }

    /**
     * Reads a checkpoint written by {@link #saveCheckpoint}.
     *
     * @param file the checkpoint file
     * @return the network, optimizer and progress it holds
     * @throws ModelFormatException       if it is not a valid checkpoint (a plain model file, bad optimizer
     *                                    settings or state, inconsistent progress)
     * @throws SafeTensorsFormatException if the file is not a valid safetensors file
     * @throws IOException                if the file cannot be read
     */
    public static TrainingCheckpoint loadCheckpoint(Path file) throws IOException {
        SafeTensorsFile f = SafeTensors.read(file);
        Map<String, String> meta = f.metadata();
        if (!"true".equals(meta.get("checkpoint"))) {
            throw new ModelFormatException(file + ": expected a training checkpoint (metadata checkpoint=true), "
                    + "got a file without it (a plain model file?)");
        }
        Network net = network(f);
        int n = net.parameterCount();
        Optimizer opt = optimizer(f);
        long steps = longKey(f, "optimizer.steps", 0);
        Map<String, float[]> state = new LinkedHashMap<>();
        for (String name : f.names()) {
            if (name.startsWith("optimizer.state.")) {
                float[] v = vectorTensor(f, name, n);
                state.put(name.substring("optimizer.state.".length()), v);
            }
        }
        try {
            opt.restoreState(steps, state, n);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": optimizer state: " + e.getMessage(), e);
        }
        long seed = longKey(f, "trainer.seed", Long.MIN_VALUE);
        long epochs = longKey(f, "trainer.completed_epochs", 0);
        long iterations = longKey(f, "trainer.iterations", 0);
        long bestEpoch = longKey(f, "trainer.best_epoch", 0);
        if (epochs > Integer.MAX_VALUE || bestEpoch > epochs) {
            throw new ModelFormatException(file + ": trainer.best_epoch / trainer.completed_epochs: expected "
                    + "0 <= best_epoch <= completed_epochs <= " + Integer.MAX_VALUE + ", got " + bestEpoch + " and "
                    + epochs);
        }
        double bestLoss = Double.POSITIVE_INFINITY;
        float[] best = null;
        if (bestEpoch > 0) {
            String s = required(f, "trainer.best_validation_loss");
            try {
                bestLoss = Double.parseDouble(s);
            } catch (NumberFormatException e) {
                bestLoss = Double.NaN;
            }
            if (Double.isNaN(bestLoss)) {
                throw new ModelFormatException(file + ": metadata trainer.best_validation_loss: expected a number, got '"
                        + s + "'");
            }
            if (!f.has("trainer.best_parameters")) {
                throw new ModelFormatException(file + ": expected tensor trainer.best_parameters (best_epoch is "
                        + bestEpoch + "), it is missing");
            }
            best = vectorTensor(f, "trainer.best_parameters", n);
        }
        Map<String, String> app = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k.startsWith(APP_PREFIX)) {
                app.put(k.substring(APP_PREFIX.length()), v);
            }
        });
        return new TrainingCheckpoint(net, opt, seed, (int) epochs, iterations, (int) bestEpoch, bestLoss, best, app);
    }

    // ------------------------------------------------------------------------------------------------ writing

    private static Map<String, String> architecture(Network net) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        StringBuilder sizes = new StringBuilder().append(net.inputSize());
        StringBuilder acts = new StringBuilder();
        for (int l = 0; l < net.layerCount(); l++) {
            sizes.append(',').append(net.layout().outputs(l));
            acts.append(l == 0 ? "" : ",").append(net.activation(l).id());
        }
        meta.put("layer_sizes", sizes.toString());
        meta.put("num_dense_layers", Integer.toString(net.layerCount()));
        meta.put("activations", acts.toString());
        meta.put("loss", net.loss().id());
        meta.put("leaky_relu_slope", Float.toString(net.leakyReluSlope()));
        return meta;
    }

    static Map<String, Tensor> layerTensors(Network net, Map<String, Tensor> out) {
        for (int l = 0; l < net.layerCount(); l++) {
            out.put("layers." + l + ".weight", Tensor.matrix(net.layout().outputs(l), net.layout().inputs(l),
                    net.weights(l)));
            out.put("layers." + l + ".bias", Tensor.vector(net.bias(l)));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** Builds the network a validated file describes. */
    static Network network(SafeTensorsFile f) throws ModelFormatException {
        Path file = f.source();
        if (!f.metadata().containsKey("layer_sizes")) {
            String hint = StateDicts.describe(f);
            if (hint != null) {
                throw new ModelFormatException(file + ": expected metadata key 'layer_sizes' in __metadata__ (an mlp4j "
                        + "model file), it is missing; the file looks like a PyTorch state dict of " + hint
                        + ". Load it with ModelFiles.loadStateDict(file, loss, activations), giving the activation after "
                        + "each nn.Linear");
            }
        }
        String sizesText = required(f, "layer_sizes");
        String[] parts = sizesText.split(",", -1);
        if (parts.length < 2) {
            throw new ModelFormatException(file + ": metadata layer_sizes: expected at least two comma-separated "
                    + "widths (inputs, outputs), got '" + abbreviate(sizesText) + "'");
        }
        int[] sizes = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            int w;
            try {
                w = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                w = -1;
            }
            if (w < 1 || w > MAX_WIDTH) {
                throw new ModelFormatException(file + ": metadata layer_sizes: expected widths from 1 to " + MAX_WIDTH
                        + ", got '" + abbreviate(parts[i]) + "' at position " + i);
            }
            sizes[i] = w;
        }
        int layers = sizes.length - 1;
        String actsText = required(f, "activations");
        String[] actNames = actsText.split(",", -1);
        if (actNames.length != layers) {
            throw new ModelFormatException(file + ": metadata activations: expected " + layers
                    + " names (one per dense layer of layer_sizes " + sizesText + "), got " + actNames.length + ": '"
                    + abbreviate(actsText) + "'");
        }
        Activation[] acts = new Activation[layers];
        for (int i = 0; i < layers; i++) {
            try {
                acts[i] = Activation.fromId(actNames[i]);
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file + ": metadata activations, layer " + i + ": " + e.getMessage(), e);
            }
        }
        Loss loss;
        try {
            loss = Loss.fromId(required(f, "loss"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": metadata " + e.getMessage(), e);
        }
        float slope = 0.01f;
        String slopeText = f.metadata().get("leaky_relu_slope");
        if (slopeText != null) {
            try {
                slope = Float.parseFloat(slopeText.trim());
            } catch (NumberFormatException e) {
                slope = Float.NaN;
            }
            if (!Float.isFinite(slope) || slope < 0) {
                throw new ModelFormatException(file + ": metadata leaky_relu_slope: expected a finite number >= 0, got '"
                        + abbreviate(slopeText) + "'");
            }
        }
        String declared = f.metadata().get("num_dense_layers");
        if (declared != null && !declared.trim().equals(Integer.toString(layers))) {
            throw new ModelFormatException(file + ": metadata num_dense_layers: expected " + layers
                    + " (from layer_sizes " + sizesText + "), got '" + abbreviate(declared) + "'");
        }
        // Shapes first: the file's own tensors bound the memory a hostile header can make us allocate.
        for (String name : f.names()) {
            Matcher m = LAYER_TENSOR.matcher(name);
            if (!name.startsWith("layers.")) {
                continue;
            }
            if (!m.matches() || !(m.group(2).equals("weight") || m.group(2).equals("bias"))
                    || m.group(1).length() > 9 || Integer.parseInt(m.group(1)) >= layers
                    || !Integer.toString(Integer.parseInt(m.group(1))).equals(m.group(1))) {
                throw new ModelFormatException(file + ": unexpected tensor '" + abbreviate(name) + "': expected only "
                        + "layers.{i}.weight and layers.{i}.bias for i = 0.." + (layers - 1)
                        + " (layer_sizes " + sizesText + ")");
            }
        }
        for (int l = 0; l < layers; l++) {
            expectShape(f, "layers." + l + ".weight", new int[] {sizes[l + 1], sizes[l]}, sizesText);
            expectShape(f, "layers." + l + ".bias", new int[] {sizes[l + 1]}, sizesText);
        }
        Network net;
        try {
            Network.Builder b = Network.builder(sizes[0]).loss(loss).leakyReluSlope(slope);
            for (int l = 0; l < layers; l++) {
                b.dense(sizes[l + 1], acts[l]);
            }
            net = b.build();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": inconsistent architecture: " + e.getMessage(), e);
        }
        for (int l = 0; l < layers; l++) {
            try {
                net.setWeights(l, f.floats("layers." + l + ".weight"));
                net.setBias(l, f.floats("layers." + l + ".bias"));
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file + ": tensor layers." + l + ".*: " + e.getMessage(), e);
            }
        }
        return net;
    }

    private static void expectShape(SafeTensorsFile f, String name, int[] expected, String sizesText)
            throws ModelFormatException {
        if (!f.has(name)) {
            throw new ModelFormatException(f.source() + ": expected tensor " + name + " of shape "
                    + Arrays.toString(expected) + " (layer_sizes " + sizesText + "), it is missing");
        }
        int[] actual = f.shape(name);
        if (!Arrays.equals(actual, expected)) {
            throw new ModelFormatException(f.source() + ": tensor " + name + ": expected shape "
                    + Arrays.toString(expected) + " from layer_sizes " + sizesText + ", got " + Arrays.toString(actual));
        }
    }

    private static Optimizer optimizer(SafeTensorsFile f) throws ModelFormatException {
        String id = required(f, "optimizer");
        Map<String, String> hyperparameters = new LinkedHashMap<>();
        f.metadata().forEach((k, v) -> {
            if (k.startsWith("optimizer.") && !k.equals("optimizer.steps")) {
                hyperparameters.put(k.substring("optimizer.".length()), v);
            }
        });
        try {
            return Optimizer.create(id, hyperparameters);
        } catch (IllegalArgumentException e) {
            // create names the hyperparameter ("momentum: expected a number ...") or the optimizer itself
            String m = e.getMessage();
            throw new ModelFormatException(f.source() + ": metadata " + (m.startsWith("optimizer: ") ? m
                    : "optimizer." + m), e);
        }
    }

    /** A non-negative long (any long when {@code min} is Long.MIN_VALUE). */
    private static long longKey(SafeTensorsFile f, String key, long min) throws ModelFormatException {
        String s = required(f, key);
        long v;
        try {
            v = Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new ModelFormatException(f.source() + ": metadata " + key + ": expected an integer, got '"
                    + abbreviate(s) + "'");
        }
        if (v < min) {
            throw new ModelFormatException(f.source() + ": metadata " + key + ": expected >= " + min + ", got " + v);
        }
        return v;
    }

    private static float[] vectorTensor(SafeTensorsFile f, String name, int n) throws ModelFormatException {
        int[] shape = f.shape(name);
        if (shape.length != 1 || shape[0] != n) {
            throw new ModelFormatException(f.source() + ": tensor " + name + ": expected shape [" + n
                    + "] (one value per parameter), got " + Arrays.toString(shape));
        }
        float[] v = f.floats(name);
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new ModelFormatException(f.source() + ": tensor " + name + ": expected finite values, got "
                        + v[i] + " at index " + i);
            }
        }
        return v;
    }

    private static String required(SafeTensorsFile f, String key) throws ModelFormatException {
        String v = f.metadata().get(key);
        if (v == null) {
            throw new ModelFormatException(f.source() + ": expected metadata key '" + key + "' in __metadata__, "
                    + "it is missing");
        }
        return v;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
