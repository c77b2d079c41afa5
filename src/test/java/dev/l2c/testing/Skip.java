package dev.l2c.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * Skipping a test whose material is absent, saying why on the console too: surefire records an
 * assumption's message only in its report files, so a skip would otherwise go unexplained in the log.
 */
public final class Skip {
    private Skip() {
    }

    /** Skips the calling test with {@code why} unless {@code condition} holds. */
    public static void unless(boolean condition, String why) {
        if (!condition) {
            System.out.println("SKIPPED: " + why);
        }
        Assumptions.assumeTrue(condition, "skipped: " + why);
    }
}
