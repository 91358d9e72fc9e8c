package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

/**
 * The kernel path chosen in this JVM is the one the build expects: the pom passes
 * {@code mlp4j.test.expectedKernels} = {@code vector} normally and {@code scalar} in the CI run without the
 * {@code jdk.incubator.vector} module. So a JVM that silently fell back to scalar kernels fails here.
 */
class KernelSelectionTest {

    @Test
    void selectedKernelsAreTheExpectedPath() {
        String expected = System.getProperty("mlp4j.test.expectedKernels");
        assertNotNull(expected, "system property mlp4j.test.expectedKernels is not set (the pom sets it)");
        Kernels k = KernelProvider.get();
        switch (expected) {
            case "vector":
                assertTrue(k.name().startsWith("vector"), () -> "expected the Vector API kernels, got " + k.name()
                        + " because " + KernelProvider.vectorUnavailableReason().orElse("(no reason given)"));
                assertSame(KernelProvider.vector().orElseThrow(), k, "get() is the vector() instance");
                break;
            case "scalar":
                assertEquals("scalar", k.name(), "expected the scalar kernels");
                assertSame(KernelProvider.scalar(), k, "get() is the scalar() instance");
                break;
            default:
                fail("mlp4j.test.expectedKernels: expected vector or scalar, got '" + expected + "'");
        }
        assertSame(k, KernelProvider.get(), "the choice is made once per JVM");
    }

    @Test
    void unavailableReasonIsEmptyIffVectorIsPresent() {
        assertEquals(KernelProvider.vector().isPresent(), KernelProvider.vectorUnavailableReason().isEmpty(),
                () -> "vector() present: " + KernelProvider.vector().isPresent() + ", reason: "
                        + KernelProvider.vectorUnavailableReason());
        KernelProvider.vectorUnavailableReason().ifPresent(r -> assertTrue(!r.isBlank(), "reason is not blank"));
        KernelProvider.vector().ifPresent(v -> assertTrue(v.name().startsWith("vector-"), v.name()));
        // without the module in the boot layer, vector kernels cannot be present
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            assertTrue(KernelProvider.vector().isEmpty(), "vector kernels without the module");
            assertTrue(KernelProvider.vectorUnavailableReason().orElseThrow().contains("jdk.incubator.vector"),
                    KernelProvider.vectorUnavailableReason().orElseThrow());
        }
    }

    @Test
    void scalarIsTheScalarReference() {
        assertEquals("scalar", KernelProvider.scalar().name());
        assertSame(ScalarKernels.INSTANCE, KernelProvider.scalar());
    }
}
