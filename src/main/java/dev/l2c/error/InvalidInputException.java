package dev.l2c.error;

import java.nio.file.Path;

/** A file that is missing, unreadable, truncated, not the format it should be, or holds values out of range. */
public final class InvalidInputException extends L2cException {
    public InvalidInputException(Path file, String message) {
        super(file, message, null);
    }

    public InvalidInputException(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }

    @Override
    public int exitCode() {
        return 3;
    }
}
