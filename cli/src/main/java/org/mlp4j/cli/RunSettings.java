package org.mlp4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mlp4j.LearningRateSchedule;

/**
 * The settings that determine a training run's trajectory besides the network and optimizer (which a checkpoint
 * stores itself), resolved to optimizer steps. Stored in checkpoints so that {@code --resume} continues the same
 * run.
 */
record RunSettings(int batchSize, int epochs, long seed, double lr, String schedule, long warmupSteps,
                   long totalSteps, long stepSize, double gamma, double minLr, double clipNorm,
                   double validationSplit, int patience, long maxIterations, double targetLoss,
                   double gradTolerance, boolean standardize) {

    LearningRateSchedule learningRateSchedule() {
        switch (schedule) {
            case "constant":
                return LearningRateSchedule.constant(lr);
            case "step":
                return LearningRateSchedule.stepDecay(lr, stepSize, gamma);
            case "cosine":
                return LearningRateSchedule.cosineWithWarmup(lr, warmupSteps, totalSteps, minLr);
            default:
                throw new IllegalArgumentException("schedule: expected constant, step or cosine, got '" + schedule + "'");
        }
    }

    Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("batch_size", Integer.toString(batchSize));
        m.put("epochs", Integer.toString(epochs));
        m.put("seed", Long.toString(seed));
        m.put("lr", Double.toString(lr));
        m.put("schedule", schedule);
        m.put("warmup_steps", Long.toString(warmupSteps));
        m.put("total_steps", Long.toString(totalSteps));
        m.put("step_size", Long.toString(stepSize));
        m.put("gamma", Double.toString(gamma));
        m.put("min_lr", Double.toString(minLr));
        m.put("clip_norm", Double.toString(clipNorm));
        m.put("validation_split", Double.toString(validationSplit));
        m.put("patience", Integer.toString(patience));
        m.put("max_iterations", Long.toString(maxIterations));
        m.put("target_loss", Double.toString(targetLoss));
        m.put("grad_tolerance", Double.toString(gradTolerance));
        m.put("standardize", Boolean.toString(standardize));
        return m;
    }

    /** Reads settings stored by {@link #toMetadata()}; {@code source} names the file in errors. */
    static RunSettings fromMetadata(Map<String, String> m, String source) {
        try {
            return new RunSettings(Integer.parseInt(get(m, "batch_size", source)),
                    Integer.parseInt(get(m, "epochs", source)), Long.parseLong(get(m, "seed", source)),
                    Double.parseDouble(get(m, "lr", source)), get(m, "schedule", source),
                    Long.parseLong(get(m, "warmup_steps", source)), Long.parseLong(get(m, "total_steps", source)),
                    Long.parseLong(get(m, "step_size", source)), Double.parseDouble(get(m, "gamma", source)),
                    Double.parseDouble(get(m, "min_lr", source)), Double.parseDouble(get(m, "clip_norm", source)),
                    Double.parseDouble(get(m, "validation_split", source)),
                    Integer.parseInt(get(m, "patience", source)), Long.parseLong(get(m, "max_iterations", source)),
                    Double.parseDouble(get(m, "target_loss", source)),
                    Double.parseDouble(get(m, "grad_tolerance", source)),
                    Boolean.parseBoolean(m.getOrDefault("standardize", "false")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": checkpoint run settings: expected numbers, got "
                    + e.getMessage(), e);
        }
    }

    private static String get(Map<String, String> m, String key, String source) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException(source + ": expected run setting '" + key + "' in the checkpoint "
                    + "(was it written by 'mlp4j train --checkpoint'?), it is missing");
        }
        return v;
    }

    /**
     * The same run with an epoch budget of {@code e}. A cosine schedule is re-planned for the new length: from
     * the resume point on the rate follows the curve of a run planned with {@code e} epochs from the start (the
     * warm-up is unchanged), so raising the budget continues with a moderate rate instead of restarting at the
     * peak or staying at the floor. Constant and step schedules do not depend on the length.
     */
    RunSettings withEpochs(int e) {
        long batchesPerEpoch = epochs > 0 ? totalSteps / epochs : 0;
        long total = "cosine".equals(schedule) && batchesPerEpoch > 0 ? Math.max(warmupSteps + 1, e * batchesPerEpoch)
                : totalSteps;
        return new RunSettings(batchSize, e, seed, lr, schedule, warmupSteps, total, stepSize, gamma, minLr,
                clipNorm, validationSplit, patience, maxIterations, targetLoss, gradTolerance, standardize);
    }
}
