package dev.l2c.error;

import java.nio.file.Path;

/**
 * A problem the user can act on: a bad file, an unsupported model, a schedule that does not fit, an
 * output that cannot be written. The message is one line that names the file and the problem; the
 * CLI prints it and exits with {@link #exitCode()}. Broken internal invariants are not
 * L2cExceptions: they are IllegalStateExceptions and show a stack trace.
 */
public abstract class L2cException extends Exception {
    private final transient Path file;

    protected L2cException(Path file, String message, Throwable cause) {
        super(oneLine(file == null ? message : file + ": " + message), cause);
        this.file = file;
    }

    /**
     * The message with control characters written as escapes: messages quote names and values taken
     * from the user's files, and a field name holding a newline (found by ParserFuzzTest) must not
     * break the promised single line or forge a second one on the terminal.
     */
    public static String oneLine(String message) {
        if (message == null || message.chars().noneMatch(Character::isISOControl)) {
            return message;
        }
        StringBuilder b = new StringBuilder(message.length() + 8);
        message.chars().forEach(c -> {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        b.append(String.format("\\u%04x", c));
                    } else {
                        b.append((char) c);
                    }
                }
            }
        });
        return b.toString();
    }

    /** The file the problem is about, or null. */
    public Path file() {
        return file;
    }

    /** Process exit status for this kind of problem (never 0 or 1; 1 is an internal error). */
    public abstract int exitCode();
}
