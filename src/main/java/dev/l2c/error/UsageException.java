package dev.l2c.error;

/** A command-line option with a bad value or a bad combination of options. */
public final class UsageException extends L2cException {
    public UsageException(String message) {
        super(null, message, null);
    }

    @Override
    public int exitCode() {
        return 2;
    }
}
