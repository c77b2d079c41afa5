package dev.l2c.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process, from Linux's /proc (-1 elsewhere). */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** Peak resident set size (VmHWM) in bytes. */
    public static long peakRssBytes() {
        return statusField("VmHWM:");
    }

    /** Resident anonymous memory (heap, arenas, private copies) in bytes. */
    public static long anonymousRssBytes() {
        return statusField("RssAnon:");
    }

    /** Resident file-backed memory (mapped weights, libraries) in bytes. */
    public static long fileRssBytes() {
        return statusField("RssFile:");
    }

    /** Current resident set size (VmRSS) in bytes. */
    public static long rssBytes() {
        return statusField("VmRSS:");
    }

    /**
     * Resets the peak resident set size to the current one (Linux: "5" into /proc/self/clear_refs), so a
     * later {@link #peakRssBytes()} tells the peak of what ran since. False where that is not possible.
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long statusField(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
