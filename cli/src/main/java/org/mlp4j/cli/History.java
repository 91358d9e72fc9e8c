package org.mlp4j.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.mlp4j.TrainingListener.EpochStats;
import org.mlp4j.io.Csv;

/** The per-epoch training history: kept across resumes (in the checkpoint), written as CSV and as a PNG chart. */
final class History {
    /** Columns of one row, in CSV order. */
    static final List<String> COLUMNS = List.of("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
            "learning_rate", "seconds", "samples_per_second", "test_loss", "test_accuracy");
    /** Columns of checkpoints written before the test columns existed. */
    private static final int OLD_COLUMNS = 8;

    private final List<double[]> rows = new ArrayList<>();

    void add(EpochStats s) {
        add(s, Double.NaN, Double.NaN);
    }

    /** Adds an epoch with the test set's loss and accuracy after it (NaN when not evaluated). */
    void add(EpochStats s, double testLoss, double testAccuracy) {
        rows.add(new double[] {s.epoch(), s.loss(), s.accuracy(), s.validationLoss(), s.validationAccuracy(),
                s.learningRate(), s.seconds(), s.samplesPerSecond(), testLoss, testAccuracy});
    }

    int size() {
        return rows.size();
    }

    /** The epoch number of row {@code i}. */
    double epoch(int i) {
        return rows.get(i)[0];
    }

    /** Test accuracy after row {@code i}'s epoch, or NaN. */
    double testAccuracy(int i) {
        return rows.get(i)[9];
    }

    /** Wall time of epoch row {@code i}. */
    double seconds(int i) {
        return rows.get(i)[6];
    }

    /** Samples trained in epoch row {@code i}. */
    long samples(int i) {
        return Math.round(rows.get(i)[6] * rows.get(i)[7]);
    }

    /** Compact form stored in checkpoint metadata: rows separated by ';', values by ','. */
    String encode() {
        StringBuilder sb = new StringBuilder();
        for (double[] r : rows) {
            if (sb.length() > 0) {
                sb.append(';');
            }
            for (int i = 0; i < r.length; i++) {
                sb.append(i == 0 ? "" : ",").append(r[i]);
            }
        }
        return sb.toString();
    }

    static History decode(String s) {
        History h = new History();
        if (s == null || s.isEmpty()) {
            return h;
        }
        for (String row : s.split(";")) {
            String[] parts = row.split(",");
            if (parts.length != COLUMNS.size() && parts.length != OLD_COLUMNS) {
                throw new IllegalArgumentException("checkpoint history: expected " + COLUMNS.size()
                        + " values per epoch, got " + parts.length);
            }
            double[] r = new double[COLUMNS.size()];
            java.util.Arrays.fill(r, Double.NaN);
            for (int i = 0; i < parts.length; i++) {
                r[i] = Double.parseDouble(parts[i]);
            }
            h.rows.add(r);
        }
        return h;
    }

    /** Columns that have a value in every row (validation and accuracy columns are left out when absent). */
    private List<Integer> presentColumns() {
        List<Integer> cols = new ArrayList<>();
        for (int c = 0; c < COLUMNS.size(); c++) {
            boolean all = !rows.isEmpty();
            for (double[] r : rows) {
                all &= Double.isFinite(r[c]);
            }
            if (all) {
                cols.add(c);
            }
        }
        return cols;
    }

    /** Writes the history as CSV (atomically). */
    void writeCsv(Path file) throws IOException {
        List<Integer> cols = presentColumns();
        List<String> header = new ArrayList<>();
        cols.forEach(c -> header.add(COLUMNS.get(c)));
        float[] values = new float[rows.size() * cols.size()];
        int i = 0;
        for (double[] r : rows) {
            for (int c : cols) {
                values[i++] = (float) r[c];
            }
        }
        Csv.write(file, header, values, cols.size());
    }

    /**
     * Draws three panels side by side and writes a PNG (atomically): the loss (train, validation, test; log scale
     * when every value is positive), the accuracy of classifiers, and the learning rate. {@code bestEpoch} (0:
     * none) is marked as a vertical line: the epoch whose weights early stopping kept.
     */
    void writeChart(Path file, int bestEpoch) throws IOException {
        List<Integer> cols = presentColumns();
        double[] epochs = column(0);
        boolean positive = true;
        for (int c : List.of(1, 3, 8)) {
            if (cols.contains(c)) {
                for (double v : column(c)) {
                    positive &= v > 0;
                }
            }
        }
        XYChart loss = chart("Loss" + (positive ? " (log scale)" : ""), "loss");
        loss.getStyler().setYAxisLogarithmic(positive);
        addSeries(loss, "train", epochs, column(1));
        if (cols.contains(3)) {
            addSeries(loss, "validation", epochs, column(3));
        }
        if (cols.contains(8)) {
            addSeries(loss, "test", epochs, column(8));
        }
        markBest(loss, bestEpoch, List.of(1, 3, 8), cols, 1);
        List<XYChart> charts = new ArrayList<>(List.of(loss));
        if (cols.contains(2)) {
            XYChart acc = chart("Accuracy", "accuracy (%)");
            addSeries(acc, "train", epochs, percent(column(2)));
            if (cols.contains(4)) {
                addSeries(acc, "validation", epochs, percent(column(4)));
            }
            if (cols.contains(9)) {
                addSeries(acc, "test", epochs, percent(column(9)));
            }
            markBest(acc, bestEpoch, List.of(2, 4, 9), cols, 100);
            charts.add(acc);
        }
        XYChart lr = chart("Learning rate (at each epoch's end)", "learning rate");
        addSeries(lr, "learning rate", epochs, column(5));
        double maxLr = 0;
        for (double v : column(5)) {
            maxLr = Math.max(maxLr, v);
        }
        // Plain decimals for the usual rates; exponents only when every rate is tiny.
        lr.getStyler().setYAxisDecimalPattern(maxLr >= 1e-3 ? "0.#####" : "0.##E0");
        charts.add(lr);
        int w = 560;
        int h = 440;
        BufferedImage img = new BufferedImage(w * charts.size(), h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), h);
        for (int i = 0; i < charts.size(); i++) {
            g.drawImage(BitmapEncoder.getBufferedImage(charts.get(i)), i * w, 0, null);
        }
        g.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", png)) {
            throw new IOException("no PNG writer available in this Java runtime");
        }
        writeAtomically(file, png.toByteArray());
    }

    private static void addSeries(XYChart c, String name, double[] x, double[] y) {
        XYSeries s = c.addSeries(name, x, y);
        // Markers only while they stay readable; a long run is a line.
        s.setMarker(x.length <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    /** A vertical line at the best epoch spanning the plotted values of {@code series}. */
    private void markBest(XYChart c, int bestEpoch, List<Integer> series, List<Integer> present, double scale) {
        if (bestEpoch <= 0) {
            return;
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int col : series) {
            if (present.contains(col)) {
                for (double v : column(col)) {
                    lo = Math.min(lo, v * scale);
                    hi = Math.max(hi, v * scale);
                }
            }
        }
        if (lo <= hi) {
            XYSeries s = c.addSeries("best epoch " + bestEpoch, new double[] {bestEpoch, bestEpoch},
                    new double[] {lo, hi});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(Color.GRAY);
            s.setLineStyle(new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER,
                    10f, new float[] {6f, 4f}, 0f));
        }
    }

    private XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(560).height(440).title(title).xAxisTitle("epoch").yAxisTitle(yTitle)
                .build();
        XYStyler st = c.getStyler();
        // Below the plot, so the legend never hides a curve.
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setLegendLayout(Styler.LegendLayout.Horizontal);
        st.setChartBackgroundColor(Color.WHITE);
        st.setLocale(Locale.ROOT);
        c.getStyler().setXAxisDecimalPattern("#,##0");
        c.getStyler().setYAxisDecimalPattern("#,##0.###");
        // Whole epochs only: about eight ticks whatever the run's length.
        st.setXAxisTickMarkSpacingHint(Math.max(40, 460 / Math.max(1, Math.min(8, rows.size()))));
        return c;
    }

    private double[] column(int c) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rows.get(i)[c];
        }
        return v;
    }

    private static double[] percent(double[] v) {
        double[] p = v.clone();
        for (int i = 0; i < p.length; i++) {
            p[i] *= 100;
        }
        return p;
    }

    /** Temporary file in the same directory, forced to disk, renamed over the target. */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
