package dev.l2c.error;

import java.nio.file.Path;

/**
 * A value that must be a finite number is NaN or infinite: an input (noise, guidance scale, a card
 * field) or what the model computed at some step (damaged weights, a model that diverges). Nothing is
 * written. Exit status 5, as for inputs that do not fit.
 */
public final class NonFiniteException extends L2cException {
    public NonFiniteException(Path file, String message) {
        super(file, message, null);
    }

    @Override
    public int exitCode() {
        return 5;
    }
}
