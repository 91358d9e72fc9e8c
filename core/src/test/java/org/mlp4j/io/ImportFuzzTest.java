package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.Activation;
import org.mlp4j.Loss;

/**
 * Damaged ONNX and safetensors files (seeded, bounded: about 2,200 mutations of the import fixtures, a second or
 * two) give only the documented errors, {@link ModelFormatException} or {@link SafeTensorsFormatException}:
 * never another exception, a hang or an out-of-memory error.
 */
class ImportFuzzTest {
    @TempDir
    Path dir;

    @Test
    void damagedOnnxFilesGiveOnlyFormatErrors() throws IOException {
        for (String name : List.of("relu_sigmoid", "tanh_leaky_softmax", "gelu", "flatten_dropout", "matmul_add",
                "unsupported_layernorm")) {
            fuzz(ImportTest.DIR.resolve(name + ".onnx"), 0x0ddba11L + name.hashCode(), false, 300);
        }
    }

    @Test
    void damagedStateDictsGiveOnlyFormatErrors() throws IOException {
        for (String name : List.of("relu_sigmoid.safetensors", "relu_sigmoid.bf16.safetensors",
                "gelu.f16.safetensors")) {
            fuzz(ImportTest.DIR.resolve(name), 0x5afe7L + name.hashCode(), true, 120); // through a file: slower
        }
    }

    private void fuzz(Path original, long seed, boolean stateDict, int mutations) throws IOException {
        byte[] good = Files.readAllBytes(original);
        SplittableRandom rnd = new SplittableRandom(seed);
        Path file = dir.resolve(original.getFileName());
        for (int i = 0; i < mutations; i++) {
            byte[] bad = mutate(good, rnd);
            try {
                if (stateDict) {
                    Files.write(file, bad);
                    ModelFiles.loadStateDict(file, Loss.MSE, List.of(Activation.RELU, Activation.RELU,
                            Activation.IDENTITY));
                } else {
                    Onnx.load(file, bad); // in memory: the file round trip is covered below every 8th time
                }
                if (i % 8 == 0) {
                    Files.write(file, bad);
                    ModelFiles.load(file);
                }
            } catch (ModelFormatException | SafeTensorsFormatException expected) {
                // documented
            } catch (Throwable t) {
                fail(original.getFileName() + " mutation " + i + " (seed " + seed + ", " + bad.length + " bytes, first "
                        + Arrays.toString(Arrays.copyOf(bad, Math.min(16, bad.length))) + "): " + t, t);
            }
        }
    }

    /** One to four random edits: byte flips, random runs, truncation, duplication, huge varints. */
    static byte[] mutate(byte[] good, SplittableRandom rnd) {
        byte[] b = good.clone();
        int edits = 1 + rnd.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(6)) {
                case 0:
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                    break;
                case 1:
                    b[at] = (byte) rnd.nextInt(256);
                    break;
                case 2:
                    b = Arrays.copyOf(b, at);
                    break;
                case 3: { // a run of 0xff: maximal varints and lengths
                    int n = Math.min(b.length - at, 1 + rnd.nextInt(10));
                    Arrays.fill(b, at, at + n, (byte) 0xff);
                    break;
                }
                case 4: { // duplicate a slice in place
                    int n = Math.min(b.length - at, 1 + rnd.nextInt(64));
                    byte[] c = new byte[b.length + n];
                    System.arraycopy(b, 0, c, 0, at + n);
                    System.arraycopy(b, at, c, at + n, b.length - at);
                    b = c;
                    break;
                }
                default: // a small number where a length may be
                    b[at] = (byte) rnd.nextInt(16);
            }
        }
        return b;
    }
}
