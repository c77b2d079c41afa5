package dev.l2c.error;

import java.nio.file.Path;

/** An output that cannot be written: unwritable folder, full disk, an existing file in the way. */
public final class OutputException extends L2cException {
    public OutputException(Path file, String message) {
        super(file, message, null);
    }

    public OutputException(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }

    @Override
    public int exitCode() {
        return 6;
    }
}
