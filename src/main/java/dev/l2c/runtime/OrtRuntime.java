package dev.l2c.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import dev.l2c.error.Cancellation;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;

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
     * How sessions use memory when several step graphs share weights (a single graph always runs with
     * ONNX Runtime's defaults: nothing is shared, so there is nothing to save).
     * <ul>
     * <li>SPEED: ONNX Runtime's defaults: each session prepacks its weights (a private copy in a faster
     *     layout) and keeps its own memory arena sized for its activations. Memory grows with every
     *     session.</li>
     * <li>BALANCED: no prepacking and (for packages) one memory mapping of the weights handed to every
     *     session: weights resident once; each session keeps its arena, so activation memory grows with
     *     the number of step graphs, but steps run at full speed.</li>
     * <li>LEAN: as BALANCED, and no per-session arena either: activations are freed after each step, so
     *     memory does not grow with the number of step graphs. Allocating without an arena costs page
     *     faults: measured on the demo DiT, a cache step takes about a third longer.</li>
     * <li>AUTO: SPEED for a single graph, LEAN when several graphs share the weights.</li>
     * </ul>
     */
    public enum Memory { AUTO, SPEED, BALANCED, LEAN }

    /**
     * @param provider CPU or CUDA
     * @param threads  intra-op threads; 0 = one per core
     * @param memory   memory policy
     * @param deviceId CUDA device
     * @param ortCache where linked models keep ONNX Runtime's optimized form ({@link OptimizedModelCache}),
     *                 or null for no cache
     */
    public record Options(Provider provider, int threads, Memory memory, int deviceId, Path ortCache) {
        /** Options without an optimized-model cache. */
        public Options(Provider provider, int threads, Memory memory, int deviceId) {
            this(provider, threads, memory, deviceId, null);
        }

        public static Options cpu() {
            return new Options(Provider.CPU, 0, Memory.AUTO, 0, null);
        }

        /** The same options under another memory policy. */
        public Options withMemory(Memory policy) {
            return new Options(provider, threads, policy, deviceId, ortCache);
        }

        /** Whether sessions sharing weights with {@code graphs - 1} others run without prepacked copies. */
        public boolean sharedWeights(int graphs) {
            return graphs > 1 && memory != Memory.SPEED;
        }

        /** Whether sessions run without a memory arena. */
        public boolean withoutArena(int graphs) {
            return graphs > 1 && (memory == Memory.LEAN || memory == Memory.AUTO);
        }
    }

    /** Parses a --memory value; null for an unknown one. */
    public static Memory parseMemory(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> Memory.AUTO;
            case "speed" -> Memory.SPEED;
            case "balanced" -> Memory.BALANCED;
            case "lean" -> Memory.LEAN;
            default -> null;
        };
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

    /**
     * Session options for a graph that shares its weights with {@code graphsSharingWeights - 1}
     * other sessions.
     */
    public static OrtSession.SessionOptions sessionOptions(Options options, int graphsSharingWeights)
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
            if (options.sharedWeights(graphsSharingWeights)) {
                so.addConfigEntry("session.disable_prepacking", "1");
            }
            if (options.withoutArena(graphsSharingWeights)) {
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
