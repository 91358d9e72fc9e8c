package org.mlp4j.io;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.mlp4j.Dataset;

/**
 * Reads and writes numeric, comma-separated CSV files.
 *
 * <p>Reading rules: UTF-8 (a leading byte-order mark is ignored); fields are separated by commas and trimmed;
 * a field may be enclosed in double quotes ({@code ""} inside is a literal quote), but quoted fields cannot span
 * lines; blank lines are skipped. The first non-blank line is a header if any of its fields is text (not empty,
 * not a number, not a NaN/infinity spelling).
 * Every row must have the same number of columns. Values must be finite decimal numbers ({@code 1}, {@code -0.5},
 * {@code 2.5e-3}); NaN and infinities are rejected. Errors are {@link CsvFormatException}s naming the file, line
 * and column.
 */
public final class Csv {
    /** Most columns a row may declare: wider rows are not a network's input (layer widths are at most 2^24). */
    public static final int MAX_COLUMNS = 1 << 24;

    private Csv() {
    }

    /** A numeric table: {@code rows x columns} values, row-major, plus the header names if the file had one. */
    public static final class Table {
        private final List<String> header;
        private final int rows;
        private final int columns;
        private final float[] values;

        Table(List<String> header, int rows, int columns, float[] values) {
            this.header = List.copyOf(header);
            this.rows = rows;
            this.columns = columns;
            this.values = values;
        }

        /**
         * Header names, or an empty list if the file had no header line.
         *
         * @return the column names, unmodifiable; empty without a header
         */
        public List<String> header() {
            return header;
        }

        /**
         * Number of data rows.
         *
         * @return the number of rows below the header, {@code >= 1}
         */
        public int rows() {
            return rows;
        }

        /**
         * Number of columns.
         *
         * @return the number of values per row, {@code >= 1}
         */
        public int columns() {
            return columns;
        }

        /**
         * The values, {@code [rows][columns]} row-major (the backing array, not a copy).
         *
         * @return the value array itself, of length {@code rows() * columns()}
         */
        public float[] values() {
            return values;
        }

        /**
         * The value at a row and column (0-based).
         *
         * @param row    row index, {@code 0 <= row < rows()}
         * @param column column index, {@code 0 <= column < columns()}
         * @return the value, finite
         * @throws IndexOutOfBoundsException if {@code row} or {@code column} is out of range
         */
        public float get(int row, int column) {
            Objects.checkIndex(row, rows);
            Objects.checkIndex(column, columns);
            return values[row * columns + column];
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads a classification data set: each row holds {@code featureCount} feature values then one class label,
     * a non-negative integer ({@code 3} or {@code 3.0}). The result has target width 1 (the class index as a
     * float).
     *
     * @param file         the CSV file
     * @param featureCount feature columns per row, before the label column
     * @return the data set: {@code featureCount} features and the class index per row
     * @throws IOException       if the file cannot be read
     * @throws IllegalArgumentException if {@code featureCount} is not in {@code 1..MAX_COLUMNS - 1}
     * @throws CsvFormatException if the file is empty, has a wrong column count, a non-numeric or non-finite
     *                            value, or a label that is not a non-negative integer
     */
    public static Dataset readClassification(Path file, int featureCount) throws IOException {
        columnCount("featureCount", featureCount, 1);
        Parsed p = read(file, featureCount + 1, featureCount + " features + 1 class label", -1);
        Table t = p.table;
        float[] features = new float[t.rows * featureCount];
        float[] labels = new float[t.rows];
        for (int r = 0; r < t.rows; r++) {
            System.arraycopy(t.values, r * t.columns, features, r * featureCount, featureCount);
            float label = t.values[r * t.columns + featureCount];
            // Labels index a float target, so they must also be exactly representable (below 2^24).
            if (label < 0 || label != Math.rint(label) || label > (1 << 24)) {
                throw new CsvFormatException(file + ": line " + p.lines[r] + ", column " + (featureCount + 1)
                        + ": expected a class label (an integer from 0 to " + (1 << 24) + "), got " + label,
                        p.lines[r], featureCount + 1);
            }
            labels[r] = label;
        }
        return Dataset.of(features, featureCount, labels, 1);
    }

    /**
     * A classification data set and the names of its classes.
     *
     * @param data       features and class indices (target width 1)
     * @param classNames the name of class {@code i} at index {@code i}; empty when the file's labels were class
     *                   indices
     */
    public record Labelled(Dataset data, List<String> classNames) {
        /**
         * Copies the names.
         *
         * @param data       features and class indices (target width 1)
         * @param classNames the class names, copied; empty when the labels were class indices
         */
        public Labelled {
            Objects.requireNonNull(data, "data");
            classNames = List.copyOf(classNames);
        }
    }

    /**
     * Reads a classification data set whose labels are class indices or class names ({@code setosa}, ...).
     *
     * <p>With {@code classNames} empty the labels decide: all non-negative integers are class indices (as in
     * {@link #readClassification}); otherwise every label is a name, and the classes are the distinct names in
     * sorted order, so the same names give the same indices whatever the row order. With {@code classNames}
     * given (those of the training data, or a model's), every label must be one of them.
     *
     * @param file         the CSV file
     * @param featureCount feature columns per row, before the label column
     * @param classNames   the known class names in index order, or an empty list to take them from the labels
     * @return the data set (class indices as targets) and the class names used, empty for index labels
     * @throws IOException       if the file cannot be read
     * @throws IllegalArgumentException if {@code featureCount} is not in {@code 1..MAX_COLUMNS - 1}
     * @throws CsvFormatException if the file is empty, has a wrong column count, a non-numeric feature, or a
     *                            label that is not one of {@code classNames}
     */
    public static Labelled readClassification(Path file, int featureCount, List<String> classNames)
            throws IOException {
        columnCount("featureCount", featureCount, 1);
        Objects.requireNonNull(classNames, "classNames");
        Parsed p = read(file, featureCount + 1, featureCount + " features + 1 class label", featureCount);
        Table t = p.table;
        List<String> raw = p.text;
        boolean numeric = classNames.isEmpty();
        for (int r = 0; r < t.rows && numeric; r++) {
            String f = raw.get(r);
            numeric = isDecimal(f) && isClassIndex(Float.parseFloat(f));
        }
        float[] features = new float[t.rows * featureCount];
        for (int r = 0; r < t.rows; r++) {
            System.arraycopy(t.values, r * t.columns, features, r * featureCount, featureCount);
        }
        float[] labels = new float[t.rows];
        List<String> names = classNames;
        if (numeric) {
            for (int r = 0; r < t.rows; r++) {
                labels[r] = Float.parseFloat(raw.get(r));
            }
            return new Labelled(Dataset.of(features, featureCount, labels, 1), List.of());
        }
        if (names.isEmpty()) {
            names = new ArrayList<>(new TreeSet<>(raw));
            if (names.contains("")) {
                int r = raw.indexOf("");
                throw new CsvFormatException(file + ": line " + p.lines[r] + ", column " + (featureCount + 1)
                        + ": expected a class label, got an empty field", p.lines[r], featureCount + 1);
            }
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.putIfAbsent(names.get(i), i);
        }
        for (int r = 0; r < t.rows; r++) {
            Integer c = index.get(raw.get(r));
            if (c == null) {
                throw new CsvFormatException(file + ": line " + p.lines[r] + ", column " + (featureCount + 1)
                        + ": expected a class name among " + SafeTensors.abbreviate(names.toString())
                        + ", got \"" + SafeTensors.abbreviate(raw.get(r)) + "\"", p.lines[r], featureCount + 1);
            }
            labels[r] = c;
        }
        return new Labelled(Dataset.of(features, featureCount, labels, 1), names);
    }

    private static boolean isClassIndex(float v) {
        return v >= 0 && v == Math.rint(v) && v <= (1 << 24);
    }

    /**
     * Reads a regression (or multi-target) data set: each row holds {@code featureCount} feature values then
     * {@code targetWidth} target values.
     *
     * @param file         the CSV file
     * @param featureCount feature columns per row, {@code >= 1}
     * @param targetWidth  target columns per row after the features, {@code >= 1}
     * @return the data set with {@code featureCount} features and {@code targetWidth} targets per row
     * @throws IOException       if the file cannot be read
     * @throws IllegalArgumentException if a count is not positive or both together exceed {@link #MAX_COLUMNS}
     * @throws CsvFormatException if the file is empty, has a wrong column count, or a non-numeric or non-finite
     *                            value
     */
    public static Dataset readRegression(Path file, int featureCount, int targetWidth) throws IOException {
        columnCount("featureCount", featureCount, 0);
        columnCount("targetWidth", targetWidth, 0);
        if ((long) featureCount + targetWidth > MAX_COLUMNS) {
            throw new IllegalArgumentException("featureCount + targetWidth: expected at most " + MAX_COLUMNS
                    + " columns in all, got " + featureCount + " + " + targetWidth);
        }
        int width = featureCount + targetWidth;
        Table t = read(file, width, featureCount + " features + " + targetWidth + " target"
                + (targetWidth == 1 ? "" : "s"), -1).table;
        float[] features = new float[t.rows * featureCount];
        float[] targets = new float[t.rows * targetWidth];
        for (int r = 0; r < t.rows; r++) {
            System.arraycopy(t.values, r * width, features, r * featureCount, featureCount);
            System.arraycopy(t.values, r * width + featureCount, targets, r * targetWidth, targetWidth);
        }
        return Dataset.of(features, featureCount, targets, targetWidth);
    }

    /**
     * Reads a table whose columns are all features (e.g. input for prediction); the column count comes from the
     * first line.
     *
     * @param file the CSV file
     * @return every value of the file, with the header names if it has a header line
     * @throws IOException       if the file cannot be read
     * @throws CsvFormatException if the file is empty, rows differ in length, or a value is non-numeric or
     *                            non-finite
     */
    public static Table readFeatures(Path file) throws IOException {
        return read(file, -1, null, -1).table;
    }

    /** A table plus the source line of each row, and the raw text of the text column (if any). */
    private record Parsed(Table table, long[] lines, List<String> text) {
    }

    /**
     * Parses the file; {@code textColumn} (0-based, or -1 for none) is kept as text, not parsed, and does not
     * count when telling a header from a data row.
     */
    private static Parsed read(Path file, int expectedColumns, String layout, int textColumn) throws IOException {
        Objects.requireNonNull(file, "file");
        // Strict decoding: a wrong encoding should be an error, not silently replaced characters.
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> header = List.of();
        int columns = expectedColumns;
        FloatList values = new FloatList();
        LongList lines = new LongList();
        List<String> text = new ArrayList<>();
        long lineNo = 0;
        boolean first = true;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                List<String> fields = split(file, lineNo, line);
                if (columns < 0) {
                    columns = fields.size();
                    if (columns > MAX_COLUMNS) {
                        throw new CsvFormatException(file + ": line " + lineNo + ": expected at most " + MAX_COLUMNS
                                + " columns, got " + columns, lineNo, 0);
                    }
                }
                if (fields.size() != columns) {
                    throw new CsvFormatException(file + ": line " + lineNo + ": expected " + columns + " columns"
                            + (layout == null ? " (as in the first line)" : " (" + layout + ")") + ", got "
                            + fields.size(), lineNo, 0);
                }
                if (first) {
                    first = false;
                    if (isHeader(fields, textColumn)) {
                        header = fields;
                        continue;
                    }
                }
                for (int c = 0; c < fields.size(); c++) {
                    if (c == textColumn) {
                        text.add(fields.get(c));
                        values.add(0);
                    } else {
                        values.add(parse(file, lineNo, c + 1, fields.get(c)));
                    }
                }
                lines.add(lineNo);
            }
        } catch (CharacterCodingException e) {
            throw new CsvFormatException(file + ": line " + (lineNo + 1) + ": expected UTF-8 text, got invalid bytes",
                    lineNo + 1, 0);
        }
        if (lines.size == 0) {
            throw new CsvFormatException(file + ": expected at least one data row, got "
                    + (header.isEmpty() ? "an empty file" : "only a header line"), 0, 0);
        }
        return new Parsed(new Table(header, lines.size, columns, values.toArray()), lines.toArray(), text);
    }

    /** Splits one line into trimmed fields, honouring double quotes. */
    private static List<String> split(Path file, long lineNo, String line) throws CsvFormatException {
        List<String> fields = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (true) {
            while (i < n && isBlank(line.charAt(i))) {
                i++;
            }
            String field;
            if (i < n && line.charAt(i) == '"') {
                int startColumn = fields.size() + 1;
                StringBuilder sb = new StringBuilder();
                i++;
                while (true) {
                    if (i >= n) {
                        throw new CsvFormatException(file + ": line " + lineNo + ", column " + startColumn
                                + ": expected a closing double quote, got end of line", lineNo, startColumn);
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        if (i < n && line.charAt(i) == '"') {
                            sb.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        sb.append(c);
                    }
                }
                while (i < n && isBlank(line.charAt(i))) {
                    i++;
                }
                if (i < n && line.charAt(i) != ',') {
                    throw new CsvFormatException(file + ": line " + lineNo + ", column " + startColumn
                            + ": expected ',' after a quoted field, got '" + line.charAt(i) + "'", lineNo, startColumn);
                }
                field = sb.toString();
            } else {
                int start = i;
                while (i < n && line.charAt(i) != ',') {
                    i++;
                }
                field = line.substring(start, i).strip();
            }
            fields.add(field);
            if (i >= n) {
                return fields;
            }
            i++; // comma
        }
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * A header has a field that is text: not empty (a missing value), not a number and not a NaN/infinity
     * spelling (those are bad data, reported as such rather than silently taken for column names).
     */
    private static boolean isHeader(List<String> fields, int textColumn) {
        for (int c = 0; c < fields.size(); c++) {
            String f = fields.get(c);
            if (c != textColumn && !f.isEmpty() && !isDecimal(f) && !isNonFiniteWord(f)) {
                return true;
            }
        }
        return false;
    }

    private static float parse(Path file, long line, int column, String field) throws CsvFormatException {
        String where = file + ": line " + line + ", column " + column + ": ";
        if (isNonFiniteWord(field)) {
            throw new CsvFormatException(where + "expected a finite number, got \"" + field + "\"", line, column);
        }
        if (!isDecimal(field)) {
            throw new CsvFormatException(where + "expected a number, got "
                    + (field.isEmpty() ? "an empty field" : "\"" + SafeTensors.abbreviate(field) + "\""), line, column);
        }
        float v = Float.parseFloat(field);
        if (Float.isInfinite(v)) {
            throw new CsvFormatException(where + "expected a number within float range (about +-3.4e38), got "
                    + SafeTensors.abbreviate(field), line, column);
        }
        return v;
    }

    /** {@code [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?} — no hex, no suffixes like "f". */
    static boolean isDecimal(String s) {
        int i = 0;
        int n = s.length();
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int intDigits = 0;
        while (i < n && isDigit(s.charAt(i))) {
            i++;
            intDigits++;
        }
        int fracDigits = 0;
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
                fracDigits++;
            }
        }
        if (intDigits + fracDigits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int expDigits = 0;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
                expDigits++;
            }
            if (expDigits == 0) {
                return false;
            }
        }
        return i == n;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isNonFiniteWord(String s) {
        String t = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
        return t.equalsIgnoreCase("nan") || t.equalsIgnoreCase("inf") || t.equalsIgnoreCase("infinity");
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Writes rows of floats as CSV, replacing {@code file} atomically (a failed write leaves it unchanged).
     * Values are written in the shortest form that reads back to the same float.
     *
     * @param file    the file to write (created, or replaced)
     * @param header  column names written as the first line, or an empty list for none; names must not contain
     *                commas, quotes or line breaks, and must not all be numbers (or the header would read back as
     *                data)
     * @param values  {@code [rows][columns]} row-major, all finite
     * @param columns values per row
     * @throws IllegalArgumentException if the header size differs from {@code columns}, a name cannot be written,
     *                                  {@code values.length} is not a multiple of {@code columns}, or a value is not
     *                                  finite
     * @throws IOException              if writing fails
     */
    public static void write(Path file, List<String> header, float[] values, int columns) throws IOException {
        write(file, header, null, values, columns);
    }

    /**
     * Like {@link #write(Path, List, float[], int)} with a text column first, e.g. predicted class names: row
     * {@code r} starts with {@code text.get(r)} (quoted when it holds a comma, a quote or surrounding spaces),
     * then its {@code columns} values. {@code header} then names {@code columns + 1} columns (or is empty).
     *
     * @param file    the file to write (created, or replaced)
     * @param header  column names for the text column and the values, or an empty list for none
     * @param text    the first column, one entry per row, without line breaks
     * @param values  {@code [rows][columns]} row-major, all finite
     * @param columns values per row after the text column, {@code >= 1}
     * @throws IllegalArgumentException as the other overload, or if {@code text} does not hold one entry per row
     *                                  or an entry holds a line break
     * @throws IOException              if writing fails
     */
    public static void write(Path file, List<String> header, List<String> text, float[] values, int columns)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(values, "values");
        if (columns <= 0) {
            throw new IllegalArgumentException("columns: expected a positive value, got " + columns);
        }
        if (values.length % columns != 0) {
            throw new IllegalArgumentException("values: expected a length that is a multiple of columns " + columns
                    + ", got " + values.length);
        }
        int textColumns = text == null ? 0 : 1;
        if (text != null) {
            if (text.size() != values.length / columns) {
                throw new IllegalArgumentException("text: expected one entry per row (" + values.length / columns
                        + "), got " + text.size());
            }
            for (String t : text) {
                if (Objects.requireNonNull(t, "text entry").indexOf('\n') >= 0 || t.indexOf('\r') >= 0) {
                    throw new IllegalArgumentException("text: expected entries without line breaks, got \""
                            + SafeTensors.abbreviate(t) + "\"");
                }
            }
        }
        if (!header.isEmpty()) {
            if (header.size() != columns + textColumns) {
                throw new IllegalArgumentException("header: expected " + (columns + textColumns) + " names, got "
                        + header.size());
            }
            for (int c = 0; c < header.size(); c++) {
                String name = Objects.requireNonNull(header.get(c), "header name");
                if (name.isBlank() || name.strip().length() != name.length()
                        || name.chars().anyMatch(ch -> ch == ',' || ch == '"' || ch == '\n' || ch == '\r')) {
                    throw new IllegalArgumentException("header: column " + (c + 1) + ": expected a non-blank name"
                            + " without commas, quotes, line breaks or surrounding spaces, got \"" + name + "\"");
                }
            }
            if (!isHeader(header, -1)) {
                throw new IllegalArgumentException("header: expected at least one non-numeric name (otherwise it"
                        + " reads back as data), got " + header);
            }
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException("values: expected finite values, got " + values[i] + " at row "
                        + (i / columns + 1) + ", column " + (i % columns + 1));
            }
        }
        List<String> names = List.copyOf(header);
        List<String> texts = text == null ? null : List.copyOf(text);
        float[] snapshot = values.clone(); // what was validated is what gets written
        AtomicFiles.write(file, ch -> {
            // Not closed here: closing the writer would close the channel before AtomicFiles forces it.
            Writer w = new BufferedWriter(Channels.newWriter(ch, StandardCharsets.UTF_8), 1 << 16);
            if (!names.isEmpty()) {
                w.write(String.join(",", names));
                w.write('\n');
            }
            for (int i = 0; i < snapshot.length; i++) {
                if (texts != null && i % columns == 0) {
                    w.write(quote(texts.get(i / columns)));
                    w.write(',');
                }
                w.write(format(snapshot[i]));
                w.write((i + 1) % columns == 0 ? '\n' : ',');
            }
            w.flush();
        });
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A text field as the reader reads it back: quoted when it holds a comma, a quote or surrounding blanks. */
    static String quote(String t) {
        boolean plain = t.indexOf(',') < 0 && t.indexOf('"') < 0 && t.strip().equals(t) && !t.isEmpty();
        return plain ? t : '"' + t.replace("\"", "\"\"") + '"';
    }

    /**
     * Shortest text that reads back to exactly {@code v}: whole numbers (class indices, counts) without a
     * trailing ".0", everything else as {@link Float#toString}.
     */
    static String format(float v) {
        if (v == Math.rint(v) && Math.abs(v) < 1 << 24 && !(v == 0f && 1f / v < 0f)) {
            return Integer.toString((int) v);
        }
        return Float.toString(v);
    }

    /** A column count from 1 to {@code MAX_COLUMNS - reserved}. */
    private static void columnCount(String name, int value, int reserved) {
        if (value <= 0 || value > MAX_COLUMNS - reserved) {
            throw new IllegalArgumentException(name + ": expected a column count from 1 to " + (MAX_COLUMNS - reserved)
                    + ", got " + value);
        }
    }

    /** Growable float array, so reading needs no boxing. */
    private static final class FloatList {
        float[] a = new float[1024];
        int size;

        void add(float v) {
            if (size == a.length) {
                if (a.length >= Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException("more than " + (Integer.MAX_VALUE - 8) + " values");
                }
                a = Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 8, 2L * a.length));
            }
            a[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    private static final class LongList {
        long[] a = new long[256];
        int size;

        void add(long v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, 2 * a.length);
            }
            a[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
