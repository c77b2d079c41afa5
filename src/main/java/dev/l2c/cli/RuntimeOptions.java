package dev.l2c.cli;

import dev.l2c.error.UsageException;
import dev.l2c.runtime.OrtRuntime;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * How graphs are run: provider, threads, memory policy. Shared by `sample` and `bench`, and by the Spark
 * job ({@code dev.l2c.spark}), whose executors rebuild the options from the same words with {@link #options}.
 */
public final class RuntimeOptions {
    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "cpu|cuda", description = "cpu or cuda (CUDA 12 + cuDNN 9, GPU build).")
    String provider;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--memory", defaultValue = "auto", paramLabel = "POLICY", description = "speed (prepacked weights and a memory arena per "
            + "session), balanced (weights mapped once for all sessions, an arena per session), lean (weights mapped once, "
            + "no arenas: memory does not grow with the number of step graphs), auto (speed for one graph, lean for several).")
    String memory;

    @Option(names = "--ort-cache", defaultValue = "auto", paramLabel = "DIR|auto|off",
            description = "Where linked models keep ONNX Runtime's optimized form (with packed weights) so later "
                    + "runs open them fast: auto ($L2C_CACHE, else $XDG_CACHE_HOME/l2c, else ~/.cache/l2c), a folder, "
                    + "or off.")
    String ortCache;

    OrtRuntime.Options toOptions() throws UsageException {
        return options(provider, threads.threads(), memory, ortCache);
    }

    /**
     * The options that {@code --provider}, {@code --threads}, {@code --memory} and {@code --ort-cache}
     * with these values give; {@code auto} for the cache resolves against this process's environment.
     */
    public static OrtRuntime.Options options(String provider, int threads, String memory, String ortCache)
            throws UsageException {
        if (threads < 0) {
            throw new UsageException("--threads must be 0 (one per core) or positive");
        }
        OrtRuntime.Provider p = switch (provider.toLowerCase(Locale.ROOT)) {
            case "cpu" -> OrtRuntime.Provider.CPU;
            case "cuda" -> OrtRuntime.Provider.CUDA;
            default -> throw new UsageException("--provider must be cpu or cuda, not '" + provider + "'");
        };
        OrtRuntime.Memory m = OrtRuntime.parseMemory(memory);
        if (m == null) {
            throw new UsageException("--memory must be auto, speed, balanced or lean, not '" + memory + "'");
        }
        return new OrtRuntime.Options(p, threads, m, 0, cacheFolder(ortCache));
    }

    /** The folder {@code --ort-cache} names: null for off; an empty or blank value is refused (it would mean the current folder). */
    public static java.nio.file.Path cacheFolder(String ortCache) throws UsageException {
        if (ortCache == null || ortCache.isBlank()) {
            throw new UsageException("--ort-cache must be a folder, auto or off; got an empty value (which would put"
                    + " the cache in the current folder)");
        }
        if (java.nio.file.Files.exists(java.nio.file.Path.of(ortCache))
                && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(ortCache))) {
            throw new UsageException("--ort-cache " + ortCache + " is a file, not a folder");
        }
        return switch (ortCache) {
            case "off" -> null;
            case "auto" -> {
                String l2c = System.getenv("L2C_CACHE");
                String xdg = System.getenv("XDG_CACHE_HOME");
                java.nio.file.Path base = l2c != null && !l2c.isBlank() ? java.nio.file.Path.of(l2c)
                        : xdg != null && !xdg.isBlank() ? java.nio.file.Path.of(xdg, "l2c")
                        : java.nio.file.Path.of(System.getProperty("user.home"), ".cache", "l2c");
                yield base.resolve("ort");
            }
            default -> java.nio.file.Path.of(ortCache);
        };
    }
}
