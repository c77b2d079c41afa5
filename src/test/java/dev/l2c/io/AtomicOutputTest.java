package dev.l2c.io;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.l2c.io.UserErrors.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicOutputTest {
    @TempDir
    Path dir;

    /** Every name in {@code folder}, sorted: leftovers of a failed write show up here. */
    private static List<String> listing(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void writesAndReplacesAFileLeavingNothingElse() throws Exception {
        Path target = dir.resolve("out.txt");
        AtomicOutput.writeFile(target, out -> out.write("first".getBytes(StandardCharsets.UTF_8)));
        AtomicOutput.writeFile(target, out -> {
            out.write("second".getBytes(StandardCharsets.UTF_8));
            out.close(); // a writer closing its stream must not break the fsync and rename
        });
        assertEquals("second", Files.readString(target));
        assertEquals(List.of("out.txt"), listing(dir));
    }

    @Test
    void writtenFileHasThePermissionsOfAPlainNewFileNotOwnerOnly() throws Exception {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path plain = Files.createFile(dir.resolve("plain.txt"));
        Path target = dir.resolve("out.txt");
        AtomicOutput.writeFile(target, out -> out.write(1));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target));
    }

    @Test
    void failingWriterLeavesNothingBehindAndKeepsTheOldFile() throws Exception {
        Path target = dir.resolve("out.txt");
        Files.writeString(target, "old");
        OutputException e = assertThrows(OutputException.class, () -> AtomicOutput.writeFile(target, out -> {
            out.write(new byte[100_000]); // more than the buffer: bytes really reach the temp file
            throw new IOException("No space left on device");
        }));
        assertNamesFile(e, target, "cannot write", "No space left on device");
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.txt"), listing(dir));

        assertThrows(IllegalStateException.class, () -> AtomicOutput.writeFile(dir.resolve("new.txt"), out -> {
            out.write(1);
            throw new IllegalStateException("bug");
        }));
        assertEquals(List.of("out.txt"), listing(dir));
    }

    @Test
    void userErrorFromTheWriterBecomesAnOutputErrorWithItsCause() throws Exception {
        Path target = dir.resolve("out.npy");
        InvalidInputException cause = new InvalidInputException(dir.resolve("in.npy"), "truncated");
        OutputException e = assertThrows(OutputException.class, () -> AtomicOutput.writeFile(target, out -> {
            throw cause;
        }));
        assertSame(cause, e.getCause());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void missingParentFolderIsNamed() {
        Path target = dir.resolve("absent/out.txt");
        OutputException e = assertThrows(OutputException.class, () -> AtomicOutput.writeFile(target, out -> { }));
        assertNamesFile(e, target, "cannot write: folder " + dir.resolve("absent") + " does not exist");
    }

    @Test
    void parentThatIsAFileIsNamed() throws Exception {
        Files.writeString(dir.resolve("plain"), "x");
        Path target = dir.resolve("plain/out.txt");
        OutputException e = assertThrows(OutputException.class, () -> AtomicOutput.writeFile(target, out -> { }));
        assertNamesFile(e, target, "is not a folder");
    }

    @Test
    void readOnlyParentFolderIsNamed() throws Exception {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            dev.l2c.testing.Skip.unless(!Files.isWritable(locked), "running as root, folder permissions do not apply");
            Path target = locked.resolve("out.txt");
            OutputException e = assertThrows(OutputException.class, () -> AtomicOutput.writeFile(target, out -> { }));
            assertNamesFile(e, target, "is not writable");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void writesAFolder() throws Exception {
        Path target = dir.resolve("compiled");
        AtomicOutput.writeFolder(target, false, tmp -> {
            Files.writeString(tmp.resolve("manifest.json"), "{}");
            Files.createDirectory(tmp.resolve("steps"));
            Files.writeString(tmp.resolve("steps/0.onnx"), "graph");
        });
        assertEquals(List.of("compiled"), listing(dir));
        assertEquals(List.of("manifest.json", "steps"), listing(target));
        assertEquals("graph", Files.readString(target.resolve("steps/0.onnx")));
    }

    @Test
    void existingFolderIsRefusedWithoutReplaceAndLeftAlone() throws Exception {
        Path target = Files.createDirectory(dir.resolve("compiled"));
        Files.writeString(target.resolve("old.txt"), "old");
        OutputException e = assertThrows(OutputException.class,
                () -> AtomicOutput.writeFolder(target, false, tmp -> Files.writeString(tmp.resolve("new.txt"), "new")));
        assertNamesFile(e, target, "already exists");
        assertEquals(List.of("compiled"), listing(dir));
        assertEquals(List.of("old.txt"), listing(target));
    }

    @Test
    void replaceSwapsTheFolderAndRemovesTheOldOne() throws Exception {
        Path target = Files.createDirectory(dir.resolve("compiled"));
        Files.writeString(target.resolve("old.txt"), "old");
        AtomicOutput.writeFolder(target, true, tmp -> Files.writeString(tmp.resolve("new.txt"), "new"));
        assertEquals(List.of("compiled"), listing(dir));
        assertEquals(List.of("new.txt"), listing(target));
    }

    @Test
    void failingFillerLeavesNothingBehindAndKeepsTheOldFolder() throws Exception {
        Path target = Files.createDirectory(dir.resolve("compiled"));
        Files.writeString(target.resolve("old.txt"), "old");
        InvalidInputException cause = new InvalidInputException(dir.resolve("model.onnx"), "not an ONNX model");
        L2cException e = assertThrows(L2cException.class, () -> AtomicOutput.writeFolder(target, true, tmp -> {
            Files.createDirectory(tmp.resolve("steps"));
            Files.writeString(tmp.resolve("steps/0.onnx"), "half");
            throw cause;
        }));
        assertSame(cause, e, "the filler's own error must come through unchanged");
        assertEquals(List.of("compiled"), listing(dir));
        assertEquals(List.of("old.txt"), listing(target));

        OutputException io = assertThrows(OutputException.class,
                () -> AtomicOutput.writeFolder(dir.resolve("other"), false, tmp -> {
                    throw new IOException("disk full");
                }));
        assertNamesFile(io, dir.resolve("other"), "disk full");
        assertEquals(List.of("compiled"), listing(dir));
    }

    @Test
    void aFileWhereAFolderShouldGoIsRefusedEvenWithReplace() throws Exception {
        Path target = dir.resolve("compiled");
        Files.writeString(target, "a file");
        OutputException e = assertThrows(OutputException.class, () -> AtomicOutput.writeFolder(target, true, tmp -> { }));
        assertNamesFile(e, target, "not a folder");
        assertEquals("a file", Files.readString(target));
        assertEquals(List.of("compiled"), listing(dir));
    }

    @Test
    void aLegalNameOf250CharactersIsWrittenAsFileAndFolder() throws Exception {
        // 250 bytes is a legal name (the limit is 255); its temporary and lock names are shortened, not refused
        String name = "x".repeat(246) + ".npy";
        Path file = dir.resolve(name);
        AtomicOutput.writeFile(file, out -> out.write(1));
        try (AtomicOutput.PendingFile pending = AtomicOutput.pending(file)) {
            pending.stream().write(new byte[]{1, 2});
            pending.commit();
        }
        assertEquals(2, Files.size(file));
        Path folder = dir.resolve("p".repeat(250));
        AtomicOutput.writeFolder(folder, false, f -> Files.writeString(f.resolve("a"), "a"));
        AtomicOutput.writeFolder(folder, true, f -> Files.writeString(f.resolve("b"), "b"));
        assertEquals(Stream.of(name, "p".repeat(250)).sorted().toList(), listing(dir), "nothing else is left");
        assertEquals(List.of("b"), listing(folder));
        String stem = AtomicOutput.stem(folder);
        assertTrue(stem.getBytes(StandardCharsets.UTF_8).length <= AtomicOutput.STEM_MAX_BYTES, stem);
        assertTrue(!stem.equals(AtomicOutput.stem(dir.resolve("p".repeat(249) + "q"))), "names differing at the end keep apart");
        // a multi-byte name is cut on a character boundary
        String greek = AtomicOutput.stem(dir.resolve("\u03b1".repeat(120)));
        assertTrue(greek.startsWith("\u03b1".repeat(50) + "~"), greek);
    }

    @Test
    void aTemporaryFileOfAKilledRunIsRemovedByTheNextWriteOfItsTarget() throws Exception {
        // `kill -9` during `sample --npy x.npy` leaves .x.npy.tmp-PID-random: nothing else would remove it
        Path target = dir.resolve("x.npy");
        Path stale = Files.writeString(dir.resolve(".x.npy.tmp-999999999-1f"), "half");
        Path live = Files.writeString(dir.resolve(".x.npy.tmp-" + ProcessHandle.current().pid() + "-2e"), "writing");
        Path other = Files.writeString(dir.resolve(".y.npy.tmp-999999999-3a"), "another target's");
        try (AtomicOutput.PendingFile pending = AtomicOutput.pending(target)) {
            pending.stream().write(7);
            pending.commit();
        }
        assertTrue(!Files.exists(stale), "the dead process's temporary file is removed");
        assertTrue(Files.exists(live), "a running process's temporary file is left alone");
        assertTrue(Files.exists(other), "another target's temporary file is not this write's to remove");
    }
}
