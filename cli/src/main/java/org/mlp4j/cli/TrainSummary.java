package org.mlp4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.mlp4j.Evaluation;
import org.mlp4j.TrainingResult;

/** The lines printed after training: why it stopped, the test result, the time to the target accuracy. */
final class TrainSummary {
    private final TrainRun run;
    private final TrainRun.Outcome o;

    TrainSummary(TrainRun run, TrainRun.Outcome outcome) {
        this.run = run;
        this.o = outcome;
    }

    void print(PrintWriter out) {
        out.println("stopped: " + reason(o.result()));
        Evaluation e = o.test();
        if (e != null) {
            out.println(Double.isNaN(e.accuracy())
                    ? String.format(Locale.ROOT, "test loss %.4f (%,d samples)", e.loss(), e.samples())
                    : String.format(Locale.ROOT, "test accuracy %.2f %% (loss %.4f, %,d samples)", 100 * e.accuracy(),
                    e.loss(), e.samples()));
            if (!Double.isNaN(e.accuracy()) && run.cmd.testEveryEpoch) {
                out.println(o.targetEpoch() == 0
                        ? String.format(Locale.ROOT, "test accuracy did not reach %.0f %% in any epoch",
                        100 * TrainRun.TARGET_ACCURACY)
                        : Double.isNaN(o.targetSeconds())
                        ? String.format(Locale.ROOT, "test accuracy first reached %.0f %% after epoch %d (before "
                        + "the resume)", 100 * TrainRun.TARGET_ACCURACY, o.targetEpoch())
                        : String.format(Locale.ROOT, "test accuracy first reached %.0f %% after epoch %d, %.2f s "
                        + "after the process started", 100 * TrainRun.TARGET_ACCURACY, o.targetEpoch(),
                        o.targetSeconds()));
            }
        } else {
            out.println("no test set (pass --test-csv FILE to evaluate one)");
        }
        double wall = (System.nanoTime() - run.processStart) / 1e9;
        int epochsNow = run.history.size() - (run.ckpt != null ? run.ckpt.completedEpochs() : 0);
        out.println(String.format(Locale.ROOT, "wall time %.2f s from process start; training %.2f s over %d "
                        + "epoch%s%s, %,.0f samples/s", wall, o.trainSeconds(), epochsNow, epochsNow == 1 ? "" : "s",
                run.ckpt != null ? " in this session" : "", o.trainSeconds() > 0 ? o.samples() / o.trainSeconds() : 0));
        out.println("model saved to " + run.cmd.output + (run.cmd.history != null ? ", history to " + run.cmd.history
                : "") + (run.cmd.chart != null ? ", chart to " + run.cmd.chart : "")
                + (run.cmd.checkpoint != null ? ", checkpoint " + run.cmd.checkpoint : ""));
        out.flush();
    }

    static String reason(TrainingResult r) {
        switch (r.reason()) {
            case EARLY_STOPPING:
                return "early stopping after epoch " + r.epochs() + "; restored the best epoch " + r.bestEpoch()
                        + String.format(Locale.ROOT, " (validation loss %.4f)", r.bestValidationLoss());
            case MAX_EPOCHS:
                return "epoch budget reached (" + r.epochs() + (r.epochs() == 1 ? " epoch, " : " epochs, ")
                        + r.iterations() + " steps)" + (r.bestEpoch() > 0 ? String.format(Locale.ROOT,
                        "; best validation loss %.4f at epoch %d", r.bestValidationLoss(), r.bestEpoch()) : "");
            case MAX_ITERATIONS:
                return "iteration budget reached (" + r.iterations() + " steps, epoch " + r.epochs() + ")";
            case TARGET_LOSS:
                return String.format(Locale.ROOT, "target loss reached (%.4g at epoch %d)", r.loss(), r.epochs());
            case GRADIENT_TOLERANCE:
                return String.format(Locale.ROOT, "gradient norm %.3g below the tolerance (epoch %d, step %d)",
                        r.gradientNorm(), r.epochs(), r.iterations());
            default:
                return r.reason().toString();
        }
    }
}
