/**
 * mlp4j: pure-Java, SIMD-vectorized multilayer perceptrons. The API is {@code org.mlp4j} (networks,
 * training, evaluation) and {@code org.mlp4j.io} (model files, datasets); everything under
 * {@code org.mlp4j.internal} is the engine and its kernels, not exported.
 *
 * <p>{@code jdk.incubator.vector} is optional ({@code requires static}): with
 * {@code --add-modules jdk.incubator.vector} the Vector API kernels run, without it the scalar kernels do,
 * on the module path and on the class path alike. {@code java.management} lets the kernel choice ask the VM
 * whether C2 compiles (HotSpot diagnostic options); {@code java.net.http} downloads MNIST.
 *
 * <p>The JMH benchmarks (module {@code jmh/}) are the one white-box user of {@code org.mlp4j.internal.kernel}:
 * they run from a shaded class-path jar, where module boundaries do not apply, so no qualified export is
 * needed and the internals stay closed to every module.
 */
module org.mlp4j {
    requires static jdk.incubator.vector;
    requires java.management;
    requires java.net.http;

    exports org.mlp4j;
    exports org.mlp4j.io;
}
