package org.mlp4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Replaces a file atomically: readers see either the old complete file or the new complete file, never a
 * partial one, and a failed write leaves the old file untouched.
 *
 * <p>A process killed mid-write leaves its temporary file {@code .NAME.<random>.tmp} behind. The next write of
 * the same target removes such leftovers: those that no live writer holds locked (each writer locks its
 * temporary file while writing it; the operating system drops the lock when a process dies) and that have not
 * been modified for {@link #STALE_AGE} (covering the short unlocked moment between the last write and the
 * rename).
 */
final class AtomicFiles {
    /** Temporary files of a target untouched this long and not locked are leftovers of a dead writer. */
    static final Duration STALE_AGE = Duration.ofMinutes(1);

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
        String name = absolute.getFileName().toString();
        removeStaleTemps(dir, name);
        Path temp;
        try {
            temp = createTemp(dir, name);
        } catch (FileSystemException e) {
            // e.g. a read-only directory: say which file the caller could not write
            FileSystemException named = new FileSystemException(target.toString(), null, "cannot write: "
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()));
            named.initCause(e);
            throw named;
        }
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE);
                 FileLock lock = tryLock(ch)) {
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
        } catch (IOException e) {
            IOException report = nameTarget(e, temp, target);
            deleteTemp(temp, report);
            throw report;
        } catch (RuntimeException | Error e) {
            deleteTemp(temp, e);
            throw e;
        }
        syncDirectory(dir);
    }

    /**
     * An error that names the temporary file (a file-system error from the write, force or rename) restated for
     * the target the caller asked to write, which is the name the user knows.
     */
    static IOException nameTarget(IOException e, Path temp, Path target) {
        String tempName = temp.toString();
        if (e instanceof FileSystemException fse && tempName.equals(fse.getFile())) {
            String reason = fse.getReason() != null ? fse.getReason() : e.getClass().getSimpleName();
            IOException named = new FileSystemException(target.toString(), null, "cannot write: " + reason);
            named.initCause(e);
            return named;
        }
        String m = e.getMessage();
        if (m != null && m.contains(tempName)) {
            return new IOException(m.replace(tempName, target + " (temporary file)"), e);
        }
        return e;
    }

    private static void deleteTemp(Path temp, Throwable failure) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }

    /** An exclusive lock on the temporary file, or null where the file system offers none. */
    private static FileLock tryLock(FileChannel ch) {
        try {
            return ch.tryLock();
        } catch (IOException | UnsupportedOperationException e) {
            return null; // e.g. some network file systems; the age rule alone then protects the file
        }
    }

    /** Deletes leftover temporary files of {@code name} in {@code dir} (see the class comment); best effort. */
    static void removeStaleTemps(Path dir, String name) {
        Pattern temp = Pattern.compile("\\." + Pattern.quote(name) + "\\.[0-9a-f]{1,16}\\.tmp");
        FileTime cutoff = FileTime.fromMillis(System.currentTimeMillis() - STALE_AGE.toMillis());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir,
                p -> temp.matcher(p.getFileName().toString()).matches())) {
            for (Path p : files) {
                try {
                    if (!Files.isRegularFile(p) || Files.getLastModifiedTime(p).compareTo(cutoff) > 0) {
                        continue;
                    }
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE);
                         FileLock lock = ch.tryLock()) {
                        if (lock != null) {
                            Files.deleteIfExists(p);
                        }
                    }
                } catch (IOException | OverlappingFileLockException | UnsupportedOperationException e) {
                    // held by a writer in this JVM, or not ours to delete: leave it
                }
            }
        } catch (IOException | RuntimeException e) {
            // cleanup is best effort; the write itself goes on
        }
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
