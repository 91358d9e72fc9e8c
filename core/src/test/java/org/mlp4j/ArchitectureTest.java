package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The seams of the code base, checked on the sources: the engine never reaches up into the public facades,
 * and the io package and the command line use only the public API.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/org/mlp4j");

    private static List<String> offenders(Path dir, Pattern forbidden) {
        assertTrue(Files.isDirectory(dir), "source directory " + dir.toAbsolutePath());
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java")).flatMap(p -> {
                try {
                    return Files.readAllLines(p).stream().filter(l -> forbidden.matcher(l).find())
                            .map(l -> dir.relativize(p) + ": " + l.trim());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theEngineImportsNoFacade() {
        assertEquals(List.of(), offenders(MAIN.resolve("internal"),
                Pattern.compile("^import org\\.mlp4j\\.(Network|Trainer|Optimizer|Sgd|Adam|RmsProp|Evaluator|Workspace);")));
    }

    @Test
    void ioAndTheCommandLineUseOnlyThePublicApi() {
        Pattern internal = Pattern.compile("^import (static )?org\\.mlp4j\\.internal");
        assertEquals(List.of(), offenders(MAIN.resolve("io"), internal));
        assertEquals(List.of(), offenders(Path.of("../cli/src/main/java/org/mlp4j/cli"), internal));
    }
}
