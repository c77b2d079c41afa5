package dev.l2c.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(captured, true, StandardCharsets.UTF_8);

    private String output() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void disabledPrintsNothingEvenOnATerminal() {
        try (Progress progress = Progress.start("sampling", 3, false, true, "1", err)) {
            assertTrue(progress.isQuiet());
            progress.step(1_000_000);
        }
        assertEquals("", output());
    }

    @Test
    void withoutATerminalItIsQuietUnlessForced() {
        for (String env : new String[] {null, "", "0", "yes"}) {
            try (Progress progress = Progress.start("sampling", 3, true, false, env, err)) {
                assertTrue(progress.isQuiet(), "L2C_PROGRESS=" + env);
                progress.step(1_000_000);
            }
        }
        assertEquals("", output());
    }

    @Test
    void forcedBarShowsCountsAndTheLastStepTime() {
        Progress progress = Progress.start("sampling", 3, true, false, "1", err);
        assertFalse(progress.isQuiet());
        progress.step(12_300_000);
        progress.step(12_300_000);
        progress.step(45_600_000);
        progress.close();
        progress.close();
        progress.step(1); // ignored after close
        String text = output();
        assertEquals(1, text.split(System.lineSeparator(), -1).length - 1, "exactly one line: " + text);
        assertTrue(text.contains("sampling"), text);
        assertTrue(text.contains("3/3"), text);
        assertTrue(text.contains("last 45.6 ms"), text);
        assertTrue(text.endsWith(System.lineSeparator()), "close ends the line: " + text);
        assertFalse(text.contains("\u001b["), "no colour codes without a terminal: " + text);
    }

    @Test
    void manyStepsAreCheap() {
        // Not a benchmark: a guard against per-step formatting or printing creeping in.
        long start = System.nanoTime();
        try (Progress progress = Progress.start("sampling", 2_000_000, true, false, "1", err)) {
            for (int i = 0; i < 2_000_000; i++) {
                progress.step(1000);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 2, "2 million steps took " + seconds + " s");
        assertTrue(output().contains("2000000/2000000"), output());
    }
}
