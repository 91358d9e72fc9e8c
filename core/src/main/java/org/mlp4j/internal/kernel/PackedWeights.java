package org.mlp4j.internal.kernel;

import org.mlp4j.Activation;
import org.mlp4j.ParameterLayout;

/**
 * The packed form of every layer's weights and bias (see {@link Kernels#packWeights}), for the forward GEMM
 * {@link Kernels#gemmForwardPacked}. Owners pack when the parameters change: inference once per parameter
 * version, training once per step. Not thread-safe while packing; {@link #forward} may run concurrently.
 */
public final class PackedWeights {
    private final Kernels kernels;
    private final ParameterLayout layout;
    private final int[] offsets;
    private final float[] packed;
    // the packing split into tasks of whole panels: layer, first row, end row
    private final int[] taskLayer;
    private final int[] taskFrom;
    private final int[] taskTo;
    // where each task's weights start in the parameters, and the end of the last (WorkerTeam affinity)
    private final int[] taskParamOffset;

    /**
     * Weights per packing task: the MNIST net's 784x256 layer splits into 8 tasks at 512 bits, enough for
     * threads to share a step's ~100 us of packing (Zen 5, 2026-12-02) without a task costing less than its
     * hand-off (~1 us).
     */
    private static final int TASK_WEIGHTS = 16384;

    /** Space for the packed form of every layer of {@code layout} as {@code kernels} lays it out. */
    public PackedWeights(Kernels kernels, ParameterLayout layout) {
        this.kernels = kernels;
        this.layout = layout;
        this.offsets = new int[layout.layerCount() + 1];
        for (int l = 0; l < layout.layerCount(); l++) {
            long next = (long) offsets[l] + kernels.packedWeightsLength(layout.outputs(l), layout.inputs(l));
            if (next > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("packed weights of layer " + l + " exceed 2^31 floats");
            }
            offsets[l + 1] = (int) ((next + 15) / 16 * 16); // each layer at 64 bytes: see alignedCopy
        }
        this.packed = new float[offsets[layout.layerCount()]];
        int tasks = 0;
        int[] chunk = new int[layout.layerCount()];
        for (int l = 0; l < layout.layerCount(); l++) {
            int rows = layout.outputs(l);
            int group = kernels.packedRowGroup(rows);
            int want = Math.max(1, TASK_WEIGHTS / Math.max(1, layout.inputs(l)));
            chunk[l] = (want + group - 1) / group * group;
            tasks += (rows + chunk[l] - 1) / chunk[l];
        }
        taskLayer = new int[tasks];
        taskFrom = new int[tasks];
        taskTo = new int[tasks];
        taskParamOffset = new int[tasks + 1];
        for (int l = 0, t = 0; l < layout.layerCount(); l++) {
            for (int r = 0; r < layout.outputs(l); r += chunk[l], t++) {
                taskLayer[t] = l;
                taskFrom[t] = r;
                taskTo[t] = Math.min(layout.outputs(l), r + chunk[l]);
                taskParamOffset[t] = layout.weightOffset(l) + r * layout.inputs(l);
                taskParamOffset[t + 1] = layout.weightOffset(l) + layout.outputs(l) * layout.inputs(l);
            }
        }
    }

    /** The packed values (tests compare packs). */
    float[] values() {
        return packed;
    }

    /**
     * Where task {@code i}'s weights start in the flat parameters ({@code [packTasks()]}: the end of the last
     * task's), ascending: the offsets for {@code WorkerTeam.run}'s affinity. Shared; do not modify.
     */
    public int[] packTaskParamOffsets() {
        return taskParamOffset;
    }

    /** The layer whose rows {@link #packTask}{@code (task)} packs. */
    public int packTaskLayer(int task) {
        return taskLayer[task];
    }

    /** The first output row {@link #packTask}{@code (task)} packs. */
    public int packTaskFrom(int task) {
        return taskFrom[task];
    }

    /** The end (exclusive) of the output rows {@link #packTask}{@code (task)} packs. */
    public int packTaskTo(int task) {
        return taskTo[task];
    }

    /** Number of independent parts of {@link #pack}, for {@link #packTask}. */
    public int packTasks() {
        return taskLayer.length;
    }

    /**
     * Part {@code task} of {@link #pack}: whole panels of one layer. Distinct tasks write disjoint ranges and
     * may run concurrently; all of them together write exactly what {@link #pack} writes.
     */
    public void packTask(int task, float[] params) {
        int l = taskLayer[task];
        kernels.packWeightRows(params, layout.weightOffset(l), layout.biasOffset(l), layout.outputs(l),
                layout.inputs(l), packed, offsets[l], taskFrom[task], taskTo[task]);
        if (taskTo[task] == layout.outputs(l)) { // the layer's padding, so that the tasks write all of pack's output
            int end = offsets[l] + kernels.packedWeightsLength(layout.outputs(l), layout.inputs(l));
            java.util.Arrays.fill(packed, end, offsets[l + 1], 0f);
        }
    }

    /** Packs every layer from the flat parameter array {@code params}. */
    public void pack(float[] params) {
        for (int l = 0; l < layout.layerCount(); l++) {
            kernels.packWeights(params, layout.weightOffset(l), layout.biasOffset(l), layout.outputs(l),
                    layout.inputs(l), packed, offsets[l]);
        }
    }

    /**
     * A copy of the packed values for {@link #forwardOne} in memory that suits the one-sample kernels better
     * ({@link Kernels#alignedPackedCopy}: 64-byte aligned on JDK 22+, where every layer starts at a multiple of 16
     * floats), into {@code reuse} when it is an earlier result of this method; null where the kernels have none.
     * Nothing may read {@code reuse} while it is rewritten.
     */
    public Object alignedCopy(Object reuse) {
        return reuse == null ? kernels.alignedPackedCopy(packed) : kernels.alignedPackedCopyInto(packed, reuse);
    }

    /**
     * {@link #forward} of one sample without pre-activations, reading the weights from {@code aligned} (an
     * {@link #alignedCopy} of the current pack) where it is not null: the same bits either way.
     */
    public void forwardOne(int layer, float[] x, int xOff, Object aligned, float[] act, int actOff,
                           Activation activation, float slope) {
        kernels.gemmForwardPackedOne(x, xOff, aligned, packed, offsets[layer], layout.outputs(layer),
                layout.inputs(layer), act, actOff, activation, slope);
    }

    /**
     * Layer {@code layer} forward for {@code batch} samples from the last {@link #pack}: see
     * {@link Kernels#gemmForwardPacked}. {@code z} may be null.
     */
    public void forward(int layer, float[] x, int xOff, int batch, float[] z, int zOff, float[] act, int actOff,
                        Activation activation, float slope) {
        kernels.gemmForwardPacked(x, xOff, batch, packed, offsets[layer], layout.outputs(layer), layout.inputs(layer),
                z, zOff, act, actOff, activation, slope);
    }
}
