package org.mlp4j.internal.kernel;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Chooses the kernel implementation once per JVM: the Vector API kernels when the
 * {@code jdk.incubator.vector} module is present and the VM compiles them well, else the scalar kernels with
 * ONE warning saying why and how to enable SIMD. The system property {@value #PROPERTY} ({@code auto},
 * {@code vector}, {@code scalar}) forces a choice; forcing {@code vector} where it cannot load is an
 * {@link IllegalStateException} at every use (never an {@code ExceptionInInitializerError}).
 *
 * <p>The guards follow Lucene's {@code VectorizationProvider}: the Vector API is only faster than scalar code
 * when HotSpot's C2 compiles it, so the VM itself is asked (through its HotSpot diagnostic bean, not by
 * reading the command line) whether it is HotSpot, whether JVMCI (Graal) is the JIT, and whether C2 runs at
 * all ({@code -Xint}, {@code -XX:TieredStopAtLevel} below 4). Each reason carries its own advice: under
 * {@code -Xint} with the module present the warning says to drop {@code -Xint}, not to add the module.
 */
public final class KernelProvider {
    /** System property that forces the kernel choice. */
    public static final String PROPERTY = "mlp4j.kernels";

    private static final String VECTOR_CLASS = "org.mlp4j.internal.vector.VectorKernels";
    private static final String MODULE = "jdk.incubator.vector";
    private static final System.Logger LOG = System.getLogger("org.mlp4j");

    private static Kernels selected;
    private static RuntimeException failure;

    private KernelProvider() {
    }

    /**
     * The kernels chosen for this JVM.
     *
     * @throws IllegalStateException if {@value #PROPERTY} forces kernels that cannot be used, or has an
     *                               unknown value (on every call, with the same message)
     */
    public static synchronized Kernels get() {
        if (selected == null && failure == null) {
            try {
                selected = select(System.getProperty(PROPERTY, "auto"));
            } catch (IllegalStateException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new IllegalStateException(failure.getMessage(), failure);
        }
        return selected;
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

    /** What the VM says about its JIT (read once). */
    record VmFacts(String vmName, boolean hotspot, boolean jvmci, boolean interpreted, boolean c1Only) {
        /** Facts read from this VM: its HotSpot diagnostic bean, and {@code java.vm.info} where that is absent. */
        static VmFacts current() {
            String name = System.getProperty("java.vm.name", "unknown");
            String info = System.getProperty("java.vm.info", "");
            Function<String, String> option = hotSpotOptions();
            if (option == null) {
                // No diagnostic bean (a runtime without jdk.management, or not HotSpot): trust the VM's name.
                boolean hotspot = name.contains("HotSpot") || name.contains("OpenJDK");
                return new VmFacts(name, hotspot, false, info.contains("interpreted mode"), false);
            }
            boolean jvmci = "true".equals(option.apply("UseJVMCICompiler"));
            boolean interpreted = "false".equals(option.apply("UseCompiler")) || info.contains("interpreted mode");
            String tiered = option.apply("TieredCompilation");
            String stop = option.apply("TieredStopAtLevel");
            boolean c1Only = !"false".equals(tiered) && stop != null && parseInt(stop, 4) < 4;
            return new VmFacts(name, true, jvmci, interpreted, c1Only);
        }
    }

    /** A problem with the Vector API kernels in this JVM: why, and what the user can do about it. */
    record Problem(String reason, String remedy) {
    }

    /**
     * Everything that rules the Vector API kernels out, in the order a user should fix them (empty: they can
     * be used). Pure, so every combination is testable.
     */
    static List<Problem> problems(boolean modulePresent, VmFacts vm) {
        List<Problem> p = new ArrayList<>();
        if (!vm.hotspot()) {
            p.add(new Problem("the VM is " + vm.vmName() + ", not HotSpot, whose C2 compiler makes Vector API code "
                    + "fast", "run on a HotSpot JDK (e.g. OpenJDK or Temurin)"));
        } else if (vm.jvmci()) {
            p.add(new Problem("the JIT compiler is JVMCI (Graal), which does not compile the Vector API to SIMD "
                    + "instructions", "run without -XX:+UseJVMCICompiler"));
        }
        if (vm.interpreted()) {
            p.add(new Problem("the JIT compiler is off (-Xint), so Vector API code would run slower than scalar code",
                    "run without -Xint"));
        } else if (vm.c1Only()) {
            p.add(new Problem("C2 is disabled (-XX:TieredStopAtLevel below 4), so Vector API code would run slower "
                    + "than scalar code", "run without -XX:TieredStopAtLevel"));
        }
        if (!modulePresent) {
            p.add(new Problem("the " + MODULE + " module is not enabled", "run java with --add-modules " + MODULE));
        }
        return p;
    }

    /** One sentence from the problems: "because A and B; for SIMD speed, X and Y". */
    static String explain(List<Problem> problems) {
        List<String> reasons = new ArrayList<>();
        List<String> remedies = new ArrayList<>();
        for (Problem pr : problems) {
            reasons.add(pr.reason());
            remedies.add(pr.remedy());
        }
        return String.join(" and ", reasons) + "; for SIMD speed, " + String.join(" and ", remedies);
    }

    private static final class VectorHolder {
        static final String REASON;
        static final Optional<Kernels> KERNELS;

        static {
            String reason = null;
            Kernels kernels = null;
            List<Problem> problems = problems(ModuleLayer.boot().findModule(MODULE).isPresent(), VmFacts.current());
            if (!problems.isEmpty()) {
                reason = explain(problems);
            } else {
                try {
                    kernels = (Kernels) Class.forName(VECTOR_CLASS).getField("INSTANCE").get(null);
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
                    reason = "the Vector API kernels failed to load (" + cause + "); for SIMD speed, report this "
                            + "with your JDK version";
                }
            }
            REASON = reason;
            KERNELS = Optional.ofNullable(kernels);
        }
    }

    private static Kernels select(String property) {
        String forced = property.trim().toLowerCase(Locale.ROOT);
        switch (forced) {
            case "scalar":
                LOG.log(System.Logger.Level.DEBUG, "mlp4j: using scalar kernels ({0}=scalar)", PROPERTY);
                return ScalarKernels.INSTANCE;
            case "vector":
                return vector().map(KernelProvider::announce).orElseThrow(() -> new IllegalStateException(
                        "mlp4j: -D" + PROPERTY + "=vector, but the Vector API kernels cannot be used because "
                                + VectorHolder.REASON + " (or use -D" + PROPERTY + "=auto)"));
            case "auto":
                break;
            default:
                throw new IllegalStateException("mlp4j: -D" + PROPERTY + ": expected auto, vector or scalar, got '"
                        + property + "'");
        }
        Optional<Kernels> v = vector();
        if (v.isPresent()) {
            return announce(v.get());
        }
        LOG.log(System.Logger.Level.WARNING, "mlp4j: using scalar kernels because {0}", VectorHolder.REASON);
        return ScalarKernels.INSTANCE;
    }

    private static Kernels announce(Kernels k) {
        LOG.log(System.Logger.Level.DEBUG, "mlp4j: using Vector API kernels ({0})", k.name());
        return k;
    }

    /**
     * The vector registers C2 can allocate: 16 on x86 below AVX-512 ({@code UseAVX} under 3: AVX2, AVX, SSE),
     * else 32 (AVX-512; AArch64 NEON and SVE). Register-blocked kernels size their tiles by it; without the
     * HotSpot diagnostic bean, an x86 VM counts 32 only for 512-bit vectors.
     *
     * @param lanes the float lanes of the preferred species
     */
    public static int vectorRegisters(int lanes) {
        String arch = System.getProperty("os.arch", "");
        if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("x86")) {
            return 32;
        }
        Function<String, String> option = hotSpotOptions();
        String avx = option == null ? null : option.apply("UseAVX");
        if (avx != null) {
            try {
                return Integer.parseInt(avx.trim()) >= 3 ? 32 : 16;
            } catch (NumberFormatException e) {
                // fall through to the lane count
            }
        }
        return lanes >= 16 ? 32 : 16;
    }

    /** Whether this CPU is an AMD Zen 4, read once: see {@link #halfWidthVectorUnits()}. */
    private static final class CpuHolder {
        static final boolean ZEN4 = readZen4();
    }

    /**
     * Whether this CPU runs 512-bit instructions on 256-bit units (AMD Zen 4: x86 family 25 with AVX-512), so that
     * a 512-bit FMA retires one per cycle instead of two as on Intel's AVX-512 cores and Zen 5; tile choices that
     * were measured to differ between the two kinds read it. Linux only ({@code /proc/cpuinfo}); false
     * elsewhere or when the file cannot be read.
     */
    public static boolean halfWidthVectorUnits() {
        return CpuHolder.ZEN4;
    }

    private static boolean readZen4() {
        java.nio.file.Path info = java.nio.file.Path.of("/proc/cpuinfo");
        try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(info,
                java.nio.charset.StandardCharsets.US_ASCII)) {
            boolean amd = false;
            int family = -1;
            for (String line; (line = r.readLine()) != null && !line.isEmpty(); ) { // the first CPU's entry
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("vendor_id")) {
                    amd = value.equals("AuthenticAMD");
                } else if (key.equals("cpu family")) {
                    family = parseInt(value, -1);
                } else if (key.equals("flags")) {
                    return amd && family == 25 && (" " + value + " ").contains(" avx512f ");
                }
            }
            return false;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Reads HotSpot VM options through {@code com.sun.management.HotSpotDiagnosticMXBean} (reflectively, so
     * that the library needs only {@code java.management}); null when the bean is not there.
     */
    private static Function<String, String> hotSpotOptions() {
        try {
            @SuppressWarnings("unchecked")
            Class<? extends java.lang.management.PlatformManagedObject> beanClass =
                    (Class<? extends java.lang.management.PlatformManagedObject>)
                            Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
            Object bean = ManagementFactory.getPlatformMXBean(beanClass);
            if (bean == null) {
                return null;
            }
            Method getVMOption = beanClass.getMethod("getVMOption", String.class);
            Method getValue = Class.forName("com.sun.management.VMOption").getMethod("getValue");
            return name -> {
                try {
                    return (String) getValue.invoke(getVMOption.invoke(bean, name));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    return null; // no such option in this VM version
                }
            };
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return null;
        }
    }

    private static int parseInt(String s, int fallback) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
