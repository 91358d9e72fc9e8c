package org.mlp4j.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.internal.kernel.KernelProvider;
import org.mlp4j.io.SafeTensors;
import org.mlp4j.io.SafeTensorsFile;

/**
 * The two benchmark nets, loaded with the weights exported by {@code jmh/scripts/export_models.py} (the same
 * weights ONNX Runtime runs from the {@code .onnx} files next to them, in the jar's {@code models/}).
 *
 * <ul>
 *   <li>{@code tiny}: 32-64(ReLU)-64(ReLU)-1(sigmoid), a scoring net</li>
 *   <li>{@code mnist}: 784-256(ReLU)-128(ReLU)-10(identity = logits)</li>
 * </ul>
 */
final class Models {
    private Models() {
    }

    /** Layer sizes of a net by name. */
    static int[] sizes(String net) {
        switch (net) {
            case "tiny": return new int[] {32, 64, 64, 1};
            case "mnist": return new int[] {784, 256, 128, 10};
            default: throw new IllegalArgumentException("net: expected tiny or mnist, got " + net);
        }
    }

    static Activation[] activations(String net) {
        return net.equals("tiny")
                ? new Activation[] {Activation.RELU, Activation.RELU, Activation.SIGMOID}
                : new Activation[] {Activation.RELU, Activation.RELU, Activation.IDENTITY};
    }

    /** An untrained network of that architecture (seeded init; for training benchmarks). */
    static Network build(String net, long seed) {
        int[] s = sizes(net);
        Activation[] a = activations(net);
        Network.Builder b = Network.builder(s[0]);
        for (int i = 1; i < s.length; i++) {
            b.dense(s[i], a[i - 1]);
        }
        return b.loss(net.equals("tiny") ? Loss.BCE : Loss.CROSS_ENTROPY).seed(seed).build();
    }

    /** The network with the exported weights; checks PyTorch's output on the exported check sample. */
    static Network load(String net) {
        SafeTensorsFile f = safetensors(net);
        Network n = build(net, 1);
        for (int l = 0; l < n.layerCount(); l++) {
            n.setWeights(l, f.floats("l" + l + ".weight"));
            n.setBias(l, f.floats("l" + l + ".bias"));
        }
        checkOutput("mlp4j " + n.kernelName(), net, n.predict(checkInput(net)));
        return n;
    }

    static float[] checkInput(String net) {
        return safetensors(net).floats("check.input");
    }

    /** Fails unless {@code got} matches PyTorch's output for the check sample within 1e-4 (relative). */
    static void checkOutput(String engine, String net, float[] got) {
        float[] want = safetensors(net).floats("check.output");
        if (got.length != want.length) {
            throw new IllegalStateException(engine + " on " + net + ": " + got.length + " outputs, expected "
                    + want.length);
        }
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(got[i] - want[i]) > 1e-4f * Math.max(1f, Math.abs(want[i]))) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s on %s: output[%d] = %s, PyTorch gives %s", engine, net, i, got[i], want[i]));
            }
        }
    }

    static byte[] resource(String name) {
        try (InputStream in = Models.class.getResourceAsStream("/models/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource models/" + name
                        + " (run jmh/scripts/export_models.py)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SafeTensorsFile safetensors(String net) {
        try {
            Path tmp = Files.createTempFile("mlp4j-jmh-" + net, ".safetensors");
            try (InputStream in = Models.class.getResourceAsStream("/models/" + net + ".safetensors")) {
                if (in == null) {
                    throw new IllegalStateException("missing resource models/" + net + ".safetensors");
                }
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            try {
                return SafeTensors.read(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Selects the kernel path for this JVM ({@code vector} or {@code scalar}) before mlp4j picks one, and
     * fails if it did not take effect. JMH runs every parameter combination in its own forked JVM, so
     * this is the same as {@code -Dmlp4j.kernels=...} on that fork's command line.
     */
    static void selectKernels(String kernels) {
        System.setProperty(KernelProvider.PROPERTY, kernels);
        String name = KernelProvider.get().name();
        if (!name.startsWith(kernels)) {
            throw new IllegalStateException("asked for " + kernels + " kernels, mlp4j uses " + name
                    + (kernels.equals("vector") ? " (is --add-modules jdk.incubator.vector missing?)"
                    : " (the kernel provider was initialised before this benchmark's @Setup)"));
        }
    }
}
