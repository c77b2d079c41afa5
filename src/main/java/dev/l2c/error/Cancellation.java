package dev.l2c.error;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Stopping a command cleanly on SIGINT or SIGTERM. Without this, the JVM's default handling runs its
 * shutdown while ONNX Runtime is inside a native run on the main thread, which crashes the process
 * (SIGSEGV in libonnxruntime, exit 134, an hs_err file). Here the signal only sets a flag and tells
 * the listeners (the runtime sets ONNX Runtime's terminate flag, so a running session returns); the
 * command notices at its next {@link #check()} or at the failed run, unwinds with {@link Interrupted}
 * (closing sessions, deleting temporary files through its try-with-resources and finally blocks) and
 * exits with 130 or 143. A second signal, or a command that has not stopped after
 * {@value #GRACE_SECONDS} s, ends the process at once.
 */
public final class Cancellation {
    static final int GRACE_SECONDS = 30;
    private static final List<Runnable> LISTENERS = new CopyOnWriteArrayList<>();
    private static volatile String signal;
    private static volatile int code;

    private Cancellation() {
    }

    /** Takes over SIGINT and SIGTERM for this process (the CLI does, once, at start). */
    @SuppressWarnings("sunapi")
    public static void installSignalHandlers() {
        for (String name : List.of("INT", "TERM")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> request(name, 128 + s.getNumber()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // this platform does not let us handle the signal: the JVM's default applies
            }
        }
    }

    /** Asks the running command to stop, as the signal {@code name} (exit code {@code exitCode}) does. */
    public static synchronized void request(String name, int exitCode) {
        if (signal != null) {
            System.err.println("l2c: second SIG" + name + ", exiting now");
            Runtime.getRuntime().halt(exitCode);
        }
        signal = name;
        code = exitCode;
        for (Runnable r : LISTENERS) {
            r.run();
        }
        Thread watchdog = new Thread(() -> {
            try {
                TimeUnit.SECONDS.sleep(GRACE_SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("l2c: did not stop within " + GRACE_SECONDS + " s of SIG" + name + ", exiting now");
            Runtime.getRuntime().halt(exitCode);
        }, "l2c-stop-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** Whether a stop was asked for. */
    public static boolean requested() {
        return signal != null;
    }

    /** Throws {@link Interrupted} when a stop was asked for; call between units of work. */
    public static void check() throws Interrupted {
        if (signal != null) {
            throw interrupted();
        }
    }

    /**
     * As {@link #check()}, for code that cannot throw checked exceptions (writers called back by a
     * serializer): throws {@link Stop}, which the CLI reports as the {@link Interrupted} it stands for.
     */
    public static void checkUnchecked() {
        if (signal != null) {
            throw new Stop();
        }
    }

    /** The unchecked form of a stop request, thrown by {@link #checkUnchecked()}. */
    public static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop() {
            super("stop requested", null, false, false);
        }
    }

    /** The exception describing the stop that was asked for; only when {@link #requested()}. */
    public static Interrupted interrupted() {
        return new Interrupted(signal, code);
    }

    /** Runs {@code r} when a stop is asked for (at once, if it already was). */
    public static void onRequest(Runnable r) {
        LISTENERS.add(r);
        if (signal != null) {
            r.run();
        }
    }
}
