package dev.l2c.spark;

import dev.l2c.error.OutputException;
import dev.l2c.io.AtomicOutput;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A folder of one PNG per image, {@code ID.png}, on a filesystem every executor writes to (a local
 * folder in local mode, a shared one on a cluster). Each file is written under a temporary name and
 * renamed into place, so a reader never sees half a file; a retried or speculative task rewrites the
 * same bytes under the same name (the images are deterministic), so retries leave neither duplicates nor
 * damage.
 */
record PngFolder(String folder) implements Serializable {

    void write(long id, byte[] png) throws OutputException {
        Path dir = Path.of(folder);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OutputException(dir, "cannot create the PNG folder: " + e.getMessage());
        }
        AtomicOutput.writeFile(dir.resolve(id + ".png"), out -> out.write(png));
    }
}
