package dev.l2c.io;

import dev.l2c.error.L2cException;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks shared by the tests: a user error is one line that names its file and says what is wrong. */
final class UserErrors {
    private UserErrors() {
    }

    /** Asserts that {@code e} is about {@code file}, fits on one line, and contains every {@code phrase}. */
    static void assertNamesFile(L2cException e, Path file, String... phrases) {
        String message = e.getMessage();
        assertEquals(file, e.file(), () -> "wrong file in: " + message);
        assertTrue(message.startsWith(file + ": "), () -> "message does not start with the file: " + message);
        assertFalse(message.contains("\n"), () -> "message is not one line: " + message);
        for (String phrase : phrases) {
            assertTrue(message.contains(phrase), () -> "expected '" + phrase + "' in: " + message);
        }
    }
}
