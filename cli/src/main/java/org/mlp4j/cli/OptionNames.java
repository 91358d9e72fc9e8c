package org.mlp4j.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Restates the library's argument errors ({@code learningRate: ...}) with the option the user typed. */
final class OptionNames {
    /** Library parameter name -> command-line option. */
    static final Map<String, String> OPTIONS = Map.ofEntries(
            Map.entry("lr", "--lr"), Map.entry("learningRate", "--lr"), Map.entry("momentum", "--momentum"),
            Map.entry("weightDecay", "--weight-decay"), Map.entry("weight_decay", "--weight-decay"),
            Map.entry("beta1", "--beta1"), Map.entry("beta2", "--beta2"),
            Map.entry("eps", "--eps"), Map.entry("alpha", "--alpha"), Map.entry("minLr", "--min-lr"),
            Map.entry("gamma", "--gamma"), Map.entry("stepSize", "--step-epochs"),
            Map.entry("warmupSteps", "--warmup-epochs"), Map.entry("totalSteps", "--epochs"),
            Map.entry("maxNorm", "--clip-grad-norm"), Map.entry("gradientTolerance", "--grad-tolerance"),
            Map.entry("tolerance", "--grad-tolerance"), Map.entry("threads", "--threads"),
            Map.entry("batchSize", "--batch-size"), Map.entry("maxBatch", "--batch-size"),
            Map.entry("epochs", "--epochs"), Map.entry("maxIterations", "--max-iterations"),
            Map.entry("targetLoss", "--target-loss"), Map.entry("patience", "--patience"),
            Map.entry("dampening", "--momentum"), Map.entry("leakyReluSlope", "--leaky-slope"),
            Map.entry("slope", "--leaky-slope"));

    private OptionNames() {
    }

    /** The error as a usage error naming the option, when its message starts with a known parameter name. */
    static RuntimeException rename(CommandLine cl, IllegalArgumentException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        int colon = m.indexOf(':');
        String option = colon > 0 ? OPTIONS.get(m.substring(0, colon)) : null;
        if (option == null) {
            return e;
        }
        return new ParameterException(cl, option + m.substring(colon), e);
    }
}
