package dev.l2c.cli;

import dev.l2c.error.UsageException;
import picocli.CommandLine.Option;

/** ONNX Runtime's intra-op threads. Part of {@link RuntimeOptions}; alone in `learn`, which always runs on the CPU. */
final class ThreadsOption {
    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Intra-op threads (0: one per core).")
    int threads;

    /** The most intra-op threads accepted: far above any machine's cores, far below what hangs ONNX Runtime. */
    static final int MAX_THREADS = 1024;

    int threads() throws UsageException {
        if (threads < 0) {
            throw new UsageException("--threads must be 0 (one per core) or positive");
        }
        if (threads > MAX_THREADS) {
            throw new UsageException("--threads " + threads + " is more than " + MAX_THREADS + " (ONNX Runtime starts"
                    + " every thread up front; thousands hang the process); this machine has "
                    + Runtime.getRuntime().availableProcessors() + " cores");
        }
        return threads;
    }
}
