package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mlp4j.internal.kernel.KernelProvider.Problem;
import org.mlp4j.internal.kernel.KernelProvider.VmFacts;

/** The guards' decisions and advice for every kind of VM, without launching one (ModulePathTest does that). */
class KernelProviderGuardTest {
    private static final VmFacts C2 = new VmFacts("OpenJDK 64-Bit Server VM", true, false, false, false);

    @Test
    void hotSpotWithC2AndTheModuleHasNoProblem() {
        assertTrue(KernelProvider.problems(true, C2).isEmpty());
    }

    @Test
    void aMissingModuleIsTheOnlyAdviceWhenTheVmIsFine() {
        List<Problem> p = KernelProvider.problems(false, C2);
        assertEquals(1, p.size());
        assertEquals("run java with --add-modules jdk.incubator.vector", p.get(0).remedy());
    }

    @Test
    void interpretedWithTheModuleAdvisesDroppingXintOnly() {
        String s = KernelProvider.explain(KernelProvider.problems(true,
                new VmFacts("OpenJDK 64-Bit Server VM", true, false, true, false)));
        assertTrue(s.contains("-Xint") && s.contains("run without -Xint"), s);
        assertFalse(s.contains("--add-modules"), s);
    }

    @Test
    void c1OnlyJvmciAndForeignVmsAreRuledOut() {
        assertTrue(KernelProvider.explain(KernelProvider.problems(true,
                new VmFacts("x", true, false, false, true))).contains("TieredStopAtLevel"));
        assertTrue(KernelProvider.explain(KernelProvider.problems(true,
                new VmFacts("x", true, true, false, false))).contains("JVMCI"));
        assertTrue(KernelProvider.explain(KernelProvider.problems(true,
                new VmFacts("Eclipse OpenJ9 VM", false, false, false, false))).contains("Eclipse OpenJ9 VM, not HotSpot"));
    }

    @Test
    void everyProblemIsReportedWithItsOwnAdvice() {
        String s = KernelProvider.explain(KernelProvider.problems(false,
                new VmFacts("x", true, false, true, false)));
        assertTrue(s.contains("run without -Xint and run java with --add-modules jdk.incubator.vector"), s);
    }

    @Test
    void thisVmIsReadFromTheVm() {
        VmFacts vm = VmFacts.current();
        // the test JVMs run on HotSpot with C2 (the pom adds no JIT flags)
        assertTrue(vm.hotspot(), vm.toString());
        assertFalse(vm.interpreted() || vm.c1Only() || vm.jvmci(), vm.toString());
    }

    /**
     * The register count the tiles are sized by follows the VM's AVX level on x86: a JVM forced to AVX2 code
     * ({@code -XX:UseAVX=2}, 16 ymm registers) counts 16, whatever the CPU.
     */
    @Test
    void vectorRegistersFollowTheVmsAvxLevel() throws Exception {
        String arch = System.getProperty("os.arch");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            assertEquals(32, KernelProvider.vectorRegisters(8));
            return;
        }
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:UseAVX=2", "-cp", System.getProperty("java.class.path"),
                RegisterProbe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        assertEquals("16", out);
        int here = KernelProvider.vectorRegisters(8);
        assertTrue(here == 16 || here == 32, "registers " + here);
    }

    /** Prints {@link KernelProvider#vectorRegisters} of its JVM. */
    static final class RegisterProbe {
        public static void main(String[] args) {
            System.out.println(KernelProvider.vectorRegisters(8));
        }
    }
}
