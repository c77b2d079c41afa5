package dev.l2c.error;

import java.nio.file.Path;

/** A well-formed model the compiler cannot handle: no recognisable transformer, an unsupported operator or feature. */
public final class UnsupportedModelException extends L2cException {
    public UnsupportedModelException(Path file, String message) {
        super(file, message, null);
    }

    public UnsupportedModelException(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }

    @Override
    public int exitCode() {
        return 4;
    }
}
