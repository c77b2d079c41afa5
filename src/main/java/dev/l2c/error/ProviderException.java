package dev.l2c.error;

import java.nio.file.Path;

/** An execution provider that cannot run here (CUDA libraries missing), or ONNX Runtime refusing a graph. */
public final class ProviderException extends L2cException {
    public ProviderException(Path file, String message) {
        super(file, message, null);
    }

    public ProviderException(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }

    @Override
    public int exitCode() {
        return 7;
    }
}
