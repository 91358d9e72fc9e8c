package org.mlp4j.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mlp4j.Activation;
import org.mlp4j.Network;
import org.mlp4j.ParameterLayout;

/**
 * {@link PackedWeights} lays out every layer of a network for {@link Kernels#gemmForwardPacked} and is a
 * snapshot: parameter changes show only after the next {@link PackedWeights#pack}.
 */
class PackedWeightsTest {

    @Test
    void forwardOfEveryLayerEqualsTheKernelOnItsOwnPackAndIsASnapshot() {
        ParameterLayout layout = Network.builder(37).dense(50, Activation.RELU).dense(17, Activation.TANH)
                .dense(10, Activation.IDENTITY).seed(1).build().layout();
        int batch = 11;
        for (Kernels k : KernelPropertyTest.available()) {
            SplittableRandom rnd = new SplittableRandom(9);
            float[] params = KernelPropertyTest.randomArray(rnd, layout.parameterCount(), -0.5, 0.5);
            PackedWeights pw = new PackedWeights(k, layout);
            pw.pack(params);
            float[] before = null;
            for (int l = 0; l < layout.layerCount(); l++) {
                int rows = layout.outputs(l);
                int cols = layout.inputs(l);
                float[] x = KernelPropertyTest.randomArray(rnd, batch * cols, -1, 1);
                float[] own = new float[k.packedWeightsLength(rows, cols)];
                k.packWeights(params, layout.weightOffset(l), layout.biasOffset(l), rows, cols, own, 0);
                float[] want = new float[batch * rows];
                k.gemmForwardPacked(x, 0, batch, own, 0, rows, cols, null, 0, want, 0, Activation.SIGMOID, 0f);
                float[] got = new float[batch * rows];
                pw.forward(l, x, 0, batch, null, 0, got, 0, Activation.SIGMOID, 0f);
                assertArrayEquals(want, got, k.name() + " layer " + l);
                if (l == 0) {
                    before = got;
                    Arrays.fill(params, layout.weightOffset(0), layout.biasOffset(0), 0.25f); // not re-packed yet
                    float[] stale = new float[batch * rows];
                    pw.forward(0, x, 0, batch, null, 0, stale, 0, Activation.SIGMOID, 0f);
                    assertArrayEquals(before, stale, k.name() + ": forward must read the last pack only");
                    pw.pack(params);
                    float[] fresh = new float[batch * rows];
                    pw.forward(0, x, 0, batch, null, 0, fresh, 0, Activation.SIGMOID, 0f);
                    assertFalse(Arrays.equals(before, fresh), k.name() + ": pack must pick up the change");
                }
            }
        }
    }

    /**
     * The packing split into tasks (what a training step's threads share) writes exactly what one pack writes,
     * in any task order, for layers whose widths fall on and off panel and task boundaries.
     */
    @Test
    void packTasksInAnyOrderEqualOnePack() {
        ParameterLayout layout = Network.builder(784).dense(256, Activation.RELU).dense(33, Activation.RELU)
                .dense(1000, Activation.RELU).dense(1, Activation.IDENTITY).seed(2).build().layout();
        for (Kernels k : KernelPropertyTest.available()) {
            float[] params = KernelPropertyTest.randomArray(new SplittableRandom(4), layout.parameterCount(), -1, 1);
            PackedWeights whole = new PackedWeights(k, layout);
            whole.pack(params);
            PackedWeights parts = new PackedWeights(k, layout);
            Arrays.fill(parts.values(), Float.NaN); // every value must be written by some task
            int n = parts.packTasks();
            assertTrue(n > layout.layerCount(), k.name() + ": the 784x256 and 1000-wide layers split, got " + n);
            for (int t = n - 1; t >= 0; t -= 2) {
                parts.packTask(t, params);
            }
            for (int t = n - 2; t >= 0; t -= 2) {
                parts.packTask(t, params);
            }
            assertArrayEquals(whole.values(), parts.values(), k.name());
        }
    }
}
