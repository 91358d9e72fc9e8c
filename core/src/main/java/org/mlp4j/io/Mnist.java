package org.mlp4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.mlp4j.Dataset;

/**
 * The MNIST handwritten-digit data set loaded from its four IDX files.
 *
 * <p>Features are pixels scaled to {@code [0, 1]} ({@code byte / 255f}), one row of {@code rows * cols} (784)
 * values per image; targets are class indices {@code 0..9} stored as floats (target width 1).
 */
public final class Mnist {
    /** Number of classes (digits 0 to 9). */
    public static final int CLASSES = 10;

    /** Base names of the four files; each may also carry a {@code .gz} suffix. */
    public static final List<String> FILE_NAMES = List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    private final Dataset train;
    private final Dataset test;

    private Mnist(Dataset train, Dataset test) {
        this.train = train;
        this.test = test;
    }

    /**
     * The 60,000-sample training set (for the standard files).
     *
     * @return the training images as features in {@code [0, 1]} and their digits as class indices
     */
    public Dataset train() {
        return train;
    }

    /**
     * The 10,000-sample test set (for the standard files).
     *
     * @return the test images as features in {@code [0, 1]} and their digits as class indices
     */
    public Dataset test() {
        return test;
    }

    /**
     * Loads MNIST from {@code dir}, which must hold {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
     * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each raw or gzip-compressed, optionally
     * with a {@code .gz} suffix (see {@link MnistDownloader} to fetch them).
     *
     * @param dir the directory holding the four files
     * @return the training and test sets
     * @throws NoSuchFileException if a file is missing (the message lists the names tried)
     * @throws IdxFormatException  if a file is malformed, image and label counts differ, a label is not 0..9, or
     *                             train and test images differ in size
     * @throws IOException         if a file cannot be read
     */
    public static Mnist load(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "MNIST directory does not exist or is not a directory");
        }
        Dataset train = load(find(dir, FILE_NAMES.get(0)), find(dir, FILE_NAMES.get(1)));
        Dataset test = load(find(dir, FILE_NAMES.get(2)), find(dir, FILE_NAMES.get(3)));
        if (train.featureCount() != test.featureCount()) {
            throw new IdxFormatException(dir + ": expected train and test images of the same size, got "
                    + train.featureCount() + " and " + test.featureCount() + " pixels");
        }
        return new Mnist(train, test);
    }

    /**
     * Loads one image/label file pair as a dataset.
     *
     * @param imagesFile an IDX image file (idx3), raw or gzip-compressed
     * @param labelsFile the matching IDX label file (idx1)
     * @return one sample per image: pixels scaled to {@code [0, 1]}, the digit as class index (target width 1)
     * @throws IOException       if a file cannot be read
     * @throws IdxFormatException if a file is malformed, the counts differ or a label is not 0..9
     */
    public static Dataset load(Path imagesFile, Path labelsFile) throws IOException {
        Idx.Images images = Idx.readImages(imagesFile);
        Idx.Labels labels = Idx.readLabels(labelsFile);
        if (images.count() != labels.count()) {
            throw new IdxFormatException(imagesFile + " has " + images.count() + " images but " + labelsFile
                    + " has " + labels.count() + " labels; expected equal counts");
        }
        // The features take four bytes per pixel: say so before the allocation fails.
        long featureBytes = 4L * images.count() * images.rows() * images.cols();
        long free = Idx.availableMemory();
        if (featureBytes > free) {
            System.gc();
            free = Idx.availableMemory();
        }
        if (featureBytes > free || featureBytes / 4 > Integer.MAX_VALUE - 8) {
            throw new IdxFormatException(imagesFile + ": " + images.count() + " images of " + images.rows() + " x "
                    + images.cols() + " pixels need " + (featureBytes >> 20) + " MiB as float features, more than the "
                    + (free >> 20) + " MiB of heap available (raise -Xmx if the file is genuine)");
        }
        float[] targets = new float[labels.count()];
        for (int i = 0; i < targets.length; i++) {
            int label = labels.label(i);
            if (label >= CLASSES) {
                throw new IdxFormatException(labelsFile + ": label " + i + ": expected a digit 0.." + (CLASSES - 1)
                        + ", got " + label);
            }
            targets[i] = label;
        }
        return Dataset.of(images.toFeatures(), images.rows() * images.cols(), targets, 1);
    }

    /** The raw file if present, else the {@code .gz} one. */
    static Path find(Path dir, String name) throws NoSuchFileException {
        Path raw = dir.resolve(name);
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new NoSuchFileException(gz.toString(), null, "MNIST file missing: expected " + raw + " or " + gz);
    }
}
