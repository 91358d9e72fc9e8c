package org.mlp4j.internal.engine;

import org.mlp4j.internal.kernel.Kernels;

/**
 * One optimizer step: loss and gradient through the {@link GradientEngine}, divergence checks, clipping by
 * global norm, the parallel update of the trainable parameters, and undo when an update overflows.
 *
 * <p>The update runs in chunks of {@link #UPDATE_CHUNK} parameters within each trainable segment of the
 * model (all parameters unless some are frozen): chunks are fixed by the model, never by the thread count,
 * and the rules are elementwise, so results are bit-identical for any thread count.
 */
public final class TrainingStep {
    /** Parameter chunk per parallel update task; smaller models update inline. */
    static final int UPDATE_CHUNK = 1 << 16;

    /** A non-finite loss, gradient norm or updated parameter; the step was not applied or was undone. */
    public static final class DivergedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String what;
        private final double value;

        DivergedException(String what, double value) {
            super(what + " is " + value, null, false, false);
            this.what = what;
            this.value = value;
        }

        /** What became non-finite ("the loss", "the gradient norm", "an updated parameter"). */
        public String what() {
            return what;
        }

        /** The non-finite value. */
        public double value() {
            return value;
        }
    }

    private final Model model;
    private final GradientEngine engine;
    private final WorkerTeam team;
    private final WorkerTeam.Body updateBody = this::updateChunk;
    private final float[] previousParameters;
    private double clipNorm = Double.POSITIVE_INFINITY;
    private int chunkVersion = -1;
    private int[] chunkFrom = new int[0];
    private int[] chunkOffsets = new int[1]; // chunkFrom and the end of the last chunk: WorkerTeam affinity
    private int[] chunkLen = new int[0];
    private boolean[] chunkFinite = new boolean[0];
    private double lastGradientNorm = Double.NaN;
    // the step in flight, read by the update tasks
    private Update update;
    private float gradScale = 1f;

    /** A step for {@code model} with {@code engine}'s gradients, run by {@code team}. */
    public TrainingStep(Model model, GradientEngine engine, WorkerTeam team) {
        this.model = model;
        this.engine = engine;
        this.team = team;
        this.previousParameters = new float[model.parameters().length];
    }

    /** Clips each step's gradient to this global L2 norm (positive; infinity: off). */
    public void setClipNorm(double maxNorm) {
        this.clipNorm = maxNorm;
    }

    /** The gradient engine (its {@link GradientEngine#correct()} describes the last step). */
    public GradientEngine engine() {
        return engine;
    }

    /** Global L2 norm of the last step's gradient over the trainable parameters, before clipping. */
    public double lastGradientNorm() {
        return lastGradientNorm;
    }

    /**
     * One step on {@code batch} validated samples: mean loss and gradient, divergence checks, clipping, the
     * update by {@code u}.
     *
     * @return the batch's mean loss before the step
     * @throws DivergedException if the loss, the gradient norm or an updated parameter is not finite (the
     *                           parameters are then as before the step)
     */
    public double step(Update u, float[] x, int xOff, float[] y, int yOff, int batch) {
        engine.ensureCapacity(batch);
        double loss = engine.compute(x, xOff, y, yOff, batch);
        if (!Double.isFinite(loss)) {
            throw new DivergedException("the loss", loss);
        }
        double norm = Math.sqrt(engine.gradientSquares());
        if (!Double.isFinite(norm)) {
            throw new DivergedException("the gradient norm", norm);
        }
        lastGradientNorm = norm;
        float clip = norm > clipNorm ? (float) (clipNorm / norm) : 1f;
        gradScale = u.maximize() ? -clip : clip;
        refreshChunks();
        float[] p = model.parameters();
        this.update = u;
        u.begin(p.length);
        try {
            team.run(updateBody, chunkFrom.length, false, chunkOffsets);
        } finally {
            this.update = null;
        }
        u.end();
        model.parametersChanged();
        for (int c = 0; c < chunkFrom.length; c++) {
            if (!chunkFinite[c]) {
                // A finite gradient can still overflow a float parameter (huge learning rate): undo the step.
                float bad = firstNonFinite(p);
                for (int d = 0; d < chunkFrom.length; d++) {
                    System.arraycopy(previousParameters, chunkFrom[d], p, chunkFrom[d], chunkLen[d]);
                }
                model.parametersChanged();
                throw new DivergedException("an updated parameter", bad);
            }
        }
        return loss;
    }

    /**
     * Applies one update with a caller's gradient, on the calling thread, honouring frozen parameters and
     * {@link Update#maximize()} (the gradient array is not changed).
     */
    public static void apply(Model model, Update u, float[] gradients) {
        float[] g = gradients;
        if (u.maximize()) {
            g = gradients.clone();
            model.kernels().scale(g, 0, g.length, -1f);
        }
        float[] p = model.parameters();
        u.begin(p.length);
        int[] seg = model.trainableSegments();
        for (int i = 0; i < seg.length; i += 2) {
            u.apply(model.kernels(), p, g, seg[i], seg[i + 1] - seg[i]);
        }
        u.end();
        model.parametersChanged();
    }

    private void refreshChunks() {
        if (chunkVersion == model.trainableVersion()) {
            return;
        }
        int[] seg = model.trainableSegments();
        int count = 0;
        for (int i = 0; i < seg.length; i += 2) {
            int len = seg[i + 1] - seg[i];
            count += len / UPDATE_CHUNK + (len % UPDATE_CHUNK == 0 ? 0 : 1);
        }
        chunkFrom = new int[count];
        chunkLen = new int[count];
        chunkFinite = new boolean[count];
        int c = 0;
        for (int i = 0; i < seg.length; i += 2) {
            for (int off = seg[i]; off < seg[i + 1]; off += UPDATE_CHUNK) {
                chunkFrom[c] = off;
                chunkLen[c] = Math.min(UPDATE_CHUNK, seg[i + 1] - off);
                c++;
            }
        }
        chunkOffsets = java.util.Arrays.copyOf(chunkFrom, count + 1);
        chunkOffsets[count] = count == 0 ? 0 : chunkFrom[count - 1] + chunkLen[count - 1];
        chunkVersion = model.trainableVersion();
    }

    private static float firstNonFinite(float[] p) {
        for (float v : p) {
            if (!Float.isFinite(v)) {
                return v;
            }
        }
        return Float.NaN;
    }

    private void updateChunk(int chunk) {
        float[] g = engine.gradients();
        int off = chunkFrom[chunk];
        int len = chunkLen[chunk];
        Kernels k = model.kernels();
        if (gradScale != 1f) {
            k.scale(g, off, len, gradScale);
        }
        float[] p = model.parameters();
        System.arraycopy(p, off, previousParameters, off, len);
        update.apply(k, p, g, off, len);
        chunkFinite[chunk] = k.allFinite(p, off, len);
    }
}
