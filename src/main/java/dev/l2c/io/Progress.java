package dev.l2c.io;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A progress bar on stderr for a known number of units (model evaluations): done/total, the elapsed
 * time, an estimate of the time left, and the last step's duration in milliseconds. It stays silent
 * (prints nothing at all) when disabled, or when stderr is not a terminal, so that logs and pipes stay
 * clean; the environment variable {@code L2C_PROGRESS=1} forces it on without a terminal (then in
 * plain ASCII).
 *
 * <p>Cost per {@link #step}: an atomic increment inside the progress bar, and at most every
 * {@value #MESSAGE_INTERVAL_MS} ms one short string for the step time. The bar itself is redrawn by the
 * progress bar library's own timer thread, not by the caller. In quiet mode {@link #step} does nothing.
 *
 * <p>Not meant to be shared between threads that step concurrently: the step-time message would then
 * show any one of their steps, which is harmless but not meaningful.
 */
public final class Progress implements AutoCloseable {
    /** Environment variable that forces the bar on when stderr is not a terminal. */
    public static final String FORCE_ENV = "L2C_PROGRESS";
    static final int MESSAGE_INTERVAL_MS = 200;
    private static final int REFRESH_MS = 200;
    /** Width when there is no terminal to ask, or when asking would mean loading a terminal library. */
    private static final int DEFAULT_WIDTH = 80;

    private final ProgressBar bar;
    private final LineConsumer line;
    private long lastMessageNanos;
    private boolean closed;

    private Progress(ProgressBar bar, LineConsumer line) {
        this.bar = bar;
        this.line = line;
    }

    /**
     * Starts a bar for {@code total} units named {@code task}, or a silent one: silent when
     * {@code enabled} is false, or when stderr is not a terminal and {@code L2C_PROGRESS} is not "1".
     */
    public static Progress start(String task, long total, boolean enabled) {
        return start(task, total, enabled, stderrIsTerminal(), System.getenv(FORCE_ENV), System.err);
    }

    /** {@link #start(String, long, boolean)} with the environment made explicit, for tests. */
    static Progress start(String task, long total, boolean enabled, boolean terminal, String forceEnv,
                          PrintStream out) {
        boolean forced = "1".equals(forceEnv);
        if (!enabled || !(terminal || forced)) {
            return new Progress(null, null);
        }
        // An explicit width keeps the library from probing the terminal through JLine, which logs
        // warnings when stdout is redirected.
        LineConsumer line = new LineConsumer(out, terminalWidth());
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUpdateIntervalMillis(REFRESH_MS)
                // Without a terminal (forced on), colours and block characters would only clutter a log.
                .setStyle(terminal ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.ASCII)
                .setConsumer(line)
                .build();
        return new Progress(bar, line);
    }

    /** True when this prints nothing. */
    public boolean isQuiet() {
        return bar == null;
    }

    /** Counts one unit done that took {@code stepNanos}. */
    public void step(long stepNanos) {
        if (bar == null || closed) {
            return;
        }
        bar.step();
        long now = System.nanoTime();
        if (now - lastMessageNanos >= MESSAGE_INTERVAL_MS * 1_000_000L || bar.getCurrent() >= bar.getMax()) {
            lastMessageNanos = now;
            bar.setExtraMessage(String.format(Locale.ROOT, "last %.1f ms", stepNanos / 1e6));
        }
    }

    /** Counts {@code units} done at once that took {@code nanos} together (a whole run inside one call). */
    public void advance(long units, long nanos) {
        if (bar == null || closed) {
            return;
        }
        bar.stepBy(units);
        lastMessageNanos = System.nanoTime();
        bar.setExtraMessage(String.format(Locale.ROOT, "last %.1f ms per evaluation", nanos / 1e6 / Math.max(1, units)));
    }

    /** Draws the final state and ends the line; silent bars do nothing. Safe to call twice. */
    @Override
    public void close() {
        if (bar != null && !closed) {
            closed = true;
            bar.close();
            line.close();
        }
    }

    /**
     * The library's console output, made to end its line reliably: progressbar 0.10.1 skips closing its
     * consumer when the bar is closed before its timer's first tick (a run shorter than a refresh),
     * which would leave the next stderr message on the bar's line.
     */
    private static final class LineConsumer extends ConsoleProgressBarConsumer {
        private volatile boolean closed;

        LineConsumer(PrintStream out, int width) {
            super(out, width);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                super.close();
            }
        }
    }

    /**
     * Whether stderr is a terminal. Java's {@code System.console()} only looks at stdin and stdout, so
     * on Linux ask where file descriptor 2 points; elsewhere fall back to the console check.
     */
    static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.exists(fd2)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // fall through to the portable check
        }
        return System.console() != null;
    }

    private static int terminalWidth() {
        String columns = System.getenv("COLUMNS");
        if (columns != null) {
            try {
                int width = Integer.parseInt(columns.trim());
                if (width >= 40) {
                    return width - 1; // the last column would wrap on some terminals
                }
            } catch (NumberFormatException e) {
                // ignore a malformed value
            }
        }
        return DEFAULT_WIDTH;
    }
}
