package org.mlp4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * README.md quotes the examples verbatim: each {@code <!-- example: FILE#REGION -->} line is followed by a
 * {@code ```java} block equal to the lines between {@code // README:begin REGION} and {@code // README:end} in
 * FILE (indentation removed), and every region of the examples is quoted. On a mismatch the message shows the
 * block README should hold.
 */
class ReadmeQuotesExamplesTest {
    static final Path SOURCES = Path.of("examples", "src", "main", "java", "org", "mlp4j", "examples");
    private static final Pattern MARKER = Pattern.compile("<!-- example: ([A-Za-z0-9_]+\\.java)#([a-z0-9-]+) -->");

    /** Regions by "File.java#name", dedented. */
    static Map<String, String> regions() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(SOURCES)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        }
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String t = lines.get(i).trim();
                if (!t.startsWith("// README:begin ")) {
                    continue;
                }
                String name = t.substring("// README:begin ".length()).trim();
                List<String> body = new ArrayList<>();
                int j = i + 1;
                while (j < lines.size() && !lines.get(j).trim().equals("// README:end")) {
                    body.add(lines.get(j++));
                }
                assertTrue(j < lines.size(), f + ": region " + name + " has no // README:end");
                out.put(f.getFileName() + "#" + name, dedent(body));
                i = j;
            }
        }
        return out;
    }

    static String dedent(List<String> body) {
        int indent = Integer.MAX_VALUE;
        for (String l : body) {
            if (!l.isBlank()) {
                indent = Math.min(indent, l.length() - l.stripLeading().length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String l : body) {
            sb.append(l.isBlank() ? "" : l.substring(indent).stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void readmeQuotesEveryExampleRegionVerbatim() throws IOException {
        Map<String, String> regions = regions();
        assertTrue(regions.size() >= 4, "regions found: " + regions.keySet());
        List<String> readme = Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8);
        Map<String, String> quoted = new LinkedHashMap<>();
        for (int i = 0; i < readme.size(); i++) {
            Matcher m = MARKER.matcher(readme.get(i).trim());
            if (!m.matches()) {
                continue;
            }
            String key = m.group(1) + "#" + m.group(2);
            assertEquals("```java", i + 1 < readme.size() ? readme.get(i + 1) : "", "README line " + (i + 2)
                    + ": expected a ```java block after the marker for " + key);
            StringBuilder block = new StringBuilder();
            int j = i + 2;
            while (j < readme.size() && !readme.get(j).equals("```")) {
                block.append(readme.get(j++)).append('\n');
            }
            quoted.put(key, block.toString());
            i = j;
        }
        for (Map.Entry<String, String> r : regions.entrySet()) {
            if (!quoted.containsKey(r.getKey())) {
                fail("README.md does not quote " + r.getKey() + "; add\n<!-- example: " + r.getKey() + " -->\n```java\n"
                        + r.getValue() + "```");
            }
            assertEquals(r.getValue(), quoted.get(r.getKey()), "README.md's quote of " + r.getKey()
                    + " differs from the example; it should be:\n" + r.getValue());
        }
        for (String key : quoted.keySet()) {
            assertTrue(regions.containsKey(key), "README.md quotes " + key + ", which no example defines");
        }
    }
}
