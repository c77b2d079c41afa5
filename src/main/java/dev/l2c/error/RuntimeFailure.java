package dev.l2c.error;

import java.nio.file.Path;

/**
 * ONNX Runtime failed for a reason none of the other kinds describes. Exit status 1 like an internal
 * error, but reported in one line (the stack trace with --verbose): the cause may be the runtime's,
 * the model's or the machine's, not necessarily ours.
 */
public final class RuntimeFailure extends L2cException {
    public RuntimeFailure(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }

    @Override
    public int exitCode() {
        return 1;
    }
}
