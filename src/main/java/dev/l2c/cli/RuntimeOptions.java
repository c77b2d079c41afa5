package dev.l2c.cli;

import dev.l2c.error.UsageException;
import dev.l2c.runtime.MemoryPolicy;
import dev.l2c.runtime.OrtRuntime;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The command-line words of how graphs run: provider, threads, memory policy, optimized-model cache.
 * Shared by `sample` and `bench`; parsed by {@link OrtRuntime.Options#parse}, the one parser (the
 * Spark job parses the same words with it on each executor).
 */
final class RuntimeOptions {
    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "cpu|cuda", description = OrtRuntime.Options.PROVIDER_HELP)
    String provider;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--memory", defaultValue = "auto", paramLabel = "POLICY", description = MemoryPolicy.HELP)
    String memory;

    @Option(names = "--ort-cache", defaultValue = "auto", paramLabel = "DIR|auto|off", description = OrtRuntime.Options.ORT_CACHE_HELP)
    String ortCache;

    OrtRuntime.Options toOptions() throws UsageException {
        return OrtRuntime.Options.parse(provider, threads.threads(), memory, ortCache);
    }
}
