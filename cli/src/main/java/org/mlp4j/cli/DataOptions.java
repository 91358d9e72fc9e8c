package org.mlp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.mlp4j.Dataset;
import org.mlp4j.Loss;
import org.mlp4j.io.Csv;
import org.mlp4j.io.Mnist;
import org.mlp4j.io.MnistDownloader;
import picocli.CommandLine.Option;

/** Where the data comes from: MNIST (a directory, or the download cache) or CSV files. */
final class DataOptions {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Directory with the four MNIST files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                    + "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz). Default: download into the "
                    + "cache directory.")
    Path dataDir;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where MNIST is downloaded when --data is not given (default: ~/.cache/mlp4j/mnist).")
    Path cacheDir;

    @Option(names = "--csv", paramLabel = "FILE",
            description = "CSV data instead of MNIST: each row holds the features, then the target (a class index "
                    + "for cross_entropy, else one value per output). A header line is optional.")
    Path csv;

    @Option(names = "--features", paramLabel = "N",
            description = "Number of feature columns of the CSV data (default: the network's input width).")
    Integer features;

    boolean isCsv() {
        return csv != null;
    }

    static Path defaultCacheDir() {
        return Paths.get(System.getProperty("user.home"), ".cache", "mlp4j", "mnist");
    }

    /** MNIST from --data, or from the cache (downloading what is missing). */
    Mnist mnist(PrintWriter log) throws IOException {
        if (dataDir != null) {
            return Mnist.load(dataDir);
        }
        Path cache = cacheDir != null ? cacheDir : defaultCacheDir();
        boolean present = Mnist.FILE_NAMES.stream().allMatch(n -> Files.isRegularFile(cache.resolve(n))
                || Files.isRegularFile(cache.resolve(n + ".gz")));
        if (!present) {
            log.println("Downloading MNIST into " + cache + " (about 11 MB, once) ...");
            log.flush();
        }
        return new MnistDownloader(cache).load();
    }

    /** Reads a CSV file with {@code features} feature columns and targets for {@code loss}/{@code outputs}. */
    static Dataset readCsv(Path file, int features, Loss loss, int outputs) throws IOException {
        if (loss == Loss.CROSS_ENTROPY) {
            return Csv.readClassification(file, features);
        }
        return Csv.readRegression(file, features, outputs);
    }
}
