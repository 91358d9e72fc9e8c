package org.mlp4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.mlp4j.internal.kernel.Kernels;
import org.mlp4j.io.SafeTensors;
import org.mlp4j.io.SafeTensorsFile;

/** One PyTorch reference fixture (src/test/resources/reference, copied from shared/reference). */
final class ReferenceCase {
    static final Path DIR = Paths.get("src", "test", "resources", "reference");
    static final double RTOL = 1e-4;

    final String name;
    final SafeTensorsFile file;
    final Map<String, String> meta;

    private ReferenceCase(Path path) {
        try {
            this.file = SafeTensors.read(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.name = path.getFileName().toString().replace(".safetensors", "");
        this.meta = file.metadata();
    }

    static List<ReferenceCase> all() {
        try (Stream<Path> files = Files.list(DIR)) {
            List<ReferenceCase> cases = files.filter(p -> p.toString().endsWith(".safetensors")).sorted()
                    .map(ReferenceCase::new).collect(Collectors.toList());
            if (cases.size() < 18) {
                throw new IllegalStateException("expected the 18 reference cases in " + DIR + ", found " + cases.size());
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int[] layerSizes() {
        return Arrays.stream(meta.get("layer_sizes").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    int layers() {
        return layerSizes().length - 1;
    }

    int batch() {
        return Integer.parseInt(meta.get("batch"));
    }

    double atol(String category) {
        return Double.parseDouble(meta.get("suggested_atol." + category));
    }

    double hp(String key) {
        return Double.parseDouble(meta.get("optimizer." + key));
    }

    boolean flag(String key) {
        return Boolean.parseBoolean(meta.get("optimizer." + key));
    }

    float[] floats(String tensor) {
        return file.floats(tensor);
    }

    int[] recordedSteps() {
        return Arrays.stream(meta.get("recorded_steps").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    /** The network of this case with its initial weights, computing with {@code kernels}. */
    Network network(Kernels kernels) {
        int[] sizes = layerSizes();
        String[] acts = meta.get("activations").split(",");
        Network.Builder b = Network.builder(sizes[0]).loss(Loss.fromId(meta.get("loss")))
                .leakyReluSlope(Float.parseFloat(meta.get("leaky_relu_slope")));
        for (int i = 0; i < acts.length; i++) {
            b.dense(sizes[i + 1], Activation.fromId(acts[i]));
        }
        Network net = b.build().withKernels(kernels);
        for (int i = 0; i < acts.length; i++) {
            net.setWeights(i, floats("layers." + i + ".weight"));
            net.setBias(i, floats("layers." + i + ".bias"));
        }
        return net;
    }

    /** The optimizer this case was recorded with, from its metadata. */
    Optimizer optimizer() {
        String kind = meta.get("optimizer");
        double lr = hp("lr");
        switch (kind) {
            case "sgd":
                return Optimizer.sgd(lr).momentum(hp("momentum")).dampening(hp("dampening"))
                        .nesterov(flag("nesterov")).weightDecay(hp("weight_decay"));
            case "adam":
            case "adamw": {
                Adam a = kind.equals("adam") ? Optimizer.adam(lr) : Optimizer.adamW(lr);
                return a.beta1(hp("beta1")).beta2(hp("beta2")).eps(hp("eps")).weightDecay(hp("weight_decay"));
            }
            case "rmsprop":
                return Optimizer.rmsprop(lr).alpha(hp("alpha")).eps(hp("eps")).weightDecay(hp("weight_decay"))
                        .momentum(hp("momentum")).centered(flag("centered"));
            default:
                throw new IllegalStateException("unknown optimizer " + kind);
        }
    }

    /** Fails with the worst element if {@code |actual - ref| > atol + rtol*|ref|} anywhere. */
    void assertClose(String what, float[] expected, float[] actual, double atol) {
        if (expected.length != actual.length) {
            fail(name + " " + what + ": length " + actual.length + ", expected " + expected.length);
        }
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            double excess = err - (atol + RTOL * Math.abs(expected[i]));
            if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Double.isNaN(excess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            fail(name + " " + what + "[" + worst + "]: got " + actual[worst] + ", expected " + expected[worst]
                    + " (atol " + atol + ", rtol " + RTOL + ")");
        }
    }

    void assertClose(String what, double expected, double actual, double atol) {
        assertClose(what, new float[] {(float) expected}, new float[] {(float) actual}, atol);
    }

    @Override
    public String toString() {
        return name;
    }
}
