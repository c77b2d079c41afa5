package dev.l2c.metrics;

import dev.l2c.error.L2cException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small helpers shared by the metrics tests. */
final class MetricsTesting {
    private MetricsTesting() {
    }

    /** Writes {@code n} random 28 × 28 images as a plain (uncompressed) IDX file, as MNIST tools read it. */
    static Path writeRandomIdxImages(Path file, int n, long seed) throws IOException {
        byte[] pixels = new byte[n * 28 * 28];
        new Random(seed).nextBytes(pixels);
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
        b.putInt(0x00000803).putInt(n).putInt(28).putInt(28).put(pixels);
        return Files.write(file, b.array());
    }

    /** Asserts that a user error names {@code file}, fits on one line, and contains every phrase. */
    static void assertNamesFile(L2cException e, Path file, String... phrases) {
        String message = e.getMessage();
        assertEquals(file, e.file(), () -> "wrong file in: " + message);
        assertFalse(message.contains("\n"), () -> "message is not one line: " + message);
        for (String phrase : phrases) {
            assertTrue(message.contains(phrase), () -> "expected '" + phrase + "' in: " + message);
        }
    }
}
