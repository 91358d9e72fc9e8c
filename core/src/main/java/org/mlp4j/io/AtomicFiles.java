package org.mlp4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file atomically: readers see either the old complete file or the new complete file, never a
 * partial one, and a failed write leaves the old file untouched.
 */
final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes the content of a file through a channel positioned at 0. */
    @FunctionalInterface
    interface Body {
        void write(FileChannel channel) throws IOException;
    }

    /** Inspects the complete temporary file before it replaces the target; throws to abandon it. */
    @FunctionalInterface
    interface Check {
        void check(Path temp) throws IOException;
    }

    /**
     * Writes {@code body} to a temporary file next to {@code target}, forces it to disk, then renames it over
     * {@code target}. On any failure the temporary file is deleted and the exception rethrown.
     */
    static void write(Path target, Body body) throws IOException {
        write(target, body, temp -> { });
    }

    /** Like {@link #write(Path, Body)}, running {@code check} on the written file before the rename. */
    static void write(Path target, Body body, Check check) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(target.toString(), null,
                    "cannot write: directory " + dir + " does not exist");
        }
        Path temp = createTemp(dir, absolute.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                body.write(ch);
                // Data must be durable before the rename publishes it, or a crash could leave an empty target.
                ch.force(true);
            }
            check.check(temp);
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // Some file systems cannot rename atomically; a plain replace is the best they offer.
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                t.addSuppressed(suppressed);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /**
     * Creates an empty temporary file in {@code dir}. Not {@link Files#createTempFile}: that uses mode 0600 on
     * POSIX, which the final file would inherit; a plain create honours the user's umask like any new file.
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                    + ".tmp");
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /** Makes the rename itself durable where the platform allows it (Linux); elsewhere this is a no-op. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // Best effort only: Windows cannot open directories, and the file is already in place.
        }
    }
}
