package dev.l2c.error;

import java.nio.file.Path;

/** Two inputs that do not fit each other: a schedule for another model or sampler, a layer map for another graph. */
public final class MismatchException extends L2cException {
    public MismatchException(Path file, String message) {
        super(file, message, null);
    }

    public MismatchException(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }

    @Override
    public int exitCode() {
        return 5;
    }
}
