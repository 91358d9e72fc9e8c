package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public API ({@code org.mlp4j} and {@code org.mlp4j.io}, the packages the module exports) has complete, valid
 * javadoc: javadoc with every doclint group, missing comments included, reports nothing. (The published javadoc jar
 * is built by the maven-javadoc-plugin, which cannot be strict: javadoc always warns "using incubating module(s)".)
 */
class JavadocStrictTest {
    /** The exported packages' source folders; {@code org.mlp4j.internal} is not exported and not held to it. */
    private static final List<Path> PACKAGES = List.of(Paths.get("src", "main", "java", "org", "mlp4j"),
            Paths.get("src", "main", "java", "org", "mlp4j", "io"));

    /** Files of those packages not (yet) held to it: none, every public type is documented. */
    private static final List<String> NOT_YET = List.of();

    @TempDir
    Path out;

    @Test
    void publicApiHasNoDoclintWarnings() throws Exception {
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        assertNotNull(javadoc, "javadoc tool (a JDK, not a JRE, runs the tests)");
        List<Path> files = new ArrayList<>();
        for (Path dir : PACKAGES) {
            try (Stream<Path> s = Files.list(dir)) {
                files.addAll(s.filter(p -> p.toString().endsWith(".java"))
                        .filter(p -> !NOT_YET.contains(p.getFileName().toString())).sorted()
                        .collect(Collectors.toList()));
            }
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javadoc.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = new ArrayList<>(List.of("-Xdoclint:all", "-quiet", "-d", out.toString(),
                    // org.mlp4j.internal from its classes, so its sources (and the incubator module) are not read
                    "-classpath", Paths.get("target", "classes").toString()));
            StringWriter log = new StringWriter();
            Boolean ok = javadoc.getTask(log, fm, diagnostics, null, options, fm.getJavaFileObjectsFromPaths(files))
                    .call();
            List<String> problems = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR || d.getKind() == Diagnostic.Kind.WARNING
                        || d.getKind() == Diagnostic.Kind.MANDATORY_WARNING) {
                    problems.add(d.getSource() == null ? d.getMessage(Locale.ROOT)
                            : Paths.get(d.getSource().toUri()).getFileName() + ":" + d.getLineNumber() + ": "
                            + d.getMessage(Locale.ROOT));
                }
            }
            assertEquals(List.of(), problems, log.toString());
            assertEquals(Boolean.TRUE, ok, log.toString());
        }
    }
}
