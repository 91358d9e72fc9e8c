package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lying headers and damaged files: every failure is a documented error, never an OutOfMemoryError. */
class IdxRobustnessTest {
    @TempDir
    Path dir;

    /** A small gzip file whose header declares about 2^31 pixels cannot force a 2 GiB allocation. */
    @Test
    void gzipHeaderDeclaringMorePixelsThanTheFileCanHoldIsRejectedBeforeAllocating() throws IOException {
        byte[] header = header(3, 1, 46_341, 46_340); // 2,147,441,940 pixels, just below the array limit
        Path f = Files.write(dir.resolve("lying.gz"), IdxTest.gzip(concat(header, new byte[1 << 20])));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("more than a " + Files.size(f) + "-byte gzip file can hold"),
                e.getMessage());
    }

    /** A header the file size allows but the heap does not: a clear error naming the heap, no allocation. */
    @Test
    void declaredSizeBeyondTheAvailableHeapIsAClearError() throws IOException {
        byte[] pixels = new byte[4 * 28 * 28];
        Path f = Files.write(dir.resolve("images.gz"), IdxTest.gzip(concat(header(3, 4, 28, 28), pixels)));
        IdxFormatException e = assertThrows(IdxFormatException.class,
                () -> Idx.read(f, 3, "an image file (idx3)", () -> 1000));
        assertTrue(e.getMessage().contains("MiB of heap available"), e.getMessage());
        assertTrue(e.getMessage().contains("-Xmx"), e.getMessage());
        // The same file with room to spare reads normally.
        assertArrayEquals(pixels, Idx.read(f, 3, "an image file (idx3)", () -> Long.MAX_VALUE).data());
    }

    /**
     * Seeded, bounded fuzzing: valid files with bytes flipped, cut or appended, raw and gzip, must read or fail
     * with {@link IdxFormatException} (or, for damaged gzip framing, the IOException the reader documents).
     */
    @Test
    void fuzzedFilesGiveOnlyDocumentedErrors() throws IOException {
        SplittableRandom rnd = new SplittableRandom(20261202);
        int read = 0;
        int rejected = 0;
        for (int round = 0; round < 400; round++) {
            int n = 1 + rnd.nextInt(4);
            int r = 1 + rnd.nextInt(5);
            int c = 1 + rnd.nextInt(5);
            byte[] data = new byte[n * r * c];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) rnd.nextInt(256);
            }
            byte[] file = concat(header(3, n, r, c), data);
            boolean gz = rnd.nextBoolean();
            if (gz) {
                file = IdxTest.gzip(file);
            }
            file = damage(file, rnd);
            Path f = Files.write(dir.resolve("fuzz" + round), file);
            try {
                Idx.Images images = Idx.readImages(f);
                assertEquals(images.count() * images.rows() * images.cols(), images.pixels().length);
                read++;
            } catch (IdxFormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                rejected++;
            } catch (IOException e) {
                // java.util.zip reports damaged gzip framing as ZipException/EOFException wrapped above, or as
                // a plain IOException for a bad trailer: still a checked, documented error.
                rejected++;
            } catch (RuntimeException | OutOfMemoryError e) {
                fail("round " + round + (gz ? " (gzip)" : " (raw)") + ": undocumented " + e, e);
            }
        }
        assertTrue(read > 0 && rejected > 0, "fuzzing should produce both readable and rejected files: " + read
                + " / " + rejected);
    }

    private static byte[] damage(byte[] file, SplittableRandom rnd) {
        switch (rnd.nextInt(4)) {
            case 0: { // flip one to four bytes
                byte[] d = file.clone();
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    int i = rnd.nextInt(d.length);
                    d[i] ^= (byte) (1 + rnd.nextInt(255));
                }
                return d;
            }
            case 1: // cut
                return java.util.Arrays.copyOf(file, rnd.nextInt(file.length));
            case 2: // append
                return concat(file, new byte[1 + rnd.nextInt(16)]);
            default: // unchanged
                return file;
        }
    }

    static byte[] header(int dims, int... sizes) {
        ByteBuffer bb = ByteBuffer.allocate(4 + 4 * dims);
        bb.put((byte) 0).put((byte) 0).put((byte) Idx.TYPE_UBYTE).put((byte) dims);
        for (int s : sizes) {
            bb.putInt(s);
        }
        return bb.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
