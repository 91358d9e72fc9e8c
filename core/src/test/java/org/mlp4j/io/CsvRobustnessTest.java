package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.Dataset;

/** Argument limits, named class labels, and seeded fuzzing of the CSV reader. */
class CsvRobustnessTest {
    @TempDir
    Path dir;

    @Test
    void hugeColumnCountsAreArgumentErrors() throws IOException {
        Path f = Files.writeString(dir.resolve("a.csv"), "1,2,0\n");
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> Csv.readClassification(f, Integer.MAX_VALUE));
        assertTrue(c.getMessage().startsWith("featureCount: expected a column count from 1 to"), c.getMessage());
        IllegalArgumentException r = assertThrows(IllegalArgumentException.class,
                () -> Csv.readRegression(f, Integer.MAX_VALUE, 1));
        assertTrue(r.getMessage().startsWith("featureCount:"), r.getMessage());
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> Csv.readRegression(f, 1, Integer.MAX_VALUE));
        assertTrue(t.getMessage().startsWith("targetWidth:"), t.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> Csv.readRegression(f, Csv.MAX_COLUMNS - 1, 2));
        assertTrue(both.getMessage().contains("featureCount + targetWidth"), both.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Csv.readClassification(f, Integer.MAX_VALUE, List.of()));
    }

    @Test
    void namedClassesMapToSortedIndicesAndBack() throws IOException {
        Path f = Files.writeString(dir.resolve("iris.csv"), "a,b,species\n1,2,virginica\n3,4,setosa\n"
                + "5,6,versicolor\n7,8,setosa\n");
        Csv.Labelled l = Csv.readClassification(f, 2, List.of());
        assertEquals(List.of("setosa", "versicolor", "virginica"), l.classNames());
        assertArrayEquals(new float[] {2, 0, 1, 0}, l.data().targets());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, l.data().features());
        // A test file is read with the training names: same indices whatever its own order or subset.
        Path test = Files.writeString(dir.resolve("test.csv"), "9,9,versicolor\n");
        assertArrayEquals(new float[] {1}, Csv.readClassification(test, 2, l.classNames()).data().targets());
        Path unknown = Files.writeString(dir.resolve("unknown.csv"), "9,9,rosa\n");
        CsvFormatException e = assertThrows(CsvFormatException.class,
                () -> Csv.readClassification(unknown, 2, l.classNames()));
        assertTrue(e.getMessage().contains("line 1, column 3") && e.getMessage().contains("\"rosa\"")
                && e.getMessage().contains("setosa"), e.getMessage());
        // Integer labels stay class indices, with no names.
        Path numeric = Files.writeString(dir.resolve("n.csv"), "1,2,1\n3,4,0\n");
        Csv.Labelled n = Csv.readClassification(numeric, 2, List.of());
        assertEquals(List.of(), n.classNames());
        assertArrayEquals(new float[] {1, 0}, n.data().targets());
        // A header is told from data by the feature columns, not by the (text) label column.
        Path noHeader = Files.writeString(dir.resolve("nh.csv"), "1,2,b\n3,4,a\n");
        Csv.Labelled nh = Csv.readClassification(noHeader, 2, List.of());
        assertEquals(2, nh.data().size());
        assertEquals(List.of("a", "b"), nh.classNames());
        // An empty label is an error, not a class named "".
        Path empty = Files.writeString(dir.resolve("e.csv"), "1,2,b\n3,4,\n");
        CsvFormatException ee = assertThrows(CsvFormatException.class, () -> Csv.readClassification(empty, 2,
                List.of()));
        assertTrue(ee.getMessage().contains("line 2, column 3"), ee.getMessage());
    }

    @Test
    void textColumnRoundTripsThroughTheWriter() throws IOException {
        Path f = dir.resolve("pred.csv");
        Csv.write(f, List.of("label", "p"), List.of("a, b", "plain", "say \"hi\""), new float[] {0.5f, 1, 0}, 1);
        Csv.Labelled back = Csv.readClassification(Files.writeString(dir.resolve("swapped.csv"),
                swap(Files.readString(f))), 1, List.of());
        assertEquals(List.of("a, b", "plain", "say \"hi\""), back.classNames().stream().sorted(
                java.util.Comparator.comparing(s -> List.of("a, b", "plain", "say \"hi\"").indexOf(s))).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Csv.write(f, List.of(), List.of("one"), new float[] {1, 2}, 1));
        assertTrue(e.getMessage().startsWith("text:"), e.getMessage());
    }

    /** Moves the first (text) column last, so that the file reads back as features then a label. */
    private static String swap(String csv) {
        StringBuilder sb = new StringBuilder();
        for (String line : csv.split("\n")) {
            int cut = line.startsWith("\"") ? line.indexOf("\",", 1) + 1 : line.indexOf(',');
            sb.append(line.substring(cut + 1)).append(',').append(line, 0, cut).append('\n');
        }
        return sb.toString();
    }

    /**
     * Seeded, bounded fuzzing: small valid files with characters replaced, inserted or cut must read or fail
     * with {@link CsvFormatException} naming the file; nothing else may escape.
     */
    @Test
    void fuzzedFilesGiveOnlyDocumentedErrors() throws IOException {
        SplittableRandom rnd = new SplittableRandom(11_2026);
        String alphabet = "0123456789.,-+eE \t\"\n\r\uFEFFabcNaInfé";
        int read = 0;
        int rejected = 0;
        for (int round = 0; round < 600; round++) {
            StringBuilder sb = new StringBuilder(rnd.nextBoolean() ? "x,y,label\n" : "");
            int rows = 1 + rnd.nextInt(4);
            for (int r = 0; r < rows; r++) {
                sb.append(rnd.nextInt(100) / 10.0).append(',').append(-rnd.nextInt(50)).append(',')
                        .append(rnd.nextBoolean() ? String.valueOf(rnd.nextInt(3)) : "c" + rnd.nextInt(3)).append('\n');
            }
            for (int k = rnd.nextInt(4); k > 0; k--) {
                int at = rnd.nextInt(sb.length() + 1);
                switch (rnd.nextInt(3)) {
                    case 0 -> sb.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    case 1 -> { if (at < sb.length()) { sb.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length()))); } }
                    default -> sb.setLength(Math.min(sb.length(), at));
                }
            }
            byte[] bytes = sb.toString().getBytes(rnd.nextInt(8) == 0 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
            Path f = Files.write(dir.resolve("fuzz" + round + ".csv"), bytes);
            try {
                switch (round % 4) {
                    case 0 -> Csv.readClassification(f, 2);
                    case 1 -> {
                        Csv.Labelled l = Csv.readClassification(f, 2, List.of());
                        Dataset d = l.data();
                        for (float t : d.targets()) {
                            assertTrue(l.classNames().isEmpty() || t < l.classNames().size());
                        }
                    }
                    case 2 -> Csv.readRegression(f, 2, 1);
                    default -> Csv.readFeatures(f);
                }
                read++;
            } catch (CsvFormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                rejected++;
            } catch (IOException | RuntimeException e) {
                fail("round " + round + ": undocumented " + e + " for " + sb, e);
            }
        }
        assertTrue(read > 0 && rejected > 0, read + " read, " + rejected + " rejected");
    }
}
