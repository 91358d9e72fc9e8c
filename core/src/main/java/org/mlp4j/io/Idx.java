package org.mlp4j.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of the MNIST data set, either raw or gzip-compressed (detected from the content,
 * not the file name).
 *
 * <p>Layout: magic bytes {@code 0x00 0x00 type dims}, then {@code dims} big-endian int32 sizes, then the
 * elements in row-major order. Only element type {@code 0x08} (unsigned byte), the one MNIST uses, is
 * supported. The data length must match the sizes exactly: a truncated file or trailing bytes are errors.
 */
public final class Idx {
    /** Element type code for unsigned bytes. */
    static final int TYPE_UBYTE = 0x08;
    /** How many trailing bytes are counted for an error message before giving up. */
    private static final long TRAILING_COUNT_LIMIT = 1 << 20;

    /** Deflate's largest expansion (a long run of one byte): about 1032 output bytes per input byte. */
    static final long MAX_DEFLATE_RATIO = 1032;

    private Idx() {
    }

    /** Heap that an allocation may still get: the maximum minus what is in use now. */
    static long availableMemory() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * An image file: {@code count} images of {@code rows x cols} unsigned-byte pixels. Immutable.
     */
    public static final class Images {
        private final int count;
        private final int rows;
        private final int cols;
        private final byte[] pixels;

        Images(int count, int rows, int cols, byte[] pixels) {
            this.count = count;
            this.rows = rows;
            this.cols = cols;
            this.pixels = pixels;
        }

        /**
         * Number of images.
         *
         * @return the number of images, {@code >= 0}
         */
        public int count() {
            return count;
        }

        /**
         * Pixel rows per image.
         *
         * @return the image height in pixels
         */
        public int rows() {
            return rows;
        }

        /**
         * Pixel columns per image.
         *
         * @return the image width in pixels
         */
        public int cols() {
            return cols;
        }

        /**
         * Pixel value {@code 0..255} of an image at {@code (row, col)}.
         *
         * @param image image index, {@code 0 <= image < count()}
         * @param row   pixel row, {@code 0 <= row < rows()}
         * @param col   pixel column, {@code 0 <= col < cols()}
         * @return the pixel's value, {@code 0..255}
         * @throws IndexOutOfBoundsException if an index is out of range
         */
        public int pixel(int image, int row, int col) {
            Objects.checkIndex(image, count);
            Objects.checkIndex(row, rows);
            Objects.checkIndex(col, cols);
            return pixels[(image * rows + row) * cols + col] & 0xff;
        }

        /**
         * A copy of all pixels, {@code [count][rows][cols]} row-major, as raw (unsigned) bytes.
         *
         * @return a new array of {@code count() * rows() * cols()} bytes
         */
        public byte[] pixels() {
            return pixels.clone();
        }

        /**
         * All pixels scaled to {@code [0, 1]} as {@code value / 255f}, {@code [count][rows * cols]} row-major.
         *
         * @return a new array of {@code count() * rows() * cols()} values in {@code [0, 1]}
         */
        public float[] toFeatures() {
            float[] out = new float[pixels.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (pixels[i] & 0xff) / 255f;
            }
            return out;
        }
    }

    /** A label file: {@code count} unsigned-byte labels. Immutable. */
    public static final class Labels {
        private final byte[] labels;

        Labels(byte[] labels) {
            this.labels = labels;
        }

        /**
         * Number of labels.
         *
         * @return the number of labels, {@code >= 0}
         */
        public int count() {
            return labels.length;
        }

        /**
         * Label {@code 0..255} at {@code index}.
         *
         * @param index label index, {@code 0 <= index < count()}
         * @return the label, {@code 0..255}
         * @throws IndexOutOfBoundsException if {@code index} is out of range
         */
        public int label(int index) {
            return labels[Objects.checkIndex(index, labels.length)] & 0xff;
        }

        /**
         * A copy of all labels as ints {@code 0..255}.
         *
         * @return a new array of {@link #count()} labels
         */
        public int[] toArray() {
            int[] out = new int[labels.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = labels[i] & 0xff;
            }
            return out;
        }
    }

    /**
     * Reads a 3-dimensional unsigned-byte IDX file (images).
     *
     * @param file the IDX file, optionally gzip-compressed
     * @return the images
     * @throws IdxFormatException if the file is malformed, not 3-dimensional or not unsigned bytes
     * @throws IOException        if it cannot be read
     */
    public static Images readImages(Path file) throws IOException {
        Raw raw = read(file, 3, "an image file (idx3)");
        return new Images(raw.dims[0], raw.dims[1], raw.dims[2], raw.data);
    }

    /**
     * Reads a 1-dimensional unsigned-byte IDX file (labels).
     *
     * @param file the IDX file, optionally gzip-compressed
     * @return the labels
     * @throws IdxFormatException if the file is malformed, not 1-dimensional or not unsigned bytes
     * @throws IOException        if it cannot be read
     */
    public static Labels readLabels(Path file) throws IOException {
        return new Labels(read(file, 1, "a label file (idx1)").data);
    }

    record Raw(int[] dims, byte[] data) {
    }

    private static Raw read(Path file, int expectedDims, String kind) throws IOException {
        return read(file, expectedDims, kind, Idx::availableMemory);
    }

    /** {@code available} reports the heap an allocation may take (a parameter so tests can lower it). */
    static Raw read(Path file, int expectedDims, String kind, java.util.function.LongSupplier available)
            throws IOException {
        Objects.requireNonNull(file, "file");
        try (InputStream in = open(file)) {
            byte[] magic = in.readNBytes(4);
            if (magic.length < 4) {
                throw fail(file, "expected a 4-byte IDX magic number, but the file ends after " + magic.length
                        + " bytes");
            }
            if (magic[0] != 0 || magic[1] != 0) {
                throw fail(file, String.format("expected IDX magic bytes 0x00 0x00, got 0x%02x 0x%02x"
                        + " (not an IDX file)", magic[0] & 0xff, magic[1] & 0xff));
            }
            int type = magic[2] & 0xff;
            if (type != TYPE_UBYTE) {
                throw fail(file, String.format("unsupported IDX element type 0x%02x (only 0x08, unsigned byte,"
                        + " is supported)", type));
            }
            int dimCount = magic[3] & 0xff;
            if (dimCount != expectedDims) {
                throw fail(file, "expected " + expectedDims + " dimension" + (expectedDims == 1 ? "" : "s") + " ("
                        + kind + "), got " + dimCount);
            }
            byte[] sizeBytes = in.readNBytes(4 * dimCount);
            if (sizeBytes.length < 4 * dimCount) {
                throw fail(file, "expected " + (4 + 4 * dimCount) + " header bytes, but the data ends after "
                        + (4 + sizeBytes.length) + " (truncated file?)");
            }
            int[] dims = new int[dimCount];
            long expected = 1;
            for (int i = 0; i < dimCount; i++) {
                int b = 4 * i;
                dims[i] = ((sizeBytes[b] & 0xff) << 24) | ((sizeBytes[b + 1] & 0xff) << 16)
                        | ((sizeBytes[b + 2] & 0xff) << 8) | (sizeBytes[b + 3] & 0xff);
                if (dims[i] <= 0) {
                    throw fail(file, "dimension " + i + ": expected a positive size, got "
                            + Integer.toUnsignedLong(dims[i]) + (dims[i] < 0 ? " (above 2^31-1)" : ""));
                }
                expected *= dims[i]; // at most (2^31-1)^2 before the check below, no overflow
                if (expected > Integer.MAX_VALUE - 8) {
                    throw fail(file, "sizes " + describe(dims, i + 1) + " hold more than " + (Integer.MAX_VALUE - 8)
                            + " elements, too many for one Java array");
                }
            }
            long headerBytes = 4L + 4L * dimCount;
            // For raw files the size is known: check it before allocating, so a lying header cannot force a
            // huge allocation. Compressed input is capped by deflate's ratio and the heap below.
            long fileSize = Files.size(file);
            if (!(in instanceof Gzip)) {
                long actual = fileSize - headerBytes;
                if (actual != expected) {
                    throw lengthMismatch(file, dims, expected, actual, headerBytes);
                }
            } else if (expected > MAX_DEFLATE_RATIO * fileSize + 1024) {
                // Deflate cannot expand data more than about 1032:1, so such a header cannot be honest.
                throw fail(file, "sizes " + describe(dims, dims.length) + " declare " + expected + " bytes, more than "
                        + "a " + fileSize + "-byte gzip file can hold (at most about " + MAX_DEFLATE_RATIO
                        + " times its size); damaged header?");
            }
            long free = available.getAsLong();
            if (expected > free) {
                System.gc(); // only on this rare path: part of the used heap may be garbage
                free = available.getAsLong();
            }
            if (expected > free) {
                throw fail(file, "sizes " + describe(dims, dims.length) + " declare " + expected / (1 << 20)
                        + " MiB of data, more than the " + free / (1 << 20) + " MiB of heap available"
                        + " (raise -Xmx if the file is genuine)");
            }
            // Read into an array of exactly the declared size: no growth, no copy, at most what was checked.
            byte[] data = new byte[(int) expected];
            int got = in.readNBytes(data, 0, data.length);
            if (got != expected) {
                throw lengthMismatch(file, dims, expected, got, headerBytes);
            }
            if (in.read() != -1) {
                // Count the excess for the message, but stop early: decompressed input can be endless.
                byte[] sink = new byte[8192];
                long extra = 1;
                for (int n; extra <= TRAILING_COUNT_LIMIT && (n = in.read(sink)) > 0; ) {
                    extra += n;
                }
                throw fail(file, "expected " + expected + " data bytes after the " + headerBytes
                        + "-byte header (sizes " + describe(dims, dims.length) + "), got "
                        + (extra > TRAILING_COUNT_LIMIT ? "more than " + (expected + TRAILING_COUNT_LIMIT)
                                : String.valueOf(expected + extra)) + " (trailing bytes)");
            }
            return new Raw(dims, data);
        } catch (EOFException | ZipException e) {
            // GZIPInputStream signals cut or damaged compressed data this way; say which file it was.
            throw new IdxFormatException(file + ": corrupt or truncated gzip data: " + e.getMessage(), e);
        }
    }

    /** Opens the file, transparently decompressing when it starts with the gzip magic 0x1f 0x8b. */
    static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new Gzip(in);
            }
            return in;
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Marks decompressed input, whose length is not known in advance. */
    private static final class Gzip extends GZIPInputStream {
        Gzip(InputStream in) throws IOException {
            super(in, 1 << 16);
        }
    }

    private static IdxFormatException lengthMismatch(Path file, int[] dims, long expected, long actual,
            long headerBytes) {
        String what = actual < expected ? "truncated file" : "trailing bytes";
        return fail(file, "expected " + expected + " data bytes after the " + headerBytes + "-byte header (sizes "
                + describe(dims, dims.length) + "), got " + actual + " (" + what + ")");
    }

    private static String describe(int[] dims, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " x ").append(dims[i]);
        }
        return sb.toString();
    }

    private static IdxFormatException fail(Path file, String message) {
        return new IdxFormatException(file + ": " + message);
    }
}
