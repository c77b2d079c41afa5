package dev.l2c.error;

/**
 * The command was stopped by a signal (Ctrl-C or SIGTERM): what was running has been told to stop,
 * temporary files are removed, nothing half-written remains. Exit status 128 + the signal's number,
 * as shells report it: 130 for SIGINT, 143 for SIGTERM.
 */
public final class Interrupted extends L2cException {
    private final int code;

    public Interrupted(String signal, int code) {
        super(null, "stopped by SIG" + signal + "; temporary files removed, no output left half-written", null);
        this.code = code;
    }

    @Override
    public int exitCode() {
        return code;
    }
}
