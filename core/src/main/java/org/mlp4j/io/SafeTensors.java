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
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format: F32, F16
 * and BF16 tensors, always held as float in memory (F16 and BF16 widen exactly when read; writing them rounds to
 * nearest even).
 *
 * <p>Layout: an 8-byte unsigned little-endian header length {@code N}; {@code N} bytes of UTF-8 JSON (an
 * object, possibly right-padded with spaces) mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}} (or F16, BF16) plus an optional
 * {@code "__metadata__"} object of string values; then the data buffer, each tensor little-endian row-major at
 * {@code [begin, end)} relative to the buffer start.
 *
 * <p>{@link #read(Path)} treats the file as untrusted: every field is validated, sizes are bounded before
 * anything is allocated, and problems are reported as {@link SafeTensorsFormatException} naming the file and
 * the tensor. A file of another kind (a PyTorch {@code .pt} archive or pickle, an ONNX model, gzip, HDF5) is
 * named as such. Tensors are read only if they fit the heap that is left ({@link Runtime#maxMemory()}); one
 * tensor holds at most {@value #MAX_TENSOR_ELEMENTS} values (a Java array). {@link #write} replaces the target
 * atomically.
 */
public final class SafeTensors {
    /** Most values in one tensor: the largest Java {@code float[]}. */
    public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 8;

    /** The element types this class reads and writes; every one is held as {@code float} in memory. */
    public enum Dtype {
        /** IEEE 754 binary32, 4 bytes. */
        F32(4),
        /** IEEE 754 binary16, 2 bytes: about 3 significant decimal digits, largest finite value 65504. */
        F16(2),
        /** bfloat16 (the upper half of a float), 2 bytes: float's range with about 2 significant digits. */
        BF16(2);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /**
         * Bytes per element.
         *
         * @return 4 for F32, 2 for F16 and BF16
         */
        public int bytes() {
            return bytes;
        }
    }

    /** Largest header accepted (the reference implementation uses the same bound). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    static final String METADATA_KEY = "__metadata__";
    private static final Set<String> TENSOR_FIELDS = Set.of("dtype", "shape", "data_offsets");
    /** Dtypes of the format this reader recognises but cannot convert to float. */
    private static final Set<String> OTHER_DTYPES = Set.of("BOOL", "U8", "I8", "I16", "U16", "I32",
            "U32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64");
    /** Chunk size for streaming tensor data, so no second full-size buffer is needed. */
    private static final int CHUNK_BYTES = 1 << 16;

    private SafeTensors() {
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads a whole safetensors file into memory, widening F16 and BF16 tensors to float.
     *
     * @param file the file to read
     * @return its tensors and metadata
     * @throws SafeTensorsFormatException if the file is malformed, is another kind of file, holds a dtype other
     *                                    than F32, F16 or BF16, or its tensors exceed the heap or array limits
     * @throws IOException                if the file cannot be read
     */
    public static SafeTensorsFile read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw fail(file, "expected at least 8 bytes (the header length), but the file has " + fileSize);
            }
            ByteBuffer prefix = ByteBuffer.allocate((int) Math.min(fileSize, 16)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, prefix, 0, file, "header length");
            long headerLength = prefix.getLong(0); // unsigned: a negative long is above 2^63
            // Only on an impossible header: a valid length may happen to start with another format's magic.
            String other = FileKinds.describeOther(prefix.array(), prefix.position());
            if (other != null && (headerLength < 0 || headerLength > fileSize - 8)) {
                throw fail(file, "not a safetensors file: " + other);
            }
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw fail(file, "expected a header length of at most " + MAX_HEADER_BYTES + " bytes, got "
                        + Long.toUnsignedString(headerLength) + " (not a safetensors file?)");
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
                throw fail(file, other != null ? "not a safetensors file: " + other
                        : "header is not valid JSON: " + e.getMessage());
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
            checkHeap(file, entries);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, Dtype> dtypes = new LinkedHashMap<>();
            for (Entry entry : entries) {
                tensors.put(entry.name, new Tensor(entry.shape, readFloats(ch, dataStart + entry.begin,
                        (int) entry.count, entry.dtype, file, entry.name)));
                dtypes.put(entry.name, entry.dtype);
            }
            return new SafeTensorsFile(file, metadata, tensors, dtypes);
        }
    }

    /** One validated header entry. */
    private record Entry(String name, Dtype dtype, int[] shape, long count, long begin, long end) {
    }

    /**
     * Refuses, before allocating, tensors whose floats cannot fit the heap that is left (a 2^29-value tensor
     * needs 2 GiB whatever its stored dtype).
     */
    private static void checkHeap(Path file, List<Entry> entries) throws SafeTensorsFormatException {
        long bytes = 0;
        String largest = null;
        long largestCount = -1;
        for (Entry e : entries) {
            bytes += e.count * Float.BYTES; // count <= MAX_TENSOR_ELEMENTS, so no overflow for any real count
            if (e.count > largestCount) {
                largestCount = e.count;
                largest = e.name;
            }
        }
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > available) {
            throw fail(file, "its tensors need " + bytes + " bytes as float (the largest, \"" + abbreviate(largest)
                    + "\", " + largestCount + " values), more than the " + available + " bytes of heap left (-Xmx "
                    + rt.maxMemory() + " bytes)");
        }
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
        Dtype type;
        if (dtype.equals("F32") || dtype.equals("F16") || dtype.equals("BF16")) {
            type = Dtype.valueOf((String) dtype);
        } else {
            throw fail(file, name, (OTHER_DTYPES.contains(dtype) ? "unsupported" : "unknown") + " dtype \""
                    + abbreviate((String) dtype) + "\" (this reader supports F32, F16 and BF16)");
        }
        int width = type.bytes();
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
        if (countOverflow || count > bytes / width || count * width != bytes) {
            throw fail(file, name, "shape " + Arrays.toString(shape) + " needs "
                    + (countOverflow ? "more than 2^63" : String.valueOf(count)) + " " + type + " values ("
                    + (countOverflow || count > Long.MAX_VALUE / 4 ? "too many" : (count * width) + "") + " bytes) but"
                    + " data_offsets [" + begin + ", " + end + "] span " + bytes + " bytes");
        }
        if (count > MAX_TENSOR_ELEMENTS) {
            throw fail(file, name, "shape " + Arrays.toString(shape) + " has " + count
                    + " values, more than the " + MAX_TENSOR_ELEMENTS + " a Java float[] can hold");
        }
        return new Entry(name, type, shape, count, begin, end);
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

    /** Reads {@code count} values of {@code dtype} into a new float array, streaming in small chunks. */
    static float[] readFloats(FileChannel ch, long position, int count, Dtype dtype, Path file, String name)
            throws IOException {
        float[] out = new float[count];
        int width = dtype.bytes();
        // In long: count * width overflows int from 2^29 F32 values on (a 2 GiB tensor).
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, (long) count * width))
                .order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < count) {
            int n = Math.min(count - done, buf.capacity() / width);
            buf.clear().limit(n * width);
            readFully(ch, buf, position + (long) done * width, file, "tensor \"" + abbreviate(name) + "\"");
            buf.flip();
            switch (dtype) {
                case F32:
                    buf.asFloatBuffer().get(out, done, n);
                    break;
                case F16:
                    for (int k = 0; k < n; k++) {
                        out[done + k] = HalfFloats.f16ToFloat(buf.getShort(2 * k));
                    }
                    break;
                default:
                    for (int k = 0; k < n; k++) {
                        out[done + k] = HalfFloats.bf16ToFloat(buf.getShort(2 * k));
                    }
            }
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
     * @param file     the target
     * @param metadata string key/values stored under {@code "__metadata__"} (may be empty, not null)
     * @param tensors  tensors by name; names must be non-empty and not {@code "__metadata__"}
     * @throws IllegalArgumentException if a name or string cannot be stored (empty, reserved, or not encodable
     *                                  as UTF-8)
     * @throws IOException              if writing fails; the target is then unchanged
     */
    public static void write(Path file, Map<String, String> metadata, Map<String, Tensor> tensors) throws IOException {
        write(file, metadata, tensors, Dtype.F32);
    }

    /**
     * Writes tensors like {@link #write(Path, Map, Map)}, stored as {@code dtype}: F16 and BF16 halve the file
     * and round each value to nearest even (F16 turns values beyond 65504 into infinities, which
     * {@link ModelFiles} refuses to load; BF16 keeps float's range).
     *
     * @param file     the target
     * @param metadata string key/values stored under {@code "__metadata__"} (may be empty, not null)
     * @param tensors  tensors by name; names must be non-empty and not {@code "__metadata__"}
     * @param dtype    the stored element type of every tensor
     * @throws IllegalArgumentException if a name or string cannot be stored (empty, reserved, or not encodable
     *                                  as UTF-8)
     * @throws IOException              if writing fails; the target is then unchanged
     */
    public static void write(Path file, Map<String, String> metadata, Map<String, Tensor> tensors, Dtype dtype)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(dtype, "dtype");
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
            long bytes = (long) t.data().length * dtype.bytes();
            if (h.length() > 1) {
                h.append(',');
            }
            h.append(quote("tensor name", name)).append(":{\"dtype\":\"").append(dtype).append("\",\"shape\":[");
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
                    int n = Math.min(data.length - done, CHUNK_BYTES / dtype.bytes());
                    buf.clear();
                    if (dtype == Dtype.F32) {
                        buf.asFloatBuffer().put(data, done, n);
                    } else {
                        for (int k = 0; k < n; k++) {
                            float v = data[done + k];
                            buf.putShort(2 * k, dtype == Dtype.F16 ? HalfFloats.floatToF16(v) : HalfFloats.floatToBf16(v));
                        }
                    }
                    buf.limit(n * dtype.bytes());
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
