package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.Dataset;

class CsvTest {
    @TempDir
    Path dir;

    @Test
    void readsClassificationWithHeader() throws IOException {
        Path f = write("sepal length,\"width, cm\",label\n5.1, 3.5 ,0\n\n4.9,3.0,2.0\r\n-1e-3,+.5,1\n");
        Dataset d = Csv.readClassification(f, 2);
        assertEquals(3, d.size());
        assertEquals(2, d.featureCount());
        assertEquals(1, d.targetWidth());
        assertArrayEquals(new float[] {5.1f, 3.5f, 4.9f, 3.0f, -1e-3f, 0.5f}, d.features());
        assertArrayEquals(new float[] {0f, 2f, 1f}, d.targets());
    }

    @Test
    void readsClassificationWithoutHeader() throws IOException {
        Dataset d = Csv.readClassification(write("1,2,3\n4,5,6\n"), 2);
        assertArrayEquals(new float[] {1f, 2f, 4f, 5f}, d.features());
        assertArrayEquals(new float[] {3f, 6f}, d.targets());
    }

    @Test
    void readsRegressionWithSeveralTargets() throws IOException {
        Dataset d = Csv.readRegression(write("\uFEFFx,y1,y2\n1,0.5,-0.5\n2,1.5,-1.5\n"), 1, 2);
        assertEquals(2, d.size());
        assertEquals(2, d.targetWidth());
        assertArrayEquals(new float[] {1f, 2f}, d.features());
        assertArrayEquals(new float[] {0.5f, -0.5f, 1.5f, -1.5f}, d.targets());
    }

    @Test
    void readsFeaturesTable() throws IOException {
        Csv.Table t = Csv.readFeatures(write("a,b,c\n1,2,3\n4,5,6\n"));
        assertEquals(List.of("a", "b", "c"), t.header());
        assertEquals(2, t.rows());
        assertEquals(3, t.columns());
        assertEquals(6f, t.get(1, 2));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.values());
        Csv.Table noHeader = Csv.readFeatures(write("7\n8\n"));
        assertEquals(List.of(), noHeader.header());
        assertEquals(1, noHeader.columns());
        assertArrayEquals(new float[] {7, 8}, noHeader.values());
        Csv.Table indexHeader = Csv.readFeatures(write(",a\n0,1.5\n"));  // pandas-style unnamed index column
        assertEquals(List.of("", "a"), indexHeader.header());
        assertEquals(1, indexHeader.rows());
    }

    @Test
    void nonNumericValueNamesLineAndColumn() throws IOException {
        Path f = write("a,b,label\n1,2,0\n3,x4,1\n");
        CsvFormatException e = assertError(() -> Csv.readClassification(f, 2), "line 3, column 2",
                "expected a number", "\"x4\"");
        assertEquals(3, e.line());
        assertEquals(2, e.column());
        assertError(() -> Csv.readFeatures(write("1,,3\n")), "line 1, column 2", "an empty field");
        assertError(() -> Csv.readFeatures(write("1,2\n0x10,3\n")), "line 2, column 1", "\"0x10\"");
        assertError(() -> Csv.readFeatures(write("1,2\n1f,3\n")), "line 2, column 1", "\"1f\"");
    }

    @Test
    void rejectsNanAndInfinity() throws IOException {
        assertError(() -> Csv.readFeatures(write("1,NaN\n")), "line 1, column 2", "finite", "NaN");
        assertError(() -> Csv.readFeatures(write("h1,h2\n1,2\n-inf,2\n")), "line 3, column 1", "finite", "-inf");
        assertError(() -> Csv.readFeatures(write("1,Infinity\n")), "line 1, column 2", "finite");
        assertError(() -> Csv.readFeatures(write("1,1e39\n")), "line 1, column 2", "float range");
    }

    @Test
    void rejectsWrongColumnCounts() throws IOException {
        assertError(() -> Csv.readClassification(write("1,2,3,0\n"), 2), "line 1", "expected 3 columns",
                "2 features + 1 class label", "got 4");
        assertError(() -> Csv.readRegression(write("a,b\n1,2\n"), 2, 3), "line 1", "expected 5 columns",
                "2 features + 3 targets", "got 2");
        assertError(() -> Csv.readFeatures(write("1,2\n3,4\n5\n")), "line 3", "expected 2 columns", "got 1");
    }

    @Test
    void rejectsEmptyInput() throws IOException {
        assertError(() -> Csv.readFeatures(write("")), "at least one data row", "empty file");
        assertError(() -> Csv.readFeatures(write("\n  \n")), "empty file");
        assertError(() -> Csv.readClassification(write("a,b,label\n"), 2), "only a header line");
    }

    @Test
    void rejectsBadLabels() throws IOException {
        assertError(() -> Csv.readClassification(write("1,2,2.5\n"), 2), "line 1, column 3", "class label",
                "2.5");
        assertError(() -> Csv.readClassification(write("1,2,1\n1,2,-1\n"), 2), "line 2, column 3", "-1");
    }

    @Test
    void rejectsBadQuotingAndEncoding() throws IOException {
        assertError(() -> Csv.readFeatures(write("\"a,b\n")), "line 1, column 1", "closing double quote");
        assertError(() -> Csv.readFeatures(write("\"a\"x,b\n")), "line 1, column 1", "after a quoted field");
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, new byte[] {'a', ',', (byte) 0xe9, '\n', '1', ',', '2', '\n'});
        assertError(() -> Csv.readFeatures(latin1), "UTF-8");
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Csv.readClassification(dir.resolve("x"), 0));
        assertTrue(e.getMessage().contains("featureCount"), e.getMessage());
    }

    // -------------------------------------------------------------------------------------------- writing

    @Test
    void writeRoundTrips() throws IOException {
        Path f = dir.resolve("pred.csv");
        float[] values = {0.1f, -2.5e-7f, 3f, Float.MAX_VALUE, -0f, 1.17549435E-38f};
        Csv.write(f, List.of("p0", "p1", "p2"), values, 3);
        // Float.toString's shortest form changed in JDK 19 (1.17549435E-38 became 1.1754944E-38): compare
        // against the running JDK's text; the exact round trip is checked below.
        assertEquals("p0,p1,p2\n0.1,-2.5E-7,3\n3.4028235E38,-0.0," + Float.toString(1.17549435E-38f) + "\n",
                Files.readString(f, StandardCharsets.UTF_8));
        Csv.Table t = Csv.readFeatures(f);
        assertEquals(List.of("p0", "p1", "p2"), t.header());
        assertArrayEquals(values, t.values());

        Csv.write(f, List.of(), new float[] {1f, 2f}, 1);
        assertEquals("1\n2\n", Files.readString(f)); // whole numbers (class indices) without ".0"
    }

    @Test
    void writeRejectsBadInputAndKeepsOldFile() throws IOException {
        Path f = dir.resolve("out.csv");
        Csv.write(f, List.of("y"), new float[] {1f}, 1);
        String before = Files.readString(f);
        assertThrows(IllegalArgumentException.class, () -> Csv.write(f, List.of(), new float[] {Float.NaN}, 1));
        assertThrows(IllegalArgumentException.class, () -> Csv.write(f, List.of(), new float[3], 2));
        assertThrows(IllegalArgumentException.class, () -> Csv.write(f, List.of("a,b"), new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> Csv.write(f, List.of("a"), new float[2], 2));
        assertThrows(IllegalArgumentException.class, () -> Csv.write(f, List.of("1", "2"), new float[2], 2));
        assertEquals(before, Files.readString(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
    }

    // -------------------------------------------------------------------------------------------- helpers

    private int counter;

    private Path write(String content) throws IOException {
        return Files.writeString(dir.resolve("t" + (counter++) + ".csv"), content, StandardCharsets.UTF_8);
    }

    private CsvFormatException assertError(Executable call, String... fragments) {
        CsvFormatException e = assertThrows(CsvFormatException.class, call);
        assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "expected \"" + f + "\" in: " + e.getMessage());
        }
        return e;
    }
}
