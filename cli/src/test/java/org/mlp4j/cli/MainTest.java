package org.mlp4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;
import org.mlp4j.io.Csv;
import org.mlp4j.io.ModelFiles;

/** The command line end to end on small CSV data made here. */
class MainTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** Three Gaussian blobs in 4 dimensions, class label last; {@code labels=false} writes features only. */
    static Path blobs(Path file, int n, long seed, boolean labels) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(labels ? "a,b,c,d,label\n" : "a,b,c,d\n");
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            for (int j = 0; j < 4; j++) {
                double centre = j == c ? 2.5 : 0;
                sb.append(String.format(Locale.ROOT, "%.4f", centre + r.nextGaussian() * 0.6)).append(j < 3 ? "," : "");
            }
            sb.append(labels ? "," + c : "").append('\n');
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"train", "eval", "predict"})
    void helpForEachCommand(String command) {
        Result r = run(command, "--help");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("Usage: mlp4j " + command), r.out());
        assertTrue(r.out().contains("--model") || command.equals("train"), r.out());
        if (command.equals("train")) {
            for (String opt : List.of("--layers", "--activations", "--optimizer", "--lr", "--schedule", "--batch-size",
                    "--epochs", "--threads", "--seed", "--data", "--csv", "--output", "--checkpoint", "--resume",
                    "--validation-split", "--patience", "--clip-grad-norm", "--history", "--chart")) {
                assertTrue(r.out().contains(opt), "train --help lacks " + opt);
            }
        }
    }

    @Test
    void topLevelHelpListsTheCommands() {
        Result r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("train") && r.out().contains("eval") && r.out().contains("predict"), r.out());
        Result none = run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("expected a command"), none.err());
    }

    @Test
    void trainEvalPredictEndToEnd() throws IOException {
        Path train = blobs(dir.resolve("train.csv"), 300, 1, true);
        Path test = blobs(dir.resolve("test.csv"), 90, 2, true);
        Path model = dir.resolve("model.safetensors");
        Path history = dir.resolve("history.csv");
        Path chart = dir.resolve("history.png");
        Result t = run("train", "--csv", train.toString(), "--features", "4", "--test-csv", test.toString(),
                "--layers", "4,16,3", "--activations", "tanh,identity", "--epochs", "8", "--batch-size", "16",
                "--threads", "1", "--lr", "0.05", "--progress", "plain", "-o", model.toString(),
                "--history", history.toString(), "--chart", chart.toString(), "--validation-split", "0.2");
        assertEquals(0, t.code(), t.all());
        assertTrue(t.out().contains("epoch 8/8"), t.out());
        assertTrue(t.out().contains("test accuracy"), t.out());
        assertTrue(t.out().contains("samples/s"), t.out());

        Network net = ModelFiles.load(model);
        assertEquals(4, net.inputSize());
        assertEquals(3, net.outputSize());
        assertEquals(Activation.TANH, net.activation(0));
        assertEquals(Loss.CROSS_ENTROPY, net.loss());

        Csv.Table h = Csv.readFeatures(history);
        assertEquals(8, h.rows());
        assertEquals(List.of("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "learning_rate",
                "seconds", "samples_per_second", "test_loss", "test_accuracy"), h.header());
        assertTrue(h.get(7, 1) < h.get(0, 1), "training loss decreases");
        BufferedImage png = ImageIO.read(chart.toFile());
        assertNotNull(png, "chart is a readable image");
        assertTrue(png.getWidth() > 600 && png.getHeight() > 300);

        Result e = run("eval", "--model", model.toString(), "--csv", test.toString());
        assertEquals(0, e.code(), e.all());
        assertTrue(e.out().contains("samples  90"), e.out());
        assertTrue(e.out().contains("confusion matrix"), e.out());
        assertTrue(e.out().contains("precision") && e.out().contains("macro avg"), e.out());
        String acc = e.out().lines().filter(l -> l.startsWith("accuracy")).findFirst().orElseThrow();
        double accuracy = Double.parseDouble(acc.replaceAll("[^0-9.]", ""));
        assertTrue(accuracy >= 90, acc);

        Path features = blobs(dir.resolve("features.csv"), 30, 3, false);
        Path predictions = dir.resolve("predictions.csv");
        Result p = run("predict", "--model", model.toString(), "--input", features.toString(), "--output",
                predictions.toString());
        assertEquals(0, p.code(), p.all());
        Csv.Table pred = Csv.readFeatures(predictions);
        assertEquals(List.of("class", "p0", "p1", "p2"), pred.header());
        assertEquals(30, pred.rows());
        Csv.Table x = Csv.readFeatures(features);
        int agree = 0;
        for (int r = 0; r < 30; r++) {
            float[] out = net.predict(new float[] {x.get(r, 0), x.get(r, 1), x.get(r, 2), x.get(r, 3)});
            int best = 0;
            for (int j = 1; j < 3; j++) {
                best = out[j] > out[best] ? j : best;
            }
            assertEquals(best, (int) pred.get(r, 0), "row " + r);
            assertEquals(1.0, pred.get(r, 1) + pred.get(r, 2) + pred.get(r, 3), 1e-5);
            agree += best == r % 3 ? 1 : 0;
        }
        assertTrue(agree >= 25, "predictions match the blobs: " + agree + "/30");
    }

    @Test
    void resumeFromCheckpointGivesTheSameModelAsAnUninterruptedRun() throws IOException {
        Path train = blobs(dir.resolve("train.csv"), 120, 4, true);
        String[] common = {"--csv", train.toString(), "--features", "4", "--layers", "4,8,3", "--batch-size", "16",
                "--threads", "2", "--optimizer", "adam", "--lr", "0.01", "--schedule", "step", "--step-epochs", "2",
                "--progress", "none", "--validation-split", "0.25", "--patience", "50", "--clip-grad-norm", "5"};
        Path full = dir.resolve("full.safetensors");
        assertEquals(0, run(concat(common, "--epochs", "6", "-o", full.toString())).code());

        Path ckpt = dir.resolve("run.ckpt");
        Path part = dir.resolve("part.safetensors");
        Result first = run(concat(common, "--epochs", "3", "--checkpoint", ckpt.toString(), "-o", part.toString()));
        assertEquals(0, first.code(), first.all());
        Path resumed = dir.resolve("resumed.safetensors");
        Path history = dir.resolve("h.csv");
        Result second = run("train", "--csv", train.toString(), "--resume", ckpt.toString(), "--epochs", "6",
                "--progress", "plain", "-o", resumed.toString(), "--history", history.toString(), "--threads", "1");
        assertEquals(0, second.code(), second.all());
        assertTrue(second.out().contains("resumed from"), second.out());
        assertTrue(second.out().contains("epoch 4/6") && !second.out().contains("epoch 3/6"), second.out());
        assertArrayEquals(ModelFiles.load(full).parameters(), ModelFiles.load(resumed).parameters());
        assertEquals(6, Csv.readFeatures(history).rows(), "the history includes the epochs before the checkpoint");

        Result conflicting = run("train", "--csv", train.toString(), "--resume", ckpt.toString(), "--lr", "0.5");
        assertEquals(2, conflicting.code());
        assertTrue(conflicting.err().contains("--lr"), conflicting.err());
    }

    private static String[] concat(String[] common, String... more) {
        String[] all = new String[common.length + more.length + 1];
        all[0] = "train";
        System.arraycopy(common, 0, all, 1, common.length);
        System.arraycopy(more, 0, all, 1 + common.length, more.length);
        return all;
    }

    @Test
    void divergenceExitsWithCode3AndSavesTheLastFiniteWeights() throws IOException {
        Path train = blobs(dir.resolve("train.csv"), 60, 5, true);
        Path model = dir.resolve("m.safetensors");
        Result r = run("train", "--csv", train.toString(), "--features", "4", "--layers", "4,8,3", "--lr", "1e30",
                "--schedule", "constant", "--epochs", "5", "--progress", "none", "-o", model.toString());
        assertEquals(Main.EXIT_DIVERGED, r.code(), r.all());
        assertTrue(r.err().contains("diverged"), r.err());
        assertTrue(r.err().contains("saved"), r.err());
        for (float v : ModelFiles.load(model).parameters()) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void clearErrors() throws IOException {
        Path train = blobs(dir.resolve("train.csv"), 30, 6, true);
        Result act = run("train", "--csv", train.toString(), "--features", "4", "--layers", "4,8,3",
                "--activations", "relu,swish");
        assertEquals(2, act.code(), act.all());
        assertTrue(act.err().contains("--activations: expected one of") && act.err().contains("swish"), act.err());
        assertTrue(act.err().contains("mlp4j train --help"), act.err());

        Result patience = run("train", "--csv", train.toString(), "--features", "4", "--patience", "3");
        assertEquals(2, patience.code());
        assertTrue(patience.err().contains("--validation-split"), patience.err());

        Result missing = run("eval", "--model", dir.resolve("nope.safetensors").toString(), "--csv", train.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.safetensors"), missing.err());

        Result unknown = run("train", "--optimiser", "sgd");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--optimiser"), unknown.err());

        Path model = dir.resolve("m.safetensors");
        ModelFiles.save(Network.builder(6).dense(2, Activation.IDENTITY).build(), model);
        Result width = run("predict", "--model", model.toString(), "--input", train.toString(), "--output",
                dir.resolve("p.csv").toString());
        assertEquals(1, width.code());
        assertTrue(width.err().contains("expected 6 feature columns") && width.err().contains("got 5"), width.err());
    }
}
