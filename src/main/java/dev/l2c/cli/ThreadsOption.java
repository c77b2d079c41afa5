package dev.l2c.cli;

import dev.l2c.error.UsageException;
import picocli.CommandLine.Option;

/** ONNX Runtime's intra-op threads. Part of {@link RuntimeOptions}; alone in `learn`, which always runs on the CPU. */
final class ThreadsOption {
    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Intra-op threads (0: one per core).")
    int threads;

    int threads() throws UsageException {
        if (threads < 0) {
            throw new UsageException("--threads must be 0 (one per core) or positive");
        }
        return threads;
    }
}
