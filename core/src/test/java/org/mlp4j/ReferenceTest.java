package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mlp4j.internal.kernel.KernelProvider;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Every PyTorch reference case, on every kernel path available in this JVM: forward outputs (single
 * sample and batch), loss, gradients, and each recorded optimizer step.
 */
class ReferenceTest {

    static List<Arguments> cases() {
        List<Kernels> kernels = new ArrayList<>();
        kernels.add(KernelProvider.scalar());
        KernelProvider.vector().ifPresent(kernels::add);
        List<Arguments> args = new ArrayList<>();
        for (ReferenceCase c : ReferenceCase.all()) {
            for (Kernels k : kernels) {
                args.add(Arguments.of(c, k));
            }
        }
        return args;
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    void forwardMatchesPyTorch(ReferenceCase c, Kernels kernels) {
        Network net = c.network(kernels);
        int batch = c.batch();
        float[] input = c.floats("input");
        float[] expected = c.floats("output");
        float[] batched = new float[expected.length];
        net.predictBatch(input, batch, batched, net.newWorkspace(batch));
        c.assertClose("output (batch)", expected, batched, c.atol("output"));

        float[] single = new float[expected.length];
        Workspace ws = net.newWorkspace();
        for (int b = 0; b < batch; b++) {
            net.predict(input, b * net.inputSize(), single, b * net.outputSize(), ws);
        }
        c.assertClose("output (single sample)", expected, single, c.atol("output"));
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    void lossAndGradientsMatchPyTorch(ReferenceCase c, Kernels kernels) {
        Network net = c.network(kernels);
        float[] grads = new float[net.parameterCount()];
        double loss = net.lossAndGradient(c.floats("input"), c.floats("target"), c.batch(), grads);
        c.assertClose("loss", c.floats("loss")[0], loss, c.atol("loss"));
        c.assertClose("loss()", c.floats("loss")[0], net.loss(c.floats("input"), c.floats("target"), c.batch()),
                c.atol("loss"));
        ParameterLayout layout = net.layout();
        for (int l = 0; l < c.layers(); l++) {
            int w = layout.weightOffset(l);
            int b = layout.biasOffset(l);
            c.assertClose("grad.layers." + l + ".weight", c.floats("grad.layers." + l + ".weight"),
                    java.util.Arrays.copyOfRange(grads, w, w + layout.weightCount(l)), c.atol("grad"));
            c.assertClose("grad.layers." + l + ".bias", c.floats("grad.layers." + l + ".bias"),
                    java.util.Arrays.copyOfRange(grads, b, b + layout.outputs(l)), c.atol("grad"));
        }
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    void optimizerTrajectoryMatchesPyTorch(ReferenceCase c, Kernels kernels) {
        Network net = c.network(kernels);
        Optimizer opt = c.optimizer();
        float[] input = c.floats("input");
        float[] target = c.floats("target");
        int[] recorded = c.recordedSteps();
        int steps = Integer.parseInt(c.meta.get("steps"));
        try (Trainer trainer = Trainer.builder(net, opt).batchSize(c.batch()).threads(1).build()) {
            int next = 0;
            for (int k = 1; k <= steps; k++) {
                double loss = trainer.step(input, 0, target, 0, c.batch());
                if (next < recorded.length && recorded[next] == k) {
                    next++;
                    c.assertClose("step" + k + ".loss", c.floats("step" + k + ".loss")[0], loss, c.atol("loss"));
                    for (int l = 0; l < c.layers(); l++) {
                        c.assertClose("step" + k + ".layers." + l + ".weight",
                                c.floats("step" + k + ".layers." + l + ".weight"), net.weights(l), c.atol("params"));
                        c.assertClose("step" + k + ".layers." + l + ".bias",
                                c.floats("step" + k + ".layers." + l + ".bias"), net.bias(l), c.atol("params"));
                    }
                }
            }
            assertEquals(recorded.length, next, "every recorded step was checked");
        }
        c.assertClose("final.loss", c.floats("final.loss")[0], net.loss(input, target, c.batch()), c.atol("loss"));
    }
}
