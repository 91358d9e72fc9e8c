package org.mlp4j.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Locale;
import org.mlp4j.TrainingListener;

/**
 * Training progress for the terminal: a live bar per epoch (samples/s, running loss, ETA) on stderr when attached
 * to a terminal, and one line per epoch on stdout in every mode except {@code none}.
 */
final class Progress implements TrainingListener {
    enum Mode { AUTO, BAR, PLAIN, NONE }

    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 28;

    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean bar;
    private final boolean lines;
    private final int epochs;
    private final int samples;
    private long epochStart;
    private long lastDraw;
    private double lossSum;
    private long seen;
    private int lastWidth;

    Progress(Mode mode, PrintWriter out, PrintWriter err, int epochs, int samples) {
        this.out = out;
        this.err = err;
        this.bar = mode == Mode.BAR || (mode == Mode.AUTO && isTerminal());
        this.lines = mode != Mode.NONE;
        this.epochs = epochs;
        this.samples = samples;
    }

    /** Whether stdout is an interactive terminal (Java 22+ returns a Console even when redirected). */
    static boolean isTerminal() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            Method m = Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // before Java 22 a non-null console means a terminal
        }
    }

    @Override
    public boolean onBatch(BatchStats s) {
        long now = System.nanoTime();
        if (s.batch() == 0) {
            epochStart = now;
            lastDraw = now;
            lossSum = 0;
            seen = 0;
        }
        lossSum += s.loss() * s.samples();
        seen += s.samples();
        if (bar && (now - lastDraw >= REDRAW_NANOS || s.batch() + 1 == s.batches())) {
            lastDraw = now;
            draw(s, now);
        }
        return true;
    }

    private void draw(BatchStats s, long now) {
        double frac = (double) (s.batch() + 1) / s.batches();
        int filled = (int) Math.round(frac * BAR_WIDTH);
        double secs = (now - epochStart) / 1e9;
        double rate = secs > 0 ? seen / secs : 0;
        double eta = rate > 0 ? (samples - seen) / rate : 0;
        String line = String.format(Locale.ROOT, "epoch %d/%d [%s%s] %3.0f%% %,8.0f samples/s  loss %.4f  ETA %s",
                s.epoch(), epochs, "=".repeat(filled), " ".repeat(BAR_WIDTH - filled), 100 * frac, rate,
                lossSum / seen, duration(eta));
        err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
        err.flush();
        lastWidth = line.length();
    }

    private void clearBar() {
        if (bar && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
            lastWidth = 0;
        }
    }

    @Override
    public boolean onEpoch(EpochStats s) {
        onEpoch(s, Double.NaN, Double.NaN);
        return true;
    }

    /** Ends an epoch's bar and prints its line, with the test set's loss and accuracy (NaN when not evaluated). */
    void onEpoch(EpochStats s, double testLoss, double testAccuracy) {
        clearBar();
        if (lines) {
            out.println(epochLine(s, epochs, testLoss, testAccuracy));
            out.flush();
        }
    }

    static String epochLine(EpochStats s, int epochs) {
        return epochLine(s, epochs, Double.NaN, Double.NaN);
    }

    static String epochLine(EpochStats s, int epochs, double testLoss, double testAccuracy) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %" + digits(epochs) + "d/%d  loss %.4f",
                s.epoch(), epochs, s.loss()));
        if (!Double.isNaN(s.accuracy())) {
            sb.append(String.format(Locale.ROOT, "  acc %6.2f%%", 100 * s.accuracy()));
        }
        if (!Double.isNaN(s.validationLoss())) {
            sb.append(String.format(Locale.ROOT, "  val_loss %.4f", s.validationLoss()));
        }
        if (!Double.isNaN(s.validationAccuracy())) {
            sb.append(String.format(Locale.ROOT, "  val_acc %6.2f%%", 100 * s.validationAccuracy()));
        }
        if (!Double.isNaN(testAccuracy)) {
            sb.append(String.format(Locale.ROOT, "  test_acc %6.2f%%", 100 * testAccuracy));
        } else if (!Double.isNaN(testLoss)) {
            sb.append(String.format(Locale.ROOT, "  test_loss %.4f", testLoss));
        }
        sb.append(String.format(Locale.ROOT, "  lr %.3g  %5.2f s  %,.0f samples/s", s.learningRate(), s.seconds(),
                s.samplesPerSecond()));
        return sb.toString();
    }

    private static int digits(int n) {
        return Integer.toString(n).length();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** Call when training ends abnormally, so the next message starts on a clean line. */
    void finish() {
        clearBar();
    }
}
