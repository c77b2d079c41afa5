package dev.l2c.io;

import dev.l2c.error.Cancellation;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files and folders so that a reader (or a user looking at the folder) sees either the old
 * content or the complete new content, never a half-written file: everything is written under a
 * temporary name beside the target, flushed to disk, and then renamed over the target. A crash or an
 * exception leaves the target untouched; on an exception the temporary file or folder is deleted too.
 *
 * <p>Temporary names start with the target's name, so a leftover from a killed process is easy to
 * recognise: {@code .NAME.tmp-<pid>-<random>} for files, {@code NAME.tmp-<pid>-<random>} for folders;
 * the next write of the same target deletes those whose process is gone. A name too long to take the
 * suffixes within the file system's 255 bytes is shortened in them to its start and a hash
 * ({@link #stem}), so every legal output name can be written.
 */
public final class AtomicOutput {
    private static final int BUFFER_BYTES = 1 << 16;

    private AtomicOutput() {
    }

    /** What fills a file or a folder. It may throw our user errors as well as I/O errors. */
    @FunctionalInterface
    public interface IoConsumer<T> {
        void accept(T t) throws IOException, L2cException;
    }

    /**
     * Writes {@code target} through {@code writer}: into a temp file beside it, fsync, then an atomic
     * rename over {@code target} (replacing an existing file). The stream handed to the writer is
     * buffered; closing it is allowed and harmless. On any failure the temp file is deleted and
     * nothing at {@code target} changes.
     *
     * <p>A user error other than an OutputException thrown by the writer is reported as an
     * OutputException about {@code target} with the original as its cause, since this method can only
     * declare one kind.
     */
    public static void writeFile(Path target, IoConsumer<OutputStream> writer) throws OutputException {
        Path parent = checkParentWritable(target);
        if (Files.isDirectory(target)) {
            throw new OutputException(target, "cannot write: it is a folder; choose a file name");
        }
        refuseSpecialFile(target);
        Path temp = createUniqueFile(target, parent);
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(
                        new UnclosableStream(Channels.newOutputStream(channel)), BUFFER_BYTES);
                writer.accept(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } catch (IOException e) {
            throw new OutputException(target, "cannot write: " + describe(e), e);
        } catch (OutputException e) {
            throw e;
        } catch (L2cException e) {
            throw new OutputException(target, "cannot write: " + e.getMessage(), e);
        } finally {
            if (!moved) {
                deleteQuietly(temp);
            }
        }
        syncFolder(parent);
    }

    /**
     * A file being written in pieces over a longer run (the samples of many batches): a temporary file
     * beside {@code target} that {@link #commit()} flushes, syncs and renames over it, and that
     * {@link #close()} deletes unless it was committed. Use with try-with-resources, so that a failure
     * or a stop between the pieces leaves nothing behind.
     */
    public static final class PendingFile implements AutoCloseable {
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final OutputStream out;
        private boolean committed;

        private PendingFile(Path target, Path temp, FileChannel channel) {
            this.target = target;
            this.temp = temp;
            this.channel = channel;
            this.out = new BufferedOutputStream(new UnclosableStream(Channels.newOutputStream(channel)), BUFFER_BYTES);
        }

        /** The stream to write the content to; buffered; closing it is harmless. */
        public OutputStream stream() {
            return out;
        }

        public Path target() {
            return target;
        }

        /** Makes the content the target's, atomically. */
        public void commit() throws OutputException {
            try {
                out.flush();
                channel.force(true);
                channel.close();
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                committed = true;
            } catch (IOException e) {
                throw new OutputException(target, "cannot write: " + describe(e), e);
            }
            syncFolder(target.toAbsolutePath().getParent());
        }

        /** Deletes the temporary file unless the content was committed. */
        @Override
        public void close() {
            if (!committed) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // deleting it is what matters
                }
                deleteQuietly(temp);
            }
        }
    }

    /** Starts writing {@code target} in pieces; see {@link PendingFile}. */
    public static PendingFile pending(Path target) throws OutputException {
        Path parent = checkParentWritable(target);
        if (Files.isDirectory(target)) {
            throw new OutputException(target, "cannot write: it is a folder; choose a file name");
        }
        refuseSpecialFile(target);
        Path temp = createUniqueFile(target, parent);
        try {
            return new PendingFile(target, temp, FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING));
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new OutputException(target, "cannot write: " + describe(e), e);
        }
    }

    /**
     * Creates the folder {@code target}: a temp folder {@code target.tmp-<random>} beside it is filled by
     * {@code filler} and then renamed to {@code target}. If {@code target} exists this refuses with an
     * OutputException unless {@code replace} is true; then the old folder is renamed away, the new one
     * renamed in, and the old one deleted. Between those two renames {@code target} is briefly absent,
     * but it is never visible half-filled. On failure the temp folder is deleted and the old
     * {@code target}, if any, is left in place. Exceptions from {@code filler} are rethrown as they are
     * (I/O errors as OutputException about {@code target}).
     */
    public static void writeFolder(Path target, boolean replace, IoConsumer<Path> filler)
            throws OutputException, L2cException {
        writeFolder(target, replace, Replaceable.ANY, filler);
    }

    /**
     * What an existing folder must be for a replacing write to delete it: an output replaces only what
     * is ours to replace. {@code marker}: a file whose presence makes the folder one of ours (the
     * package manifest, a built model's card), or null to accept any folder; an empty folder is always
     * replaceable. {@code inputs}: files the command reads, which the replaced folder must not hold
     * (compiling {@code mdir/model.onnx -o mdir --force} would otherwise delete its own input).
     */
    public record Replaceable(String marker, String what, java.util.List<Path> inputs) {
        public static final Replaceable ANY = new Replaceable(null, "folder", java.util.List.of());

        public Replaceable {
            inputs = java.util.List.copyOf(inputs);
        }

        void check(Path target) throws OutputException {
            Path real;
            try {
                real = target.toRealPath();
            } catch (IOException e) {
                throw new OutputException(target, "cannot replace it: " + describe(e), e);
            }
            for (Path input : inputs) {
                try {
                    if (Files.exists(input) && input.toRealPath().startsWith(real)) {
                        throw new OutputException(target, "will not replace it: it holds " + input
                                + ", an input of this command; choose another output folder");
                    }
                } catch (IOException e) {
                    // an input that cannot be resolved is not inside the target
                }
            }
            if (marker == null) {
                return;
            }
            boolean empty;
            try (var children = Files.list(target)) {
                empty = children.findAny().isEmpty();
            } catch (IOException e) {
                throw new OutputException(target, "cannot replace it: " + describe(e), e);
            }
            if (!empty && !Files.isRegularFile(target.resolve(marker), LinkOption.NOFOLLOW_LINKS)) {
                throw new OutputException(target, "will not replace it: it is not " + what + " (no " + marker
                        + ") and not empty; --force replaces only " + what + "s; remove it yourself or choose"
                        + " another output folder");
            }
        }
    }

    /** As {@link #writeFolder(Path, boolean, IoConsumer)}, replacing only a folder {@code replaceable} accepts. */
    public static void writeFolder(Path target, boolean replace, Replaceable replaceable, IoConsumer<Path> filler)
            throws OutputException, L2cException {
        Path parent = checkParentWritable(target);
        try (FolderLock lock = FolderLock.take(target)) {
            removeStaleTemporaryFolders(target);
            boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
            if (exists && !replace) {
                throw new OutputException(target, "cannot write: it already exists; remove it, choose another "
                        + "output folder, or ask for it to be replaced");
            }
            if (exists && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new OutputException(target, "cannot write: it exists and is not a folder; remove it first");
            }
            if (exists) {
                replaceable.check(target);
            }
            Path temp = createUniqueFolder(target, "tmp-" + ProcessHandle.current().pid());
            boolean filled = false;
            try {
                filler.accept(temp);
                filled = true;
            } catch (IOException e) {
                throw new OutputException(target, "cannot write: " + describe(e), e);
            } finally {
                if (!filled) {
                    deleteTreeQuietly(temp);
                }
            }
            if (Cancellation.requested()) {
                // filled, but the command is being stopped: the new folder is not published
                deleteTreeQuietly(temp);
                throw Cancellation.interrupted();
            }
            syncFolder(temp);
            if (!exists) {
                moveInto(temp, target);
            } else {
                swapIn(temp, target);
            }
            syncFolder(parent);
        }
    }

    /**
     * Deletes the temporary folders {@code NAME.tmp-<pid>-…} of {@code target} whose writing process is
     * gone (killed with SIGKILL, or by the machine going down): nothing else would ever remove them. A
     * folder whose process still runs is another writer's and is left alone.
     */
    static void removeStaleTemporaryFolders(Path target) {
        removeStale(target, stem(target) + ".tmp-", true);
    }

    /** Deletes the siblings of {@code target} named {@code prefix<pid>-…} (folders or regular files) whose process is gone. */
    private static void removeStale(Path target, String prefix, boolean folders) {
        Path absolute = target.toAbsolutePath();
        try (var siblings = Files.list(absolute.getParent())) {
            for (Path p : siblings.toList()) {
                String name = p.getFileName().toString();
                boolean kind = folders ? Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
                if (!name.startsWith(prefix) || !kind) {
                    continue;
                }
                String rest = name.substring(prefix.length());
                int dash = rest.indexOf('-');
                if (dash <= 0) {
                    continue;
                }
                try {
                    long pid = Long.parseLong(rest.substring(0, dash));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        deleteTreeQuietly(p);
                    }
                } catch (NumberFormatException e) {
                    // not one of ours
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    /**
     * An exclusive lock on writing {@code target}, held through a hidden lock file beside it: two
     * commands writing the same package would otherwise race between their renames.
     */
    private static final class FolderLock implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final java.nio.channels.FileLock lock;

        private FolderLock(Path file, FileChannel channel, java.nio.channels.FileLock lock) {
            this.file = file;
            this.channel = channel;
            this.lock = lock;
        }

        static FolderLock take(Path target) throws OutputException {
            Path absolute = target.toAbsolutePath();
            Path file = absolute.resolveSibling("." + stem(absolute) + ".lock");
            try {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                java.nio.channels.FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (java.nio.channels.OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    ch.close();
                    throw new OutputException(target, "cannot write: another l2c command is writing it right now; wait "
                            + "for it to finish or choose another output");
                }
                return new FolderLock(file, ch, lock);
            } catch (IOException e) {
                throw new OutputException(target, "cannot write: cannot lock " + file + ": " + describe(e), e);
            }
        }

        @Override
        public void close() {
            try {
                Files.deleteIfExists(file); // removed while still held: a later writer locks a fresh file
                lock.release();
                channel.close();
            } catch (IOException e) {
                // the lock goes with the process anyway
            }
        }
    }

    private static void moveInto(Path temp, Path target) throws OutputException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTreeQuietly(temp);
            throw new OutputException(target, "cannot write: renaming the finished folder " + temp.getFileName()
                    + " into place failed: " + describe(e), e);
        }
    }

    private static void swapIn(Path temp, Path target) throws OutputException {
        Path old = uniqueSibling(target, "old");
        try {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTreeQuietly(temp);
            throw new OutputException(target, "cannot replace it: renaming the existing folder away failed: "
                    + describe(e), e);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            String restore = "";
            try {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException again) {
                restore = "; the previous content is now at " + old + ", rename it back by hand";
                e.addSuppressed(again);
            }
            deleteTreeQuietly(temp);
            throw new OutputException(target, "cannot replace it: renaming the new folder in failed: "
                    + describe(e) + restore, e);
        }
        // The new content is in place; a leftover old copy is untidy but not an error worth failing for.
        deleteTreeQuietly(old);
    }

    /**
     * Outputs are renamed into place, which would replace a device, a pipe or a socket given as the
     * output (as root, {@code -o /dev/null} would replace /dev/null with a regular file): refused.
     */
    static void refuseSpecialFile(Path target) throws OutputException {
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            throw new OutputException(target, "will not write: it is a device, pipe or socket, not a regular file;"
                    + " l2c writes its outputs to regular files only");
        }
    }

    /**
     * Checks that {@code target}'s folder exists, is a folder, and is writable, and returns it; the
     * messages say which of those failed, which a later IOException from deep inside the write would not.
     */
    static Path checkParentWritable(Path target) throws OutputException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        if (parent == null || absolute.getFileName() == null) {
            throw new OutputException(target, "cannot write: not a file or folder name");
        }
        if (!Files.exists(parent)) {
            throw new OutputException(target, "cannot write: folder " + parent + " does not exist; create it first");
        }
        if (!Files.isDirectory(parent)) {
            throw new OutputException(target, "cannot write: " + parent + " is not a folder");
        }
        if (!Files.isWritable(parent)) {
            throw new OutputException(target, "cannot write: folder " + parent
                    + " is not writable; check its permissions or choose another location");
        }
        return parent;
    }

    /**
     * Creates the temporary file with the permissions a plain new file gets (the umask's), not the
     * owner-only ones of {@code Files.createTempFile}: after the rename it is the user's output.
     */
    private static Path createUniqueFile(Path target, Path parent) throws OutputException {
        removeStaleTemporaryFiles(target);
        for (int attempt = 0; ; attempt++) {
            String random = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
            Path candidate = parent.resolve("." + stem(target) + ".tmp-" + ProcessHandle.current().pid() + "-" + random);
            try {
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw new OutputException(target, "cannot write: cannot find a free temporary file name beside it", e);
                }
            } catch (IOException e) {
                throw new OutputException(target, "cannot write: cannot create a temporary file in " + parent
                        + ": " + describe(e), e);
            }
        }
    }

    private static Path createUniqueFolder(Path target, String tag) throws OutputException {
        for (int attempt = 0; ; attempt++) {
            Path candidate = uniqueSibling(target, tag);
            try {
                return Files.createDirectory(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw new OutputException(target, "cannot write: cannot find a free temporary folder name beside it", e);
                }
            } catch (IOException e) {
                throw new OutputException(target, "cannot write: cannot create the temporary folder " + candidate
                        + ": " + describe(e), e);
            }
        }
    }

    private static Path uniqueSibling(Path target, String tag) {
        Path absolute = target.toAbsolutePath();
        String random = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        return absolute.resolveSibling(stem(absolute) + "." + tag + "-" + random);
    }

    /** Longest name (UTF-8 bytes) used as it is in temporary and lock names: leaves room for their suffixes. */
    static final int STEM_MAX_BYTES = 200;

    /**
     * The part of {@code target}'s name that its temporary, lock and old-copy names start with: the name
     * itself, or, for a name longer than {@link #STEM_MAX_BYTES} bytes, its first characters, '~' and 16
     * hex digits of its SHA-256 (a 250-character name plus ".tmp-PID-random" would pass the 255-byte limit
     * that Linux file systems put on one name).
     */
    static String stem(Path target) {
        String name = target.toAbsolutePath().getFileName().toString();
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= STEM_MAX_BYTES) {
            return name;
        }
        // the longest run of whole characters within 100 bytes, then the hash that keeps names apart
        StringBuilder head = new StringBuilder();
        name.codePoints().takeWhile(cp -> (head + Character.toString(cp)).getBytes(StandardCharsets.UTF_8).length <= 100)
                .forEach(head::appendCodePoint);
        return head + "~" + Sha256.of(utf8).substring(0, 16);
    }

    /**
     * Deletes the hidden temporary files {@code .NAME.tmp-<pid>-…} of {@code target} whose process is gone
     * (a run killed with SIGKILL while streaming its .npy): nothing else would ever remove them.
     */
    static void removeStaleTemporaryFiles(Path target) {
        removeStale(target, "." + stem(target) + ".tmp-", false);
    }

    /** A short reason for an I/O error: the JDK's messages for these are often only the path. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return "no such file or folder: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof FileAlreadyExistsException f) {
            return "already exists: " + f.getFile();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** Makes a rename durable. Some platforms cannot open a folder for syncing; that is not an error. */
    private static void syncFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            // best effort only
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // best effort: the temp name makes a leftover recognisable
        }
    }

    /** Deletes a folder tree without following symbolic links out of it. */
    public static void deleteTreeQuietly(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort: the temp name makes a leftover recognisable
        }
    }

    /** Lets a writer close "its" stream without closing the channel we still need to fsync. */
    private static final class UnclosableStream extends FilterOutputStream {
        UnclosableStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
