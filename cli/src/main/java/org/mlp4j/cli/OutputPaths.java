package org.mlp4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks that an output file can be written, before any work is done. */
final class OutputPaths {
    private OutputPaths() {
    }

    /** Why {@code file} cannot be written (its directory is missing, ...), or null when it can. */
    static String problem(Path file) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) {
            return "it is not a file path";
        }
        if (!Files.exists(dir)) {
            return "directory " + dir + " does not exist";
        }
        if (!Files.isDirectory(dir)) {
            return dir + " is not a directory";
        }
        if (Files.isDirectory(abs)) {
            return "it is a directory";
        }
        if (Files.exists(abs) && !Files.isWritable(abs)) {
            return "the file is not writable";
        }
        // Files are replaced by a temporary file renamed over them, so the directory must be writable.
        if (!Files.isWritable(dir)) {
            return "directory " + dir + " is not writable";
        }
        return null;
    }
}
