package org.mlp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.io.Csv;
import org.mlp4j.io.MnistDownloader;
import org.mlp4j.io.ModelFiles;

/** Bad option values give errors that name the option as typed, before any training; data-source rules. */
class CliInputTest {
    @TempDir
    Path dir;

    private Path train() throws IOException {
        return MainTest.blobs(dir.resolve("train.csv"), 30, 6, true);
    }

    private MainTest.Result train(String... more) throws IOException {
        boolean output = List.of(more).contains("-o");
        boolean epochs = List.of(more).contains("--epochs");
        String[] base = {"train", "--csv", train().toString(), "--features", "4", "--layers", "4,8,3", "--progress",
                "plain", epochs ? "--threads" : "--epochs", epochs ? "1" : "2", output ? "--seed" : "-o",
                output ? "1" : dir.resolve("m.safetensors").toString()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return MainTest.run(all);
    }

    private static void usageError(MainTest.Result r, String option) {
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains(option), r.err());
        assertFalse(r.out().contains("epoch 1/"), "rejected before training: " + r.out());
    }

    @Test
    void hugeBatchIsTheWholeDataNotAnOverflow() throws IOException {
        MainTest.Result r = train("--batch-size", "2147483647");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("batch 30,") || r.out().contains("batch 24,"), r.out());
        assertFalse(r.all().contains("-256"), r.all());
    }

    @Test
    void hugeLayersAreRejectedByName() throws IOException {
        MainTest.Result r = MainTest.run("train", "--csv", train().toString(), "--features", "4", "--layers",
                "4,20000000,3", "--progress", "none", "-o", dir.resolve("m.safetensors").toString());
        usageError(r, "--layers 4,20000000,3");
        assertFalse(r.err().matches("(?s).*-\\d{5,}.*"), "no overflowed numbers: " + r.err());
    }

    @Test
    void optionValuesOutOfRangeNameTheOption() throws IOException {
        usageError(train("--clip-grad-norm", "-1"), "--clip-grad-norm: expected a finite number > 0, got -1.0");
        usageError(train("--max-iterations", "0"), "--max-iterations: expected a positive number, got 0");
        usageError(train("--lr", "-1"), "--lr: expected a finite number >= 0, got -1.0");
        MainTest.Result beta = train("--optimizer", "adam", "--beta1", "1.5");
        usageError(beta, "--beta1");
        assertFalse(beta.err().contains("beta1:") && !beta.err().contains("--beta1:"), beta.err());
        usageError(train("--gamma", "7", "--schedule", "step"), "--gamma");
        usageError(train("--min-lr", "1", "--lr", "0.1"), "--min-lr");
    }

    @Test
    void outputPathsAreCheckedBeforeTraining() throws IOException {
        Path missing = dir.resolve("no-such-dir");
        for (String option : List.of("-o", "--checkpoint", "--history", "--chart")) {
            MainTest.Result r = train(option, missing.resolve("f").toString());
            usageError(r, option);
            assertTrue(r.err().contains("directory " + missing + " does not exist"), r.err());
        }
        MainTest.Result p = MainTest.run("predict", "--model", dir.resolve("x").toString(), "--input",
                train().toString(), "--output", missing.resolve("p.csv").toString());
        usageError(p, "-o/--output");
    }

    @Test
    void predictWithAHugeBatchWorks() throws IOException {
        assertEquals(0, train("--epochs", "1").code());
        Path features = MainTest.blobs(dir.resolve("x.csv"), 5, 3, false);
        MainTest.Result r = MainTest.run("predict", "--model", dir.resolve("m.safetensors").toString(), "--input",
                features.toString(), "--output", dir.resolve("p.csv").toString(), "--batch-size", "2147483647");
        assertEquals(0, r.code(), r.all());
        assertEquals(5, Csv.readFeatures(dir.resolve("p.csv")).rows());
    }

    @Test
    void resumeRemembersItsCsvDataAndContinuesTheCosineSchedule() throws IOException {
        Path ckpt = dir.resolve("run.ckpt");
        assertEquals(0, train("--checkpoint", ckpt.toString(), "--epochs", "3").code());
        MainTest.Result r = MainTest.run("train", "--resume", ckpt.toString(), "--epochs", "5", "--progress", "plain",
                "-o", dir.resolve("r.safetensors").toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("data as stored in"), r.out());
        assertTrue(r.out().contains("train.csv"), "not MNIST: " + r.out());
        assertTrue(r.out().contains("epoch 4/5"), r.out());
        assertTrue(r.out().contains("in this session"), r.out());
        MainTest.Result wrongKind = MainTest.run("train", "--resume", ckpt.toString(), "--data", dir.toString());
        usageError(wrongKind, "--data");
    }

    @Test
    void raisingTheEpochsReplansTheCosine() {
        RunSettings s = new RunSettings(16, 10, 1, 0.1, "cosine", 5, 100, 1, 0.5, 0, 0, 0, 0, 0, Double.NaN, -1,
                false);
        RunSettings longer = s.withEpochs(20);
        assertEquals(200, longer.totalSteps());
        double atResume = longer.learningRateSchedule().learningRate(100);
        assertEquals(0.1 * 0.5 * (1 + Math.cos(Math.PI * 95 / 195)), atResume, 1e-12);
        assertTrue(atResume > 0.01 && atResume < 0.1, "a moderate rate, neither the floor nor the peak");
        assertEquals(s.totalSteps(), s.withEpochs(10).totalSteps(), "the same budget changes nothing");
    }

    @Test
    void namedClassesRoundTripThroughTrainEvalAndPredict() throws IOException {
        Path iris = Paths.get("..", "data", "iris", "iris.csv");
        assertTrue(Files.isRegularFile(iris), "the iris example ships with the repository");
        Path model = dir.resolve("iris.safetensors");
        MainTest.Result t = MainTest.run("train", "--csv", iris.toString(), "--features", "4", "--validation-split",
                "0.2", "--epochs", "40", "--progress", "none", "-o", model.toString(), "--threads", "1");
        assertEquals(0, t.code(), t.all());
        assertTrue(t.out().contains("classes setosa versicolor virginica"), t.out());
        assertTrue(t.out().contains("standardized features"), t.out());
        Map<String, String> meta = ModelFiles.loadMetadata(model);
        assertEquals("setosa\nversicolor\nvirginica", meta.get(TrainRun.CLASS_NAMES_KEY));
        assertNotNull(meta.get(FeatureScaling.MEAN_KEY));

        MainTest.Result e = MainTest.run("eval", "--model", model.toString(), "--csv", iris.toString());
        assertEquals(0, e.code(), e.all());
        String acc = e.out().lines().filter(l -> l.startsWith("accuracy")).findFirst().orElseThrow();
        assertTrue(Double.parseDouble(acc.replaceAll("[^0-9.]", "")) >= 93, e.out());
        assertTrue(e.out().contains("versicolor") && e.out().contains("weighted avg"), e.out());

        Path rows = Files.writeString(dir.resolve("rows.csv"), "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n");
        Path out = dir.resolve("pred.csv");
        MainTest.Result p = MainTest.run("predict", "--model", model.toString(), "--input", rows.toString(),
                "--output", out.toString());
        assertEquals(0, p.code(), p.all());
        List<String> lines = Files.readAllLines(out);
        assertEquals("label,class,p_setosa,p_versicolor,p_virginica", lines.get(0));
        assertTrue(lines.get(1).startsWith("setosa,0,"), lines.toString());
        assertTrue(lines.get(2).startsWith("virginica,2,"), lines.toString());
    }

    @Test
    void classReportMatchesHandComputedValues() {
        long[][] m = {{8, 2}, {1, 9}};
        String report = EvalCommand.classReport(m, List.of("no", "yes"));
        // precision no = 8/9, recall no = 8/10; precision yes = 9/11, recall yes = 9/10
        assertTrue(report.contains(String.format(java.util.Locale.ROOT, "%9.4f  %9.4f", 8 / 9.0, 0.8)), report);
        assertTrue(report.contains(String.format(java.util.Locale.ROOT, "%9.4f  %9.4f", 9 / 11.0, 0.9)), report);
        double f1yes = 2 * (9 / 11.0) * 0.9 / (9 / 11.0 + 0.9);
        assertTrue(report.contains(String.format(java.util.Locale.ROOT, "%9.4f", f1yes)), report);
        assertTrue(report.contains("macro avg") && report.contains("weighted avg"), report);
    }

    @Test
    void cacheDirectoryAndMirrorsFollowTheEnvironment() {
        assertEquals(Paths.get("/x/cache", "mlp4j", "mnist"), DataOptions.defaultCacheDir(Map.of("XDG_CACHE_HOME",
                "/x/cache")));
        assertEquals(Paths.get(System.getProperty("user.home"), ".cache", "mlp4j", "mnist"),
                DataOptions.defaultCacheDir(Map.of("XDG_CACHE_HOME", "relative")));
        assertEquals(MnistDownloader.DEFAULT_MIRRORS, DataOptions.mirrors(Map.of()));
        assertEquals(List.of(URI.create("http://127.0.0.1:9/"), URI.create("https://m.example/mnist/")),
                DataOptions.mirrors(Map.of(DataOptions.MIRRORS_ENV, "http://127.0.0.1:9/, https://m.example/mnist/")));
        assertThrows(IllegalArgumentException.class,
                () -> DataOptions.mirrors(Map.of(DataOptions.MIRRORS_ENV, "http://a b/")));
    }

    @Test
    void theBundledMnistIsFoundFromTheRepositoryRoot() {
        String old = System.getProperty(DataOptions.HOME_PROPERTY);
        try {
            System.setProperty(DataOptions.HOME_PROPERTY, Paths.get("..").toAbsolutePath().normalize().toString());
            Path found = DataOptions.bundledDir();
            assertNotNull(found);
            assertTrue(found.endsWith(Paths.get("data", "mnist")), String.valueOf(found));
        } finally {
            if (old == null) {
                System.clearProperty(DataOptions.HOME_PROPERTY);
            } else {
                System.setProperty(DataOptions.HOME_PROPERTY, old);
            }
        }
        assertNull(OutputPaths.problem(dir.resolve("ok.csv")));
    }

    @Test
    void epochLinesLabelTheTestAccuracy() {
        var s = new org.mlp4j.TrainingListener.EpochStats(2, 0.1, 0.97, 1000, 0.5, 2000, Double.NaN, Double.NaN, 0.01);
        String line = Progress.epochLine(s, 5, 0.07, 0.9812);
        assertTrue(line.contains("test_acc  98.12%"), line);
        assertFalse(Progress.epochLine(s, 5).contains("test"), "no test column without a test set");
    }

    @Test
    void libraryLogLinesAreOneShortLineAndOnlyWarningsByDefault() {
        Main.configureLogging(null);
        java.util.logging.Logger lib = java.util.logging.Logger.getLogger("org.mlp4j");
        assertFalse(lib.isLoggable(java.util.logging.Level.INFO));
        assertTrue(lib.isLoggable(java.util.logging.Level.WARNING));
        java.util.logging.Handler h = lib.getHandlers()[0];
        String line = h.getFormatter().format(new java.util.logging.LogRecord(java.util.logging.Level.WARNING,
                "using scalar kernels"));
        assertEquals("mlp4j: using scalar kernels" + System.lineSeparator(), line);
        Main.configureLogging("info");
        assertTrue(lib.isLoggable(java.util.logging.Level.INFO));
        Main.configureLogging(null);
    }

    @Test
    void helpTextNeverBreaksInsideAWord() {
        for (String command : List.of("train", "eval", "predict")) {
            String help = MainTest.run(command, "--help").out();
            for (String line : help.split("\n")) {
                // picocli may break after a hyphen or inside an option list ("4,256,\n128"): both split a word.
                assertFalse(line.matches(".*[A-Za-z0-9]-$") || line.matches(".*\\[no-\\]$")
                        || line.matches(".*[0-9],[0-9]+,$"), command + " --help breaks a word: " + line);
            }
        }
    }
}
