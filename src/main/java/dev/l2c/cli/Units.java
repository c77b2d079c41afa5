package dev.l2c.cli;

import java.util.Locale;

/** Human-readable numbers for terminal output. */
final class Units {
    private Units() {
    }

    static String macs(long macs) {
        if (macs >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2fG", macs / 1e9);
        }
        if (macs >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.2fM", macs / 1e6);
        }
        return Long.toString(macs);
    }

    static String bytes(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
        }
        if (bytes >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + " B";
    }

    static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
