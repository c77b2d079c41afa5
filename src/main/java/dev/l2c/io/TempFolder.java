package dev.l2c.io;

import dev.l2c.error.OutputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A temporary working folder (for packages compiled on the fly), deleted with everything in it on close. */
public final class TempFolder implements AutoCloseable {
    private final Path path;

    private TempFolder(Path path) {
        this.path = path;
    }

    public static TempFolder create(String prefix) throws OutputException {
        try {
            return new TempFolder(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new OutputException(null, "cannot create a temporary folder: " + e.getMessage());
        }
    }

    public Path path() {
        return path;
    }

    public Path resolve(String name) {
        return path.resolve(name);
    }

    /** Deletes the folder and its content; what cannot be deleted is left (it is only temporary). */
    @Override
    public void close() {
        AtomicOutput.deleteTreeQuietly(path);
    }
}
