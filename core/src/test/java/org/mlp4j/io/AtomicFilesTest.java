package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leftovers of killed writers are cleaned up safely; errors name the target, not the temporary file. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    private static void write(Path target, byte[] bytes) throws IOException {
        AtomicFiles.write(target, ch -> ch.write(ByteBuffer.wrap(bytes)));
    }

    private Path leftover(String name, String random, long ageMillis) throws IOException {
        Path p = Files.write(dir.resolve("." + name + "." + random + ".tmp"), new byte[1024]);
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - ageMillis));
        return p;
    }

    @Test
    void staleTemporariesOfTheSameTargetAreRemovedOnTheNextWrite() throws IOException {
        long old = AtomicFiles.STALE_AGE.toMillis() + 60_000;
        Path stale1 = leftover("model.safetensors", "1f2e3d4c5b6a7980", old);
        Path stale2 = leftover("model.safetensors", "abc", old);
        Path fresh = leftover("model.safetensors", "0123456789abcdef", 0); // maybe a live writer's
        Path otherTarget = leftover("other.safetensors", "1f2e3d4c5b6a7980", old);
        Path notOurs = Files.write(dir.resolve(".model.safetensors.backup.tmp"), new byte[1]);
        Files.setLastModifiedTime(notOurs, FileTime.fromMillis(0));

        Path target = dir.resolve("model.safetensors");
        write(target, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
        assertFalse(Files.exists(stale1));
        assertFalse(Files.exists(stale2));
        assertTrue(Files.exists(fresh), "a recent temporary may belong to a live writer");
        assertTrue(Files.exists(otherTarget), "another target's temporaries are its own business");
        assertTrue(Files.exists(notOurs), "only names of the .NAME.<hex>.tmp form are ours");
    }

    @Test
    void aLockedTemporaryIsKeptHoweverOld() throws IOException {
        Path locked = leftover("run.ckpt", "feedface", AtomicFiles.STALE_AGE.toMillis() * 10);
        try (FileChannel ch = FileChannel.open(locked, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            assertTrue(lock.isValid());
            write(dir.resolve("run.ckpt"), new byte[] {7});
            assertTrue(Files.exists(locked), "a temporary locked by a writer is in use");
        }
        write(dir.resolve("run.ckpt"), new byte[] {8});
        assertFalse(Files.exists(locked), "once its writer is gone it is removed");
    }

    @Test
    void killedSavesDoNotPileUp() throws IOException {
        Path target = dir.resolve("m.safetensors");
        for (int i = 0; i < 20; i++) {
            leftover("m.safetensors", Long.toHexString(0x1000 + i), AtomicFiles.STALE_AGE.toMillis() + 1000);
            write(target, new byte[] {(byte) i});
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void failedWritesNameTheTargetAndLeaveNoTemporary() throws IOException {
        Path target = dir.resolve("model.safetensors");
        // A file-system error about the temporary file (as a full or failing disk reports it) names the target.
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, ch -> {
            try (Stream<Path> files = Files.list(dir)) {
                Path temp = files.filter(p -> p.getFileName().toString().endsWith(".tmp")).findFirst().orElseThrow();
                throw new FileSystemException(temp.toString(), null, "No space left on device");
            }
        }));
        assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertFalse(e.getMessage().contains(".tmp"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "the temporary file is gone");
        }
        // A non-empty directory where the file should go: the rename fails, naming the target.
        Files.createDirectory(target);
        Files.write(target.resolve("inside"), new byte[1]);
        IOException rename = assertThrows(IOException.class, () -> write(target, new byte[] {1}));
        assertTrue(rename.getMessage().contains(target.toString()), rename.getMessage());
        assertFalse(rename.getMessage().contains(".tmp"), rename.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
        IOException missing = assertThrows(IOException.class,
                () -> write(dir.resolve("no-such-dir").resolve("x"), new byte[] {1}));
        assertTrue(missing.getMessage().contains("no-such-dir"), missing.getMessage());
    }
}
