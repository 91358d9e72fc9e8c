package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.mlp4j.Dataset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    /** 3 images of 2x3 pixels, values 0..17 plus a 255 to check unsigned handling. */
    private static final byte[] PIXELS = new byte[18];

    static {
        for (int i = 0; i < PIXELS.length; i++) {
            PIXELS[i] = (byte) (i * 15);
        }
        PIXELS[17] = (byte) 255;
    }

    @Test
    void readsRawImages() throws IOException {
        Path f = write("imgs", idx(0x08, new int[] {3, 2, 3}, PIXELS));
        Idx.Images images = Idx.readImages(f);
        assertEquals(3, images.count());
        assertEquals(2, images.rows());
        assertEquals(3, images.cols());
        assertArrayEquals(PIXELS, images.pixels());
        assertEquals(255, images.pixel(2, 1, 2));
        assertEquals(4 * 15, images.pixel(0, 1, 1));
        float[] features = images.toFeatures();
        assertEquals(1f, features[17]);
        assertEquals(60 / 255f, features[4]);
        assertThrows(IndexOutOfBoundsException.class, () -> images.pixel(3, 0, 0));
    }

    @Test
    void detectsGzipByContentNotName() throws IOException {
        byte[] raw = idx(0x08, new int[] {3, 2, 3}, PIXELS);
        Idx.Images fromGz = Idx.readImages(write("compressed-without-suffix", gzip(raw)));
        assertArrayEquals(PIXELS, fromGz.pixels());
        Idx.Images rawNamedGz = Idx.readImages(write("raw.gz", raw));
        assertArrayEquals(PIXELS, rawNamedGz.pixels());
    }

    @Test
    void readsLabelsRawAndGzip() throws IOException {
        byte[] raw = idx(0x08, new int[] {4}, new byte[] {5, 0, 9, (byte) 200});
        for (Path f : new Path[] {write("l", raw), write("l.gz", gzip(raw))}) {
            Idx.Labels labels = Idx.readLabels(f);
            assertEquals(4, labels.count());
            assertArrayEquals(new int[] {5, 0, 9, 200}, labels.toArray());
            assertEquals(200, labels.label(3));
        }
    }

    @Test
    void rejectsBadMagic() throws IOException {
        byte[] b = idx(0x08, new int[] {1}, new byte[] {1});
        b[1] = 0x08;
        assertError(() -> Idx.readLabels(write("bad", b)), "magic bytes 0x00 0x00", "0x00 0x08");
        assertError(() -> Idx.readLabels(write("text", "hello world\n".getBytes())), "magic", "0x68 0x65");
        assertError(() -> Idx.readLabels(write("tiny", new byte[] {0, 0})), "4-byte IDX magic", "after 2 bytes");
    }

    @Test
    void rejectsUnsupportedElementType() throws IOException {
        assertError(() -> Idx.readLabels(write("f", idx(0x0D, new int[] {1}, new byte[4]))),
                "unsupported IDX element type 0x0d");
    }

    @Test
    void rejectsWrongDimensionCount() throws IOException {
        Path labels = write("labels", idx(0x08, new int[] {3}, new byte[3]));
        assertError(() -> Idx.readImages(labels), "expected 3 dimensions", "image file", "got 1");
        Path images = write("images", idx(0x08, new int[] {3, 2, 3}, PIXELS));
        assertError(() -> Idx.readLabels(images), "expected 1 dimension", "got 3");
    }

    @Test
    void rejectsNonPositiveAndHugeSizes() throws IOException {
        assertError(() -> Idx.readImages(write("z", idx(0x08, new int[] {3, 0, 3}, new byte[0]))),
                "dimension 1", "positive", "got 0");
        assertError(() -> Idx.readImages(write("n", idx(0x08, new int[] {-1, 2, 3}, new byte[0]))),
                "dimension 0", "4294967295");
        // the header promises ~2^62 bytes: rejected before any allocation
        assertError(() -> Idx.readImages(write("h", idx(0x08, new int[] {Integer.MAX_VALUE, 65536, 28}, PIXELS))),
                "too many for one Java array");
        // 1.5 GB promised by a tiny raw file: rejected from the file size, without allocating
        assertError(() -> Idx.readImages(write("big", idx(0x08, new int[] {2_000_000, 28, 28}, PIXELS))),
                "expected 1568000000 data bytes", "got 18", "truncated");
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        byte[] good = idx(0x08, new int[] {3, 2, 3}, PIXELS);
        byte[] cut = Arrays.copyOf(good, good.length - 5);
        assertError(() -> Idx.readImages(write("cut", cut)), "expected 18 data bytes", "16-byte header",
                "3 x 2 x 3", "got 13", "truncated");
        assertError(() -> Idx.readImages(write("cut.gz", gzip(cut))), "expected 18 data bytes", "got 13");
        assertError(() -> Idx.readImages(write("hdr", Arrays.copyOf(good, 10))), "expected 16 header bytes",
                "after 10");
        // a cut gzip stream (not just cut content)
        byte[] gz = gzip(good);
        assertError(() -> Idx.readImages(write("cutstream.gz", Arrays.copyOf(gz, gz.length - 12))),
                "gzip");
    }

    @Test
    void rejectsTrailingBytes() throws IOException {
        byte[] good = idx(0x08, new int[] {3, 2, 3}, PIXELS);
        byte[] longer = Arrays.copyOf(good, good.length + 2);
        assertError(() -> Idx.readImages(write("long", longer)), "expected 18 data bytes", "got 20",
                "trailing bytes");
        assertError(() -> Idx.readImages(write("long.gz", gzip(longer))), "got 20", "trailing bytes");
    }

    @Test
    void missingFileIsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> Idx.readImages(dir.resolve("absent")));
    }

    // ------------------------------------------------------------------------------------------------ MNIST

    @Test
    void loadsMnistDirectoryMixingRawAndGzip() throws IOException {
        writeMnist(new byte[] {3, 1, 4}, new byte[] {9, 0});
        Mnist m = Mnist.load(dir);
        Dataset train = m.train();
        assertEquals(3, train.size());
        assertEquals(6, train.featureCount());
        assertEquals(1, train.targetWidth());
        assertArrayEquals(new float[] {3f, 1f, 4f}, train.targets());
        assertEquals(1f, train.features()[17]);
        assertEquals(15 / 255f, train.features()[1]);
        assertArrayEquals(new float[] {9f, 0f}, m.test().targets());
        assertEquals(2, m.test().size());
    }

    @Test
    void mnistRejectsLabelCountMismatch() throws IOException {
        writeMnist(new byte[] {3, 1}, new byte[] {9, 0});
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Mnist.load(dir));
        assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("2 labels")
                && e.getMessage().contains("train-labels-idx1-ubyte"), e.getMessage());
    }

    @Test
    void mnistRejectsLabelOutOfRange() throws IOException {
        writeMnist(new byte[] {3, 10, 4}, new byte[] {9, 0});
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Mnist.load(dir));
        assertTrue(e.getMessage().contains("label 1") && e.getMessage().contains("0..9")
                && e.getMessage().contains("got 10"), e.getMessage());
    }

    @Test
    void mnistNamesMissingFile() throws IOException {
        writeMnist(new byte[] {3, 1, 4}, new byte[] {9, 0});
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Mnist.load(dir));
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte.gz")
                && e.getMessage().contains("t10k-labels-idx1-ubyte or"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> Mnist.load(dir.resolve("nope")));
    }

    @Test
    void loadsRealMnistWhenAvailable() throws IOException {
        Path real = Path.of("/work/shared/data/mnist");
        Assumptions.assumeTrue(Files.isDirectory(real), "real MNIST not available at " + real);
        Mnist m = Mnist.load(real);
        assertEquals(60000, m.train().size());
        assertEquals(10000, m.test().size());
        assertEquals(784, m.train().featureCount());
        assertEquals(784, m.test().featureCount());
        assertEquals(5f, m.train().targets()[0]);
        assertEquals(7f, m.test().targets()[0]);
        float max = 0;
        for (float v : m.train().features()) {
            assertTrue(v >= 0f && v <= 1f);
            max = Math.max(max, v);
        }
        assertEquals(1f, max);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** Train: 3 images (raw), labels given (gz); test: 2 images (gz), labels given (gz). */
    private void writeMnist(byte[] trainLabels, byte[] testLabels) throws IOException {
        write("train-images-idx3-ubyte", idx(0x08, new int[] {3, 2, 3}, PIXELS));
        write("train-labels-idx1-ubyte.gz", gzip(idx(0x08, new int[] {trainLabels.length}, trainLabels)));
        write("t10k-images-idx3-ubyte.gz", gzip(idx(0x08, new int[] {2, 2, 3}, Arrays.copyOf(PIXELS, 12))));
        write("t10k-labels-idx1-ubyte.gz", gzip(idx(0x08, new int[] {testLabels.length}, testLabels)));
    }

    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer bb = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian by default
        bb.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            bb.putInt(d);
        }
        return bb.put(data).array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private void assertError(org.junit.jupiter.api.function.Executable call, String... fragments) {
        IdxFormatException e = assertThrows(IdxFormatException.class, call);
        assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "expected \"" + f + "\" in: " + e.getMessage());
        }
    }
}
