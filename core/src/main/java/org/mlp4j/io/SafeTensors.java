package org.mlp4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format (F32 tensors).
 *
 * <p>Layout: an 8-byte unsigned little-endian header length {@code N}; {@code N} bytes of UTF-8 JSON (an
 * object, possibly right-padded with spaces) mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} object of string values; then the data buffer, each tensor little-endian row-major at
 * {@code [begin, end)} relative to the buffer start.
 *
 * <p>{@link #read(Path)} treats the file as untrusted: every field is validated, sizes are bounded before
 * anything is allocated, and problems are reported as {@link SafeTensorsFormatException} naming the file and
 * the tensor. {@link #write} replaces the target atomically.
 */
public final class SafeTensors {
    /** Largest header accepted (the reference implementation uses the same bound). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    static final String METADATA_KEY = "__metadata__";
    private static final Set<String> TENSOR_FIELDS = Set.of("dtype", "shape", "data_offsets");
    /** Dtypes of the format this reader recognises but cannot convert to float. */
    private static final Set<String> OTHER_DTYPES = Set.of("BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32",
            "U32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64");
    /** Chunk size for streaming tensor data, so no second full-size buffer is needed. */
    private static final int CHUNK_BYTES = 1 << 16;

    private SafeTensors() {
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads a whole safetensors file into memory.
     *
     * @throws SafeTensorsFormatException if the file is malformed or holds a dtype other than F32
     * @throws IOException                if the file cannot be read
     */
    public static SafeTensorsFile read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw fail(file, "expected at least 8 bytes (the header length), but the file has " + fileSize);
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, prefix, 0, file, "header length");
            long headerLength = prefix.getLong(0); // unsigned: a negative long is above 2^63
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw fail(file, "expected a header length of at most " + MAX_HEADER_BYTES + " bytes, got "
                        + Long.toUnsignedString(headerLength));
            }
            if (headerLength > fileSize - 8) {
                throw fail(file, "header length " + headerLength + " exceeds the " + (fileSize - 8)
                        + " bytes after the length prefix (truncated file?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(ch, headerBytes, 8, file, "header");
            headerBytes.flip();
            String headerText;
            try {
                headerText = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(headerBytes).toString();
            } catch (CharacterCodingException e) {
                throw fail(file, "header is not valid UTF-8: " + e);
            }
            Object json;
            try {
                json = Json.parse(headerText);
            } catch (Json.SyntaxException e) {
                throw fail(file, "header is not valid JSON: " + e.getMessage());
            }
            if (!(json instanceof Map)) {
                throw fail(file, "expected the header to be a JSON object, got " + jsonType(json));
            }
            long dataStart = 8 + headerLength;
            long dataLength = fileSize - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<String, Object> e : Json.asObject(json).entrySet()) {
                if (e.getKey().equals(METADATA_KEY)) {
                    parseMetadata(file, e.getValue(), metadata);
                } else {
                    entries.add(parseEntry(file, e.getKey(), e.getValue(), dataLength));
                }
            }
            checkNoOverlap(file, entries);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry entry : entries) {
                tensors.put(entry.name, new Tensor(entry.shape, readFloats(ch, dataStart + entry.begin,
                        (int) entry.count, file, entry.name)));
            }
            return new SafeTensorsFile(file, metadata, tensors);
        }
    }

    /** One validated header entry. */
    private record Entry(String name, int[] shape, long count, long begin, long end) {
    }

    private static void parseMetadata(Path file, Object value, Map<String, String> out)
            throws SafeTensorsFormatException {
        if (!(value instanceof Map)) {
            throw fail(file, "expected \"" + METADATA_KEY + "\" to be an object of strings, got " + jsonType(value));
        }
        for (Map.Entry<String, Object> m : Json.asObject(value).entrySet()) {
            if (!(m.getValue() instanceof String)) {
                throw fail(file, "metadata \"" + m.getKey() + "\": expected a string value, got "
                        + jsonType(m.getValue()) + " " + m.getValue());
            }
            out.put(m.getKey(), (String) m.getValue());
        }
    }

    private static Entry parseEntry(Path file, String name, Object value, long dataLength)
            throws SafeTensorsFormatException {
        if (!(value instanceof Map)) {
            throw fail(file, name, "expected an object with dtype, shape and data_offsets, got " + jsonType(value));
        }
        Map<String, Object> info = Json.asObject(value);
        for (String field : TENSOR_FIELDS) {
            if (!info.containsKey(field)) {
                throw fail(file, name, "missing field \"" + field + "\"");
            }
        }
        for (String field : info.keySet()) {
            if (!TENSOR_FIELDS.contains(field)) {
                throw fail(file, name, "unexpected field \"" + field + "\" (expected only dtype, shape, data_offsets)");
            }
        }
        Object dtype = info.get("dtype");
        if (!(dtype instanceof String)) {
            throw fail(file, name, "expected dtype to be a string, got " + jsonType(dtype));
        }
        if (!dtype.equals("F32")) {
            throw fail(file, name, (OTHER_DTYPES.contains(dtype) ? "unsupported" : "unknown") + " dtype \"" + dtype
                    + "\" (this reader supports F32 only)");
        }
        List<?> shapeList = array(file, name, "shape", info.get("shape"));
        int[] shape = new int[shapeList.size()];
        long count = 1;
        boolean countOverflow = false;
        for (int i = 0; i < shape.length; i++) {
            long d = nonNegativeInteger(file, name, "shape[" + i + "]", shapeList.get(i));
            if (d > Integer.MAX_VALUE) {
                throw fail(file, name, "shape[" + i + "]: expected at most " + Integer.MAX_VALUE + ", got " + d);
            }
            shape[i] = (int) d;
            // Keep multiplying after an overflow only to detect a later zero (which makes the tensor empty).
            if (d == 0) {
                count = 0;
                countOverflow = false;
            } else if (count != 0 && !countOverflow) {
                try {
                    count = Math.multiplyExact(count, d);
                } catch (ArithmeticException e) {
                    countOverflow = true;
                }
            }
        }
        List<?> offsets = array(file, name, "data_offsets", info.get("data_offsets"));
        if (offsets.size() != 2) {
            throw fail(file, name, "expected data_offsets to have 2 entries [begin, end], got " + offsets.size());
        }
        long begin = nonNegativeInteger(file, name, "data_offsets[0]", offsets.get(0));
        long end = nonNegativeInteger(file, name, "data_offsets[1]", offsets.get(1));
        if (end < begin) {
            throw fail(file, name, "data_offsets [" + begin + ", " + end + "]: expected begin <= end");
        }
        if (end > dataLength) {
            throw fail(file, name, "data_offsets [" + begin + ", " + end + "] reach beyond the data buffer of "
                    + dataLength + " bytes (truncated file?)");
        }
        long bytes = end - begin;
        if (countOverflow || count > bytes / Float.BYTES || count * Float.BYTES != bytes) {
            throw fail(file, name, "shape " + Arrays.toString(shape) + " needs "
                    + (countOverflow ? "more than 2^63" : String.valueOf(count)) + " F32 values ("
                    + (countOverflow || count > Long.MAX_VALUE / 4 ? "too many" : (count * 4) + "") + " bytes) but"
                    + " data_offsets [" + begin + ", " + end + "] span " + bytes + " bytes");
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw fail(file, name, "shape " + Arrays.toString(shape) + " has " + count
                    + " values, more than a Java array can hold");
        }
        return new Entry(name, shape, count, begin, end);
    }

    private static void checkNoOverlap(Path file, List<Entry> entries) throws SafeTensorsFormatException {
        List<Entry> sorted = new ArrayList<>();
        for (Entry e : entries) {
            if (e.end > e.begin) { // empty tensors occupy no bytes and cannot overlap
                sorted.add(e);
            }
        }
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (b.begin < a.end) {
                throw fail(file, b.name, "data_offsets [" + b.begin + ", " + b.end + "] overlap tensor \"" + a.name
                        + "\" at [" + a.begin + ", " + a.end + "]");
            }
        }
    }

    private static float[] readFloats(FileChannel ch, long position, int count, Path file, String name)
            throws IOException {
        float[] out = new float[count];
        ByteBuffer buf = ByteBuffer.allocate(Math.min(CHUNK_BYTES, count * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < count) {
            int n = Math.min(count - done, buf.capacity() / Float.BYTES);
            buf.clear().limit(n * Float.BYTES);
            readFully(ch, buf, position + (long) done * Float.BYTES, file, "tensor \"" + name + "\"");
            buf.flip();
            buf.asFloatBuffer().get(out, done, n);
            done += n;
        }
        return out;
    }

    /** Fills {@code buf} from {@code position}; a short read means the file shrank or was cut. */
    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file, String what)
            throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw fail(file, "unexpected end of file at byte " + p + " while reading the " + what
                        + " (truncated file?)");
            }
            p += n;
        }
    }

    private static List<?> array(Path file, String name, String field, Object v) throws SafeTensorsFormatException {
        if (!(v instanceof List)) {
            throw fail(file, name, "expected " + field + " to be an array, got " + jsonType(v));
        }
        return (List<?>) v;
    }

    private static long nonNegativeInteger(Path file, String name, String field, Object v)
            throws SafeTensorsFormatException {
        if (v instanceof Json.Num num && num.isPlainInteger() && !num.text().startsWith("-")) {
            try {
                return Long.parseLong(num.text());
            } catch (NumberFormatException e) {
                throw fail(file, name, field + ": expected an integer at most " + Long.MAX_VALUE + ", got "
                        + abbreviate(num.text()));
            }
        }
        throw fail(file, name, field + ": expected a non-negative integer, got " + jsonType(v) + " "
                + abbreviate(String.valueOf(v)));
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Writes F32 tensors (back to back, in the map's iteration order) and string metadata to {@code file},
     * replacing it atomically: a temporary file in the same directory is written and forced to disk, then
     * renamed over the target. If anything fails the target is left as it was.
     *
     * @param metadata string key/values stored under {@code "__metadata__"} (may be empty, not null)
     * @param tensors  tensors by name; names must be non-empty and not {@code "__metadata__"}
     * @throws IllegalArgumentException if a name or string cannot be stored (empty, reserved, or not encodable
     *                                  as UTF-8)
     * @throws IOException              if writing fails; the target is then unchanged
     */
    public static void write(Path file, Map<String, String> metadata, Map<String, Tensor> tensors) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(tensors, "tensors");
        // Snapshot the inputs so that the header and the data agree even if a caller mutates the maps.
        List<Map.Entry<String, Tensor>> list = new ArrayList<>(tensors.entrySet());
        StringBuilder h = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            h.append(quote("metadata key", METADATA_KEY)).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                Objects.requireNonNull(m.getKey(), "metadata key");
                Objects.requireNonNull(m.getValue(), () -> "metadata value for key \"" + m.getKey() + "\"");
                if (!first) {
                    h.append(',');
                }
                first = false;
                h.append(quote("metadata key", m.getKey())).append(':').append(quote("metadata value", m.getValue()));
            }
            h.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : list) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            Tensor t = Objects.requireNonNull(e.getValue(), () -> "tensor \"" + name + "\"");
            if (name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("tensors: expected a non-empty name other than \"" + METADATA_KEY
                        + "\", got \"" + name + "\"");
            }
            long bytes = (long) t.data().length * Float.BYTES;
            if (h.length() > 1) {
                h.append(',');
            }
            h.append(quote("tensor name", name)).append(":{\"dtype\":\"F32\",\"shape\":[");
            int[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                h.append(i == 0 ? "" : ",").append(shape[i]);
            }
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        h.append('}');
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8); // quote() verified encodability
        // Pad with spaces so the data buffer starts 8-byte aligned (8 + N is a multiple of 8).
        int headerLength = (json.length + 7) & ~7;
        ByteBuffer header = ByteBuffer.allocate(8 + headerLength).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(headerLength).put(json);
        while (header.hasRemaining()) {
            header.put((byte) ' ');
        }
        header.flip();
        AtomicFiles.write(file, ch -> {
            writeFully(ch, header);
            ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, Tensor> e : list) {
                float[] data = e.getValue().data();
                for (int done = 0; done < data.length; ) {
                    int n = Math.min(data.length - done, CHUNK_BYTES / Float.BYTES);
                    buf.clear();
                    buf.asFloatBuffer().put(data, done, n);
                    buf.limit(n * Float.BYTES);
                    writeFully(ch, buf);
                    done += n;
                }
            }
        });
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** A JSON string literal; rejects strings with unpaired surrogates, which have no UTF-8 encoding. */
    static String quote(String what, String s) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        if (!encoder.canEncode(CharBuffer.wrap(s))) {
            throw new IllegalArgumentException(what + ": expected a valid Unicode string (no unpaired surrogates), got \""
                    + abbreviate(s) + "\"");
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static SafeTensorsFormatException fail(Path file, String message) {
        return new SafeTensorsFormatException(file + ": " + message);
    }

    private static SafeTensorsFormatException fail(Path file, String tensor, String message) {
        return new SafeTensorsFormatException(file + ": tensor \"" + abbreviate(tensor) + "\": " + message);
    }

    private static String jsonType(Object v) {
        if (v instanceof Map) {
            return "an object";
        } else if (v instanceof List) {
            return "an array";
        } else if (v instanceof String) {
            return "a string";
        } else if (v instanceof Json.Num) {
            return "a number";
        } else if (v instanceof Boolean) {
            return "a boolean";
        }
        return "null";
    }

    /** Keeps hostile or huge strings from flooding error messages. */
    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...(" + s.length() + " chars)";
    }
}
