package dev.l2c.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared reference material (demo models, reference trajectories, published routers)
 * that lives outside the repository, in {@code ../shared} next to the checkout. Tests that need it
 * call {@link #require(String)}, which skips the test with a message when it is absent.
 *
 * <p>Override the location with {@code -Dl2c.shared=DIR} or the environment variable L2C_SHARED.
 */
public final class SharedData {
    private SharedData() {
    }

    /** The shared folder, or null when none is found. */
    public static Path dir() {
        String prop = System.getProperty("l2c.shared", System.getenv("L2C_SHARED"));
        if (prop != null && !prop.isBlank()) {
            return Files.isDirectory(Path.of(prop)) ? Path.of(prop) : null;
        }
        Path sibling = Path.of("").toAbsolutePath().resolve("../shared").normalize();
        return Files.isDirectory(sibling) ? sibling : null;
    }

    /** The file {@code relative} under the shared folder; skips the calling test when it is missing. */
    public static Path require(String relative) {
        Path d = dir();
        Skip.unless(d != null, "../shared is absent (set -Dl2c.shared=DIR to point at it)");
        Path f = d.resolve(relative);
        Skip.unless(Files.exists(f), f + " is absent");
        return f;
    }
}
