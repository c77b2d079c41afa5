package dev.l2c.spark;

import dev.l2c.error.UsageException;
import dev.l2c.runtime.OrtRuntime;
import org.apache.spark.SparkEnv;

import java.io.Serializable;

/**
 * How each executor runs the package: the words of {@code --provider}, {@code --threads},
 * {@code --memory} and {@code --ort-cache}, sent to the executors as words (ONNX Runtime's options hold
 * paths resolved against each machine's environment) and turned into {@link OrtRuntime.Options} there.
 *
 * @param threads intra-op threads per executor; 0 takes {@code spark.executor.cores}, else every core
 *                of the executor's machine
 */
record RunSettings(String provider, int threads, String memory, String ortCache) implements Serializable {

    /** The settings, their words checked on the driver before any work. */
    static RunSettings of(String provider, int threads, String memory, String ortCache) throws UsageException {
        OrtRuntime.Options.parse(provider, threads, memory, "off");
        return new RunSettings(provider, threads, memory, ortCache);
    }

    /** The options on this JVM. */
    OrtRuntime.Options options() throws UsageException {
        return OrtRuntime.Options.parse(provider, threads > 0 ? threads : executorCores(), memory, ortCache);
    }

    private static int executorCores() {
        int cores = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        return env == null ? cores : env.conf().getInt("spark.executor.cores", cores);
    }
}
