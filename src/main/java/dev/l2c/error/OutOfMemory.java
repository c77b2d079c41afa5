package dev.l2c.error;

import java.nio.file.Path;

/** The machine ran out of memory for the work asked for: a smaller --batch (or model) fits. */
public final class OutOfMemory extends L2cException {
    public OutOfMemory(Path file, String message) {
        super(file, message, null);
    }

    @Override
    public int exitCode() {
        return 8;
    }
}
