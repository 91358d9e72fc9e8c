package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.io.Csv;
import org.mlp4j.io.Mnist;
import org.mlp4j.io.MnistDownloader;
import picocli.CommandLine.Option;

/**
 * Where the data comes from: MNIST (a directory, the copy bundled with the repository, or the download cache)
 * or CSV files.
 */
final class DataOptions {
    /** Comma-separated base URLs that replace the default MNIST mirrors (CI points it at an unreachable one). */
    static final String MIRRORS_ENV = "MLP4J_MNIST_MIRRORS";
    /** The repository root; the launcher sets it so that the bundled {@code data/mnist} is found. */
    static final String HOME_PROPERTY = "mlp4j.home";

    @Option(names = "--data", paramLabel = "DIR",
            description = "Directory with the four MNIST files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                    + "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz). Default: the copy in the "
                    + "repository's data/mnist, else the download cache.")
    Path dataDir;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where MNIST is downloaded when --data is not given and the repository's copy is not "
                    + "found (default: $XDG_CACHE_HOME/mlp4j/mnist, else ~/.cache/mlp4j/mnist).")
    Path cacheDir;

    @Option(names = "--csv", paramLabel = "FILE",
            description = "CSV data instead of MNIST: each row holds the features, then the target (a class index "
                    + "or a class name for cross_entropy, else one value per output). A header line is optional.")
    Path csv;

    @Option(names = "--features", paramLabel = "N",
            description = "Number of feature columns of the CSV data (default: the network's input width).")
    Integer features;

    boolean isCsv() {
        return csv != null;
    }

    /** MNIST and a description of where it came from, for the run's log. */
    record Loaded(Mnist mnist, String source) {
    }

    static Path defaultCacheDir(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Paths.get(xdg).isAbsolute()) {
            return Paths.get(xdg, "mlp4j", "mnist"); // the XDG spec ignores relative paths
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "mlp4j", "mnist");
    }

    /**
     * The repository's bundled {@code data/mnist}, if this jar runs from a clone: from {@code -Dmlp4j.home}
     * (the launchers set it), else from the jar's location ({@code <root>/cli/target/mlp4j-cli-*.jar}).
     */
    static Path bundledDir() {
        List<Path> roots = new ArrayList<>();
        String home = System.getProperty(HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            roots.add(Paths.get(home));
        }
        try {
            var src = DataOptions.class.getProtectionDomain().getCodeSource();
            if (src != null) {
                Path jar = Paths.get(src.getLocation().toURI()).toAbsolutePath();
                // .../cli/target/mlp4j-cli.jar or .../cli/target/classes: the root is two levels up.
                Path target = jar.getParent();
                if (target != null && target.getParent() != null && target.getParent().getParent() != null) {
                    roots.add(target.getParent().getParent());
                }
            }
        } catch (URISyntaxException | RuntimeException e) {
            // no usable location (custom class loader): no bundled copy
        }
        for (Path root : roots) {
            Path dir = root.resolve("data").resolve("mnist");
            if (complete(dir)) {
                return dir;
            }
        }
        return null;
    }

    private static boolean complete(Path dir) {
        return Mnist.FILE_NAMES.stream().allMatch(n -> Files.isRegularFile(dir.resolve(n))
                || Files.isRegularFile(dir.resolve(n + ".gz")));
    }

    /** MNIST from --data, the bundled copy, or the cache (downloading what is missing). */
    Loaded mnist(PrintWriter log) throws IOException {
        if (dataDir != null) {
            return new Loaded(Mnist.load(dataDir), dataDir.toString() + " (--data)");
        }
        Path bundled = cacheDir == null ? bundledDir() : null;
        if (bundled != null) {
            return new Loaded(Mnist.load(bundled), bundled + " (bundled with the repository)");
        }
        Path cache = cacheDir != null ? cacheDir : defaultCacheDir(System.getenv());
        boolean present = complete(cache);
        MnistDownloader downloader = new MnistDownloader(cache, mirrors(System.getenv()));
        if (!present) {
            log.println("Downloading MNIST into " + cache + " (about 11 MB, once) ...");
            log.flush();
        }
        Mnist m = Mnist.load(downloader.ensure(progress(log)));
        return new Loaded(m, cache + (present ? " (download cache)" : " (downloaded now)"));
    }

    /** The mirrors from {@value #MIRRORS_ENV}, else the defaults. */
    static List<URI> mirrors(Map<String, String> env) {
        String v = env.get(MIRRORS_ENV);
        if (v == null || v.isBlank()) {
            return MnistDownloader.DEFAULT_MIRRORS;
        }
        List<URI> list = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.isBlank()) {
                try {
                    list.add(new URI(s.trim()));
                } catch (URISyntaxException e) {
                    throw new IllegalArgumentException(MIRRORS_ENV + ": expected comma-separated http(s) URLs, got '"
                            + s.trim() + "'");
                }
            }
        }
        return list;
    }

    /** Prints a download's progress: a line per 10 % (the log may be a file, so no carriage returns). */
    private static MnistDownloader.DownloadProgress progress(PrintWriter log) {
        int[] lastDecile = {-1};
        String[] lastFile = {null};
        return (file, bytes, total) -> {
            if (!file.equals(lastFile[0])) {
                lastFile[0] = file;
                lastDecile[0] = -1;
            }
            int decile = total > 0 ? (int) (10 * bytes / total) : -1;
            if (total > 0 && decile != lastDecile[0]) {
                lastDecile[0] = decile;
                log.println(String.format(Locale.ROOT, "  %s: %,d of %,d bytes (%d %%)", file, bytes, total,
                        100 * bytes / total));
                log.flush();
            }
        };
    }

    /** Reads a CSV file with {@code features} feature columns and targets for {@code loss}/{@code outputs}. */
    static Dataset readCsv(Path file, int features, Loss loss, int outputs) throws IOException {
        if (loss == Loss.CROSS_ENTROPY) {
            return Csv.readClassification(file, features);
        }
        return Csv.readRegression(file, features, outputs);
    }
}
