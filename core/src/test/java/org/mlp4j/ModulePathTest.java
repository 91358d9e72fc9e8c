package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library as a named module: a small client module, compiled here, runs with {@code org.mlp4j} on the
 * module path in fresh JVMs. It gets the Vector API kernels with {@code --add-modules jdk.incubator.vector}
 * and the scalar ones (with one warning that says how to enable SIMD) without, cannot reach
 * {@code org.mlp4j.internal}, and sees the kernel guards' errors and advice. (The rest of the suite runs on
 * the class path, with and without the module.)
 */
class ModulePathTest {
    @TempDir
    static Path dir;
    private static Path modulePath;

    @BeforeAll
    static void compileClientModule() throws Exception {
        Path library = Path.of(Network.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.exists(library.resolve("module-info.class")), "the library is compiled as a module: " + library);
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("probe"));
        Files.writeString(src.resolve("module-info.java"), "module probe { requires org.mlp4j; }\n");
        Files.writeString(src.resolve("probe/Main.java"), String.join("\n",
                "package probe;",
                "import org.mlp4j.*;",
                "public class Main {",
                "    public static void main(String[] args) throws Exception {",
                "        for (int i = 0; i < 2; i++) {",
                "            try {",
                "                Network net = Network.builder(4).dense(3, Activation.RELU).dense(2, Activation.IDENTITY)",
                "                        .loss(Loss.CROSS_ENTROPY).build();",
                "                float[] p = net.predictProbabilities(new float[] {1, 2, 3, 4});",
                "                System.out.println(\"kernels=\" + net.kernelName() + \" sum=\" + (p[0] + p[1]));",
                "            } catch (RuntimeException | Error e) {",
                "                System.out.println(\"error=\" + e.getClass().getName() + \": \" + e.getMessage());",
                "            }",
                "        }",
                "        try {",
                "            Class.forName(\"org.mlp4j.internal.kernel.KernelProvider\").getMethod(\"scalar\").invoke(null);",
                "            System.out.println(\"internal=accessible\");",
                "        } catch (IllegalAccessException e) {",
                "            System.out.println(\"internal=denied\");",
                "        }",
                "        System.out.println(\"module=\" + Network.class.getModule().getName());",
                "    }",
                "}", ""));
        Path out = dir.resolve("out");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK with javac");
        int rc = javac.run(null, null, null, "--module-path", library.toString(), "-d", out.toString(),
                src.resolve("module-info.java").toString(), src.resolve("probe/Main.java").toString());
        assertEquals(0, rc, "the client module compiles against the library module");
        modulePath = Path.of(library + java.io.File.pathSeparator + out);
    }

    /** Runs the client module in a fresh JVM with {@code flags}; stdout and stderr together. */
    private static String run(String... flags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx64m");
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("--module-path", modulePath.toString(), "--module", "probe/probe.Main"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the client JVM finishes");
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void withTheVectorModuleTheVectorKernelsRun() throws Exception {
        String out = run("--add-modules", "jdk.incubator.vector");
        assertTrue(out.contains("kernels=vector-"), out);
        assertTrue(out.contains("module=org.mlp4j"), out);
        assertFalse(out.contains("using scalar kernels"), out);
    }

    @Test
    void withoutTheVectorModuleTheScalarKernelsRunWithOneWarning() throws Exception {
        String out = run();
        assertTrue(out.contains("kernels=scalar sum="), out);
        String warning = "using scalar kernels because the jdk.incubator.vector module is not enabled; for SIMD "
                + "speed, run java with --add-modules jdk.incubator.vector";
        assertTrue(out.contains(warning), out);
        assertEquals(out.indexOf(warning), out.lastIndexOf(warning), "one warning: " + out);
    }

    @Test
    void internalPackagesAreNotReachableFromAnotherModule() throws Exception {
        assertTrue(run().contains("internal=denied"), "org.mlp4j.internal is not exported");
    }

    @Test
    void underXintTheAdviceIsToDropXintNotToAddTheModule() throws Exception {
        String out = run("-Xint", "--add-modules", "jdk.incubator.vector");
        assertTrue(out.contains("kernels=scalar"), out);
        assertTrue(out.contains("the JIT compiler is off (-Xint)"), out);
        assertTrue(out.contains("run without -Xint"), out);
        assertFalse(out.contains("--add-modules"), "the module is there already: " + out);
    }

    @Test
    void forcingVectorKernelsWithoutTheModuleIsAClearErrorAtEveryUse() throws Exception {
        String out = run("-Dmlp4j.kernels=vector");
        String error = "error=java.lang.IllegalStateException: mlp4j: -Dmlp4j.kernels=vector, but the Vector API "
                + "kernels cannot be used because the jdk.incubator.vector module is not enabled";
        assertEquals(2, out.split(java.util.regex.Pattern.quote(error), -1).length - 1, out);
        assertTrue(out.contains("run java with --add-modules jdk.incubator.vector"), out);
        assertFalse(out.contains("ExceptionInInitializerError"), out);
        assertFalse(out.contains("NoClassDefFoundError"), out);
    }
}
