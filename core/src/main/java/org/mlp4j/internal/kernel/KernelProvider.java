package org.mlp4j.internal.kernel;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the kernel implementation once per JVM: the Vector API kernels when the
 * {@code jdk.incubator.vector} module is present and usable, else the scalar kernels with ONE warning
 * saying why and how to enable SIMD. The system property {@value #PROPERTY} ({@code auto}, {@code vector},
 * {@code scalar}) forces a choice; forcing {@code vector} where it cannot load is an error.
 */
public final class KernelProvider {
    /** System property that forces the kernel choice. */
    public static final String PROPERTY = "mlp4j.kernels";

    private static final String VECTOR_CLASS = "org.mlp4j.internal.vector.VectorKernels";
    private static final System.Logger LOG = System.getLogger("org.mlp4j");

    private KernelProvider() {
    }

    /** The kernels chosen for this JVM. */
    public static Kernels get() {
        return Holder.DEFAULT;
    }

    /** The scalar reference kernels. */
    public static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /** The Vector API kernels, if they can be used in this JVM. */
    public static Optional<Kernels> vector() {
        return VectorHolder.KERNELS;
    }

    /** Why the Vector API kernels cannot be used, or empty if they can. */
    public static Optional<String> vectorUnavailableReason() {
        return Optional.ofNullable(VectorHolder.REASON);
    }

    private static final class Holder {
        static final Kernels DEFAULT = select();
    }

    private static final class VectorHolder {
        static final String REASON;
        static final Optional<Kernels> KERNELS;

        static {
            String reason = null;
            Kernels kernels = null;
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                reason = "the jdk.incubator.vector module is not enabled";
            } else if (!c2Enabled()) {
                reason = "the C2 JIT compiler is disabled (-Xint or -XX:TieredStopAtLevel < 4), "
                        + "which makes Vector API code slower than scalar code";
            } else {
                try {
                    kernels = (Kernels) Class.forName(VECTOR_CLASS).getField("INSTANCE").get(null);
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
                    reason = "the Vector API kernels failed to load: " + cause;
                }
            }
            REASON = reason;
            KERNELS = Optional.ofNullable(kernels);
        }
    }

    private static Kernels select() {
        String forced = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (forced) {
            case "scalar":
                LOG.log(System.Logger.Level.INFO, "mlp4j: using scalar kernels ({0}=scalar)", PROPERTY);
                return ScalarKernels.INSTANCE;
            case "vector":
                return vector().map(KernelProvider::announce).orElseThrow(() -> new IllegalStateException(
                        "mlp4j: " + PROPERTY + "=vector but " + VectorHolder.REASON
                                + "; run java with --add-modules jdk.incubator.vector"));
            case "auto":
                break;
            default:
                throw new IllegalStateException("mlp4j: " + PROPERTY + ": expected auto, vector or scalar, got '"
                        + forced + "'");
        }
        Optional<Kernels> v = vector();
        if (v.isPresent()) {
            return announce(v.get());
        }
        LOG.log(System.Logger.Level.WARNING, "mlp4j: using scalar kernels because {0}; for SIMD speed run java "
                + "with --add-modules jdk.incubator.vector", VectorHolder.REASON);
        return ScalarKernels.INSTANCE;
    }

    private static Kernels announce(Kernels k) {
        LOG.log(System.Logger.Level.INFO, "mlp4j: using Vector API kernels ({0})", k.name());
        return k;
    }

    private static boolean c2Enabled() {
        try {
            List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
            for (String a : args) {
                if (a.equals("-Xint") || a.matches("-XX:TieredStopAtLevel=[0-3]") || a.equals("-XX:-UseCompiler")) {
                    return false;
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // java.management missing (jlinked runtime): assume a normal HotSpot configuration.
        }
        return true;
    }
}
