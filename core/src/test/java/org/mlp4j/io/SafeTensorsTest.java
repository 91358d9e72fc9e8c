package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    // --------------------------------------------------------------------------------------------- round trip

    @Test
    void roundTripKeepsMetadataTensorsAndOrder() throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("zeta", "first");
        meta.put("alpha", "quote \" backslash \\ newline \n tab \t ctrl \u0001 unicode \u00e9\u4e2d\ud83d\ude00");
        meta.put("", "empty key");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w.odd", Tensor.matrix(3, 5, seq(15, 0.5f)));
        tensors.put("b", Tensor.vector(seq(7, -1f)));
        tensors.put("scalar", new Tensor(new int[0], new float[] {42f}));
        tensors.put("empty", new Tensor(new int[] {0, 4}, new float[0]));
        tensors.put("special", Tensor.vector(new float[] {Float.NaN, -0f, Float.POSITIVE_INFINITY,
                Float.MIN_VALUE, Float.intBitsToFloat(0x7fc00001)}));
        Path file = dir.resolve("model.safetensors");

        SafeTensors.write(file, meta, tensors);
        SafeTensorsFile read = SafeTensors.read(file);

        assertEquals(List.copyOf(meta.keySet()), List.copyOf(read.metadata().keySet()));
        assertEquals(meta, read.metadata());
        assertEquals(List.of("w.odd", "b", "scalar", "empty", "special"), read.names());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            assertTrue(read.has(e.getKey()));
            assertArrayEquals(e.getValue().shape(), read.shape(e.getKey()), e.getKey());
            assertEquals(e.getValue(), read.tensor(e.getKey()), e.getKey()); // bitwise, incl. NaN payloads
        }
        assertFalse(read.has("missing"));
        assertEquals(tensors, read.tensors());
    }

    @Test
    void writtenLayoutIsAlignedAndBackToBack() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.vector(new float[] {1f, 2f, 3f}));
        tensors.put("b", Tensor.vector(new float[] {4f}));
        Path file = dir.resolve("x.safetensors");
        SafeTensors.write(file, Map.of("k", "v"), tensors);

        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        assertEquals(0, (8 + n) % 8);
        assertEquals(8 + n + 16, bytes.length);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        assertEquals(1f, bb.getFloat((int) (8 + n)));
        assertEquals(4f, bb.getFloat((int) (8 + n + 12)));
    }

    @Test
    void emptyFileWithoutMetadataRoundTrips() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        SafeTensors.write(file, Map.of(), Map.of());
        SafeTensorsFile read = SafeTensors.read(file);
        assertTrue(read.names().isEmpty());
        assertTrue(read.metadata().isEmpty());
        assertEquals(16, Files.size(file)); // "{}" padded to 8
    }

    @Test
    void accessorsReturnCopies() throws IOException {
        Path file = dir.resolve("c.safetensors");
        SafeTensors.write(file, Map.of(), Map.of("t", Tensor.matrix(1, 2, new float[] {1f, 2f})));
        SafeTensorsFile read = SafeTensors.read(file);
        read.floats("t")[0] = 99f;
        read.shape("t")[0] = 99;
        read.tensor("t").data()[1] = 99f;
        assertArrayEquals(new float[] {1f, 2f}, read.floats("t"));
        assertArrayEquals(new int[] {1, 2}, read.shape("t"));
        assertThrows(UnsupportedOperationException.class, () -> read.metadata().put("x", "y"));
        assertThrows(UnsupportedOperationException.class, () -> read.names().add("x"));
    }

    @Test
    void unknownTensorNameIsAClearError() throws IOException {
        Path file = dir.resolve("c.safetensors");
        SafeTensors.write(file, Map.of(), Map.of("present", Tensor.vector(new float[] {1f})));
        SafeTensorsFile read = SafeTensors.read(file);
        NoSuchElementException e = assertThrows(NoSuchElementException.class, () -> read.floats("absent"));
        assertTrue(e.getMessage().contains("absent") && e.getMessage().contains("present"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------- reference files

    @Test
    void readsPyTorchWrittenReferenceFile() throws IOException {
        SafeTensorsFile f = SafeTensors.read(resource("s03_13_37_7_relu_ce_sgd_nesterov.safetensors"));
        assertArrayEquals(new int[] {37, 13}, f.shape("layers.0.weight"));
        assertArrayEquals(new int[] {37}, f.shape("layers.0.bias"));
        assertArrayEquals(new int[] {7, 37}, f.shape("layers.1.weight"));
        assertEquals("13,37,7", f.metadata().get("layer_sizes"));
        assertEquals("mlp-reference-v1", f.metadata().get("format"));
        assertEquals("format", f.metadata().keySet().iterator().next()); // file order kept
        assertEquals(37 * 13, f.floats("layers.0.weight").length);
        assertTrue(f.names().size() > 4);
        for (String name : f.names()) {
            for (float v : f.floats(name)) {
                assertTrue(Float.isFinite(v), name);
            }
        }
    }

    @Test
    void readsAllReferenceFilesAndRewritesThemIdentically() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(resource("s01_tiny_2_2_2_sigmoid_mse_sgd.safetensors").getParent())) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertEquals(18, files.size());
        for (Path p : files) {
            SafeTensorsFile f = SafeTensors.read(p);
            Path copy = dir.resolve(p.getFileName());
            SafeTensors.write(copy, f.metadata(), f.tensors());
            SafeTensorsFile again = SafeTensors.read(copy);
            assertEquals(f.metadata(), again.metadata(), p.toString());
            assertEquals(f.tensors(), again.tensors(), p.toString());
        }
    }

    private static Path resource(String name) {
        try {
            return Path.of(SafeTensorsTest.class.getResource("/reference/" + name).toURI());
        } catch (Exception e) {
            throw new AssertionError("missing test resource /reference/" + name, e);
        }
    }

    // ------------------------------------------------------------------------------------ malformed files

    @Test
    void fileShorterThanLengthPrefix() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 0, 0});
        assertFormatError(file, "at least 8 bytes", "has 3");
    }

    @Test
    void hugeHeaderLength() throws IOException {
        assertFormatError(rawWithLength(-1L, "{}", new byte[0]), "at most " + SafeTensors.MAX_HEADER_BYTES,
                "18446744073709551615");
        assertFormatError(rawWithLength(SafeTensors.MAX_HEADER_BYTES + 1, "{}", new byte[0]), "at most",
                String.valueOf(SafeTensors.MAX_HEADER_BYTES + 1));
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        assertFormatError(rawWithLength(1000, "{}", new byte[0]), "header length 1000", "2 bytes");
    }

    @Test
    void invalidJson() throws IOException {
        assertFormatError(raw("{\"a\":}", new byte[0]), "not valid JSON", "character 5");
        assertFormatError(raw("{\"a\":{\"dtype\":\"F32\",}}", new byte[0]), "not valid JSON");
    }

    @Test
    void invalidUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        Path file = dir.resolve("utf8.safetensors");
        ByteBuffer bb = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(header.length).put(header);
        Files.write(file, bb.array());
        assertFormatError(file, "not valid UTF-8");
    }

    @Test
    void trailingGarbageInHeader() throws IOException {
        assertFormatError(raw("{} x", new byte[0]), "not valid JSON", "end of input");
        assertFormatError(raw("{}{}", new byte[0]), "not valid JSON");
    }

    @Test
    void headerPaddingWithWhitespaceIsAccepted() throws IOException {
        SafeTensorsFile f = SafeTensors.read(raw(tensor("t", "F32", "[1]", 0, 4) + "       ", floats(3f)));
        assertArrayEquals(new float[] {3f}, f.floats("t"));
    }

    @Test
    void headerMustBeAnObject() throws IOException {
        assertFormatError(raw("[]", new byte[0]), "JSON object", "an array");
    }

    @Test
    void unknownAndUnsupportedDtypes() throws IOException {
        assertFormatError(raw(tensor("w", "Q7", "[1]", 0, 4), floats(1f)), "tensor \"w\"", "unknown dtype \"Q7\"");
        assertFormatError(raw(tensor("w", "F64", "[1]", 0, 8), new byte[8]), "tensor \"w\"",
                "unsupported dtype \"F64\"", "F32, F16 and BF16");
    }

    @Test
    void shapeOffsetMismatch() throws IOException {
        assertFormatError(raw(tensor("w", "F32", "[2,3]", 0, 20), new byte[24]), "tensor \"w\"", "[2, 3]",
                "6 F32 values", "span 20 bytes");
        // product * 4 would overflow a long: still a clean mismatch, not an exception from arithmetic
        assertFormatError(raw(tensor("w", "F32", "[2147483647,2147483647,2147483647]", 0, 4), floats(1f)),
                "tensor \"w\"", "span 4 bytes");
        assertFormatError(raw(tensor("w", "F32", "[4294967296]", 0, 4), floats(1f)), "shape[0]",
                "at most 2147483647");
    }

    @Test
    void offsetsBeyondFile() throws IOException {
        assertFormatError(raw(tensor("w", "F32", "[2]", 4, 12), floats(1f, 2f)), "tensor \"w\"",
                "[4, 12]", "data buffer of 8 bytes");
        assertFormatError(raw(tensor("w", "F32", "[1]", 4, 0), floats(1f, 2f)), "begin <= end");
        assertFormatError(raw(tensor("w", "F32", "[1]", 0, 99999999999999999999.0), floats(1f)),
                "data_offsets[1]", "at most " + Long.MAX_VALUE);
    }

    @Test
    void overlappingTensors() throws IOException {
        String header = "{" + tensorEntry("a", "F32", "[2]", 0, 8) + "," + tensorEntry("b", "F32", "[2]", 4, 12)
                + "}";
        assertFormatError(raw(header, floats(1f, 2f, 3f)), "tensor \"b\"", "overlap tensor \"a\"");
    }

    @Test
    void emptyTensorsDoNotOverlap() throws IOException {
        String header = "{" + tensorEntry("a", "F32", "[2]", 0, 8) + "," + tensorEntry("e", "F32", "[0]", 4, 4)
                + "}";
        SafeTensorsFile f = SafeTensors.read(raw(header, floats(1f, 2f)));
        assertEquals(0, f.floats("e").length);
    }

    @Test
    void negativeOrNonIntegerShape() throws IOException {
        assertFormatError(raw(tensor("w", "F32", "[-1]", 0, 4), floats(1f)), "tensor \"w\"", "shape[0]",
                "non-negative integer", "-1");
        assertFormatError(raw(tensor("w", "F32", "[1.0]", 0, 4), floats(1f)), "shape[0]", "non-negative integer");
        assertFormatError(raw(tensor("w", "F32", "\"1\"", 0, 4), floats(1f)), "shape to be an array");
    }

    @Test
    void truncatedFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, Map.of(), Map.of("w", Tensor.vector(seq(10, 0f))));
        byte[] bytes = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertFormatError(cut, cut.toString(), "tensor \"w\"", "beyond the data buffer");
        Files.write(cut, java.util.Arrays.copyOf(bytes, 20)); // inside the header
        assertFormatError(cut, "header length");
    }

    @Test
    void duplicateKey() throws IOException {
        String e = tensorEntry("w", "F32", "[1]", 0, 4);
        assertFormatError(raw("{" + e + "," + e + "}", floats(1f)), "duplicate key \"w\"");
        assertFormatError(raw("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                floats(1f)), "duplicate key \"dtype\"");
    }

    @Test
    void nonStringMetadata() throws IOException {
        assertFormatError(raw("{\"__metadata__\":{\"epochs\":5}}", new byte[0]), "metadata \"epochs\"",
                "string value", "a number");
        assertFormatError(raw("{\"__metadata__\":[]}", new byte[0]), "__metadata__", "an array");
    }

    @Test
    void missingOrExtraFields() throws IOException {
        assertFormatError(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", floats(1f)), "tensor \"w\"",
                "missing field \"data_offsets\"");
        assertFormatError(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
                floats(1f)), "unexpected field \"x\"");
        assertFormatError(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", floats(1f)),
                "2 entries");
        assertFormatError(raw("{\"w\":5}", floats(1f)), "tensor \"w\"", "got a number");
    }

    @Test
    void deeplyNestedHeaderIsRejectedWithoutStackOverflow() throws IOException {
        String deep = "{\"__metadata__\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertFormatError(raw(deep, new byte[0]), "nesting depth");
    }

    // --------------------------------------------------------------------------------------- writing errors

    @Test
    void tensorValidatesShapeAgainstData() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.matrix(2, 3, new float[5]));
        assertTrue(e.getMessage().contains("expected length 6") && e.getMessage().contains("got 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Tensor(new int[] {-2, 3}, new float[0]));
        assertTrue(e.getMessage().contains("-2"), e.getMessage());
        int[] shape = {2};
        Tensor t = new Tensor(shape, new float[2]);
        shape[0] = 7; // the record keeps its own copy
        assertArrayEquals(new int[] {2}, t.shape());
    }

    @Test
    void failedWriteLeavesExistingFileUntouched() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("v", "1"), Map.of("w", Tensor.vector(new float[] {1f})));
        byte[] before = Files.readAllBytes(file);

        // rejected before anything is written: unpaired surrogate cannot be UTF-8
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("v", "bad \ud800"), Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of(), Map.of("__metadata__", Tensor.vector(new float[1]))));
        // fails while writing: body throws after partial output
        assertThrows(IOException.class, () -> AtomicFiles.write(file, ch -> {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            throw new IOException("disk full (simulated)");
        }));

        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file), listDir()); // no temporary files left behind
    }

    @Test
    void writeIntoMissingDirectoryNamesTheDirectory() {
        Path file = dir.resolve("no-such-dir").resolve("m.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> SafeTensors.write(file, Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("no-such-dir"), e.getMessage());
    }

    @Test
    void failedRenameCleansUpTemporaryFile() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "keep");
        assertThrows(IOException.class, () -> SafeTensors.write(target, Map.of(), Map.of()));
        assertEquals("keep", Files.readString(target.resolve("keep.txt")));
        assertEquals(List.of(target), listDir());
    }

    @Test
    void writeReplacesExistingFile() throws IOException {
        Path file = dir.resolve("m.safetensors");
        SafeTensors.write(file, Map.of(), Map.of("a", Tensor.vector(seq(100, 0f))));
        SafeTensors.write(file, Map.of(), Map.of("b", Tensor.vector(new float[] {5f})));
        SafeTensorsFile f = SafeTensors.read(file);
        assertEquals(List.of("b"), f.names());
        assertEquals(List.of(file), listDir());
    }

    // ------------------------------------------------------------------------------------------- helpers

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static void assertFormatError(Path file, String... fragments) {
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "expected \"" + f + "\" in: " + e.getMessage());
        }
    }

    private static String tensor(String name, String dtype, String shape, double begin, double end) {
        return "{" + tensorEntry(name, dtype, shape, begin, end) + "}";
    }

    private static String tensorEntry(String name, String dtype, String shape, double begin, double end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":["
                + num(begin) + "," + num(end) + "]}";
    }

    private static String num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : new java.math.BigDecimal(d)
                .toPlainString();
    }

    private Path raw(String header, byte[] data) throws IOException {
        return rawWithLength(header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    private int counter;

    private Path rawWithLength(long length, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(length).put(h).put(data);
        Path file = dir.resolve("case" + (counter++) + ".safetensors");
        Files.write(file, bb.array());
        return file;
    }

    private static byte[] floats(float... v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            bb.putFloat(f);
        }
        return bb.array();
    }

    private static float[] seq(int n, float start) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = start + i * 0.25f;
        }
        return a;
    }

}
