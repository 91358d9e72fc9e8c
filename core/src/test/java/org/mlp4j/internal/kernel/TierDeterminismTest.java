package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The same computation gives the same bits whatever the JIT does: {@link TierProbe} runs in forked JVMs with C2
 * (the default), with C1 only ({@code -XX:TieredStopAtLevel=1}) and interpreted ({@code -Xint}), on this JDK and
 * on JDK 25 when it is installed ({@value #JDK25}, or the {@code mlp4j.test.jdk25} property). A process runs its
 * first steps interpreted or in C1 and later ones in C2, so "same seed, same weights" and "resume equals an
 * uninterrupted run" rest on this. Under C1 and the interpreter {@code KernelProvider} picks the scalar
 * kernels, so the {@code api} scenario also proves the scalar and vector paths bit-identical; the
 * {@code kernels-vector} scenario runs the vector kernels themselves interpreted. The C2 runs with
 * {@code -XX:MaxVectorSize=32} and {@code =16} run the 256- and 128-bit tile shapes ({@code packed-shapes}
 * and {@code backward-shapes} check them against the scalar twin over lane- and tile-boundary shapes, and
 * {@code zero-skip} the segment tiles that leave out blank input), so every tile shape is tested on any machine.
 */
class TierDeterminismTest {
    static final String JDK25 = "/usr/lib/jvm/temurin-25-jdk-amd64";
    private static final String C2 = "-XX:+TieredCompilation";
    /** C2 with 256- and 128-bit vectors: the AVX2 and SSE tile shapes, on any machine. */
    private static final String C2_256 = "-XX:MaxVectorSize=32";
    private static final String C2_128 = "-XX:MaxVectorSize=16";
    /** C2 with both forward block heights of 32-register machines (8 is Zen 4's default, 6 the others'). */
    private static final String MR_6 = "-Dmlp4j.packedGemm.mr=6";
    private static final String MR_8 = "-Dmlp4j.packedGemm.mr=8";

    @Test
    void sameBitsInterpretedC1AndC2() throws Exception {
        List<String> javas = new ArrayList<>();
        javas.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path jdk25 = Path.of(System.getProperty("mlp4j.test.jdk25", JDK25), "bin", "java");
        if (Files.isExecutable(jdk25)) {
            javas.add(jdk25.toString());
        }
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        List<String> scenarios = new ArrayList<>(List.of("api", "kernels-scalar", "packed-shapes", "backward-shapes",
                "zero-skip"));
        if (vector) {
            scenarios.add("kernels-vector");
        }
        Map<String, String> reference = new LinkedHashMap<>();
        Map<String, String> referenceRun = new LinkedHashMap<>();
        for (String java : javas) {
            // the other JDK: C2 and C1 only, to keep the test near ten seconds
            String[] modes = java.equals(javas.get(0)) ? new String[] {C2, "-XX:TieredStopAtLevel=1", "-Xint", C2_256,
                C2_128, MR_6, MR_8} : new String[] {C2, "-XX:TieredStopAtLevel=1"};
            for (String mode : modes) {
                List<String> run = new ArrayList<>(scenarios);
                if (mode.equals("-Xint")) {
                    run.remove("packed-shapes"); // 4 s interpreted; C1 covers the no-intrinsics path for it
                    run.remove("backward-shapes");
                    run.remove("zero-skip");
                }
                String name = java + " " + mode;
                for (String line : fork(java, mode, vector, run).split("\n")) {
                    String scenario = line.substring(0, line.indexOf('='));
                    String digest = line.substring(line.indexOf('=') + 1);
                    String want = reference.putIfAbsent(scenario, digest);
                    referenceRun.putIfAbsent(scenario, name);
                    if (want != null) {
                        assertEquals(want, digest, scenario + ": bits under " + name + " differ from those under "
                                + referenceRun.get(scenario));
                    }
                }
            }
        }
        assertEquals(Set.copyOf(scenarios), reference.keySet(), "every scenario ran");
        if (vector) { // the scalar and vector kernels agree too
            assertEquals(reference.get("kernels-scalar"), reference.get("kernels-vector"),
                    "scalar and vector kernels differ");
        }
    }

    private static String fork(String java, String mode, boolean vector, List<String> scenarios)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", mode));
        if (vector) {
            cmd.add("--add-modules");
            cmd.add("jdk.incubator.vector");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TierProbe.class.getName());
        if (mode.equals(C2) || mode.equals(C2_256) || mode.equals(C2_128) || mode.equals(MR_6) || mode.equals(MR_8)) { // enough repetitions for C2 to compile the kernels (checked: -XX:+PrintCompilation)
            cmd.addAll(List.of("--repeat", "100"));
        }
        cmd.addAll(scenarios);
        Path err = Files.createTempFile("mlp4j-tier", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "forked JVM did not finish: " + cmd);
            String log = Files.readString(err);
            assertEquals(0, p.exitValue(), () -> "forked JVM failed: " + cmd + "\n" + log);
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
