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
import org.knowm.xchart.style.Styler;
import org.mlp4j.TrainingListener.EpochStats;
import org.mlp4j.io.Csv;

/** The per-epoch training history: kept across resumes (in the checkpoint), written as CSV and as a PNG chart. */
final class History {
    /** Columns of one row, in CSV order. */
    static final List<String> COLUMNS = List.of("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
            "learning_rate", "seconds", "samples_per_second");

    private final List<double[]> rows = new ArrayList<>();

    void add(EpochStats s) {
        rows.add(new double[] {s.epoch(), s.loss(), s.accuracy(), s.validationLoss(), s.validationAccuracy(),
                s.learningRate(), s.seconds(), s.samplesPerSecond()});
    }

    int size() {
        return rows.size();
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
            if (parts.length != COLUMNS.size()) {
                throw new IllegalArgumentException("checkpoint history: expected " + COLUMNS.size()
                        + " values per epoch, got " + parts.length);
            }
            double[] r = new double[parts.length];
            for (int i = 0; i < r.length; i++) {
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

    /** Draws loss and accuracy curves (train and validation) side by side and writes a PNG (atomically). */
    void writeChart(Path file) throws IOException {
        List<Integer> cols = presentColumns();
        double[] epochs = column(0);
        XYChart loss = chart("Loss", "loss");
        loss.addSeries("train", epochs, column(1));
        if (cols.contains(3)) {
            loss.addSeries("validation", epochs, column(3));
        }
        List<XYChart> charts = new ArrayList<>(List.of(loss));
        if (cols.contains(2)) {
            XYChart acc = chart("Accuracy", "accuracy (%)");
            acc.addSeries("train", epochs, percent(column(2)));
            if (cols.contains(4)) {
                acc.addSeries("validation", epochs, percent(column(4)));
            }
            charts.add(acc);
        }
        int w = 640;
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

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(640).height(440).title(title).xAxisTitle("epoch").yAxisTitle(yTitle)
                .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setDecimalPattern("#,##0.####");
        c.getStyler().setLocale(Locale.ROOT);
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
