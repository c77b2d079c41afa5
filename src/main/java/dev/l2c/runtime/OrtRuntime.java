package dev.l2c.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import dev.l2c.error.Cancellation;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;
import dev.l2c.error.UsageException;

import java.nio.file.Path;
import java.util.List;

/**
 * The process-wide ONNX Runtime environment and how sessions are made. One global intra-op thread
 * pool serves every session (sessions are created with per-session threads disabled), so a package
 * with many step graphs does not multiply threads. The environment is created on first use with the
 * first caller's thread count; ONNX Runtime allows only one per process.
 */
public final class OrtRuntime {

    /** Where graphs run. */
    public enum Provider { CPU, CUDA }


    /**
     * @param provider CPU or CUDA
     * @param threads  intra-op threads; 0 = one per core
     * @param memory   memory policy
     * @param deviceId CUDA device
     * @param ortCache where linked models keep ONNX Runtime's optimized form ({@link OptimizedModelCache}),
     *                 or null for no cache
     */
    public record Options(Provider provider, int threads, MemoryPolicy memory, int deviceId, Path ortCache) {
        /** The help text of {@code --provider}. */
        public static final String PROVIDER_HELP = "cpu or cuda (CUDA 12 + cuDNN 9, GPU build).";
        /** The help text of {@code --ort-cache}. */
        public static final String ORT_CACHE_HELP = "Where linked models keep ONNX Runtime's optimized form (with "
                + "packed weights) so later runs open them fast: auto ($L2C_CACHE, else $XDG_CACHE_HOME/l2c, else "
                + "~/.cache/l2c), a folder, or off.";

        /** CPU, one thread per core, memory policy AUTO, no optimized-model cache. */
        public static Options cpu() {
            return new Options(Provider.CPU, 0, MemoryPolicy.AUTO, 0, null);
        }

        /**
         * The options that {@code --provider}, {@code --threads}, {@code --memory} and {@code --ort-cache}
         * with these words give: the one parser of them, used by every command and by the Spark executors;
         * {@code auto} for the cache resolves against this process's environment.
         */
        public static Options parse(String provider, int threads, String memory, String ortCache) throws UsageException {
            if (threads < 0) {
                throw new UsageException("--threads must be 0 (one per core) or positive");
            }
            Provider p = switch (provider.toLowerCase(java.util.Locale.ROOT)) {
                case "cpu" -> Provider.CPU;
                case "cuda" -> Provider.CUDA;
                default -> throw new UsageException("--provider must be cpu or cuda, not '" + provider + "'");
            };
            return new Options(p, threads, MemoryPolicy.parse(memory), 0, OptimizedModelCache.folder(ortCache));
        }

        /** The same options under another memory policy. */
        public Options withMemory(MemoryPolicy policy) {
            return new Options(provider, threads, policy, deviceId, ortCache);
        }

        /** The same options with {@code n} intra-op threads. */
        public Options withThreads(int n) {
            return new Options(provider, n, memory, deviceId, ortCache);
        }

        /** What the memory policy means for {@code graphs} sessions sharing weights, each with {@code arenaBytesPerGraph} of activations. */
        public MemoryPolicy.SessionSetup setup(int graphs, long arenaBytesPerGraph) {
            return memory.setup(graphs, provider, arenaBytesPerGraph);
        }
    }


    private static OrtEnvironment environment;
    private static int environmentThreads;

    private OrtRuntime() {
    }

    /** The shared environment, created with {@code threads} global intra-op threads on first call. */
    public static synchronized OrtEnvironment environment(int threads) throws ProviderException {
        if (environment == null) {
            int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
            try (OrtEnvironment.ThreadingOptions t = new OrtEnvironment.ThreadingOptions()) {
                t.setGlobalIntraOpNumThreads(n);
                t.setGlobalInterOpNumThreads(1);
                // FATAL: ONNX Runtime's own log lines (coloured, on stderr, before our one-line error) stay
                // silent; every failure reaches the user as the exception's message instead
                environment = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "l2c", t);
                environmentThreads = n;
            } catch (OrtException | IllegalStateException e) {
                // an environment made elsewhere in this JVM (tests): share it, with its own threads
                environment = OrtEnvironment.getEnvironment();
                environmentThreads = -1;
            }
        }
        return environment;
    }

    /**
     * Removes the folder ONNX Runtime's Java binding extracted its native libraries into
     * ({@code java.io.tmpdir/onnxruntime-java*}): its own clean-up leaves the folder behind at every
     * start. Call once the process is done with ONNX Runtime (the CUDA build extracts its provider
     * library there when CUDA is first asked for). Does nothing when ONNX Runtime was never loaded.
     */
    public static synchronized void removeNativeStagingFolder() {
        if (environment == null) {
            return;
        }
        try {
            java.lang.reflect.Field f = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
            f.setAccessible(true);
            Object dir = f.get(null);
            if (dir instanceof Path p && p.getFileName().toString().startsWith("onnxruntime-java")) {
                // the libraries it extracted are loaded already: on Linux removing the files is safe
                try (var files = java.nio.file.Files.list(p)) {
                    for (Path lib : files.toList()) {
                        java.nio.file.Files.deleteIfExists(lib);
                    }
                }
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (ReflectiveOperationException | java.io.IOException | RuntimeException e) {
            // another ONNX Runtime version, or the folder is still in use: leave it
        }
    }

    /**
     * What, besides the model and its inputs, decides the bits ONNX Runtime computes: its version, the
     * architecture, and the CPU's model name and feature flags (its kernels are chosen by instruction
     * set). Keys of anything saved from a run's results ({@link OptimizedModelCache}, the benchmark's
     * sample cache) hold it, so another build or another CPU never reuses them.
     */
    public static List<String> platformSignature() {
        return List.of(OrtEnvironment.getEnvironment().getVersion(), System.getProperty("os.arch"), cpuSignature());
    }

    /** The CPU's model name and feature flags (Linux), or the architecture elsewhere. */
    private static String cpuSignature() {
        StringBuilder sb = new StringBuilder();
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") || line.startsWith("flags")) {
                    sb.append(line).append('\n');
                    if (line.startsWith("flags")) {
                        break; // the first processor's entry describes them all
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            sb.append(System.getProperty("os.arch"));
        }
        return sb.toString();
    }

    /** Threads of the global pool, or -1 when the environment was created by someone else. */
    public static synchronized int environmentThreads() {
        return environmentThreads;
    }

    /** Session options for a graph that shares its weights with no other session. */
    public static OrtSession.SessionOptions sessionOptions(Options options) throws ProviderException {
        return sessionOptions(options, options.setup(1, 0));
    }

    /** Session options for a graph run under {@code setup} (what its memory policy means for its package). */
    public static OrtSession.SessionOptions sessionOptions(Options options, MemoryPolicy.SessionSetup setup)
            throws ProviderException {
        environment(options.threads());
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            if (environmentThreads > 0) {
                so.disablePerSessionThreads();
            } else if (options.threads() > 0) {
                so.setIntraOpNumThreads(options.threads());
            }
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            if (!setup.prepacking()) {
                so.addConfigEntry("session.disable_prepacking", "1");
            }
            if (!setup.arena()) {
                so.setCPUArenaAllocator(false);
            }
            // The memory pattern plans one block per input shape on the first run and allocates it on top
            // of the arena chunks the first run already grew; from the second batch on that costs the
            // demo DiT +76 MB of RSS (315 -> 391 MB) for no speed (measured 8.4 s with, 7.9 s without,
            // benchmarks/reliability/README.md). Without it, peak RSS stays flat over any number of batches.
            so.setMemoryPatternOptimization(false);
            if (options.provider() == Provider.CUDA) {
                addCuda(so, options.deviceId());
            }
            return so;
        } catch (OrtException e) {
            so.close();
            throw new ProviderException(null, "cannot configure ONNX Runtime: " + e.getMessage());
        }
    }

    private static void addCuda(OrtSession.SessionOptions so, int deviceId) throws ProviderException {
        try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(deviceId)) {
            so.addCUDA(cuda);
        } catch (OrtException | UnsatisfiedLinkError | IllegalArgumentException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().split("\n")[0];
            throw new ProviderException(null, "the CUDA provider is not available here (" + why + "); it needs the GPU "
                    + "build (mvn -Pgpu package) and CUDA 12 + cuDNN 9 libraries on the library path; use --provider cpu");
        }
    }

    /** Opens a session on a model file (external data resolves beside it). */
    public static OrtSession open(Path model, OrtSession.SessionOptions so) throws L2cException {
        Cancellation.check();
        try {
            return environment.createSession(model.toString(), so);
        } catch (OrtException e) {
            throw OrtFailures.loading(model, e);
        }
    }

    private static OrtSession.RunOptions runOptions;

    /**
     * The options every run of this process uses: one object, so that a stop request (SIGINT/SIGTERM,
     * {@link Cancellation}) sets its terminate flag and whatever session is running returns.
     */
    public static synchronized OrtSession.RunOptions runOptions() throws ProviderException {
        if (runOptions == null) {
            try {
                OrtSession.RunOptions ro = new OrtSession.RunOptions();
                ro.setLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
                runOptions = ro;
            } catch (OrtException e) {
                throw new ProviderException(null, "cannot configure ONNX Runtime: " + e.getMessage());
            }
            Cancellation.onRequest(() -> {
                try {
                    runOptions.setTerminate(true);
                } catch (OrtException e) {
                    // nothing more to tell it: the command stops at its next check
                }
            });
        }
        return runOptions;
    }
}
