package dev.l2c.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.error.OutputException;
import dev.l2c.io.AtomicOutput;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a finished job did: images, error rows, seconds and images per second of the sampling job, and
 * per executor its images (from the tasks' {@link ExecutorTally} accumulator). One line for the console,
 * and the same as JSON for scripts (benchmarks/run.sh spark).
 *
 * @param seconds       wall time of the job that generated and wrote the table
 * @param setupSeconds  before it: session, package verification, reading the request table's columns
 */
record JobSummary(String output, long images, long errors, int partitions, int batch, double seconds,
                  double setupSeconds, List<ExecutorTally> executors) {

    static JobSummary of(String output, int partitions, int batch, double seconds, double setupSeconds,
                         Collection<ExecutorTally> tasks) {
        Map<String, ExecutorTally> byExecutor = new TreeMap<>();
        for (ExecutorTally t : tasks) {
            byExecutor.merge(t.executor(), t, ExecutorTally::plus);
        }
        long images = byExecutor.values().stream().mapToLong(ExecutorTally::images).sum();
        long errors = byExecutor.values().stream().mapToLong(ExecutorTally::errors).sum();
        return new JobSummary(output, images, errors, partitions, batch, seconds, setupSeconds,
                List.copyOf(byExecutor.values()));
    }

    double imagesPerSecond() {
        return seconds > 0 ? images / seconds : 0;
    }

    /** "wrote OUT: 1024 images, 0 errors, in 61.2 s (16.73 images/s); 2 partitions, batch 8; executors: driver 1024" */
    String line() {
        String perExecutor = executors.stream().map(e -> e.executor() + (e.executor().equals(e.host()) ? "" : "@" + e.host())
                + " " + e.images()).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "wrote %s: %d images, %d errors%s, in %.1f s (%.2f images/s; %.1f s before it); "
                        + "%d partitions, batch %d; images per executor: %s", output, images, errors,
                errors > 0 ? " (rows with an error column)" : "", seconds, imagesPerSecond(), setupSeconds, partitions,
                batch, perExecutor.isEmpty() ? "none" : perExecutor);
    }

    void writeJson(Path file) throws OutputException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("output", output);
        root.put("images", images);
        root.put("errors", errors);
        root.put("partitions", partitions);
        root.put("batch", batch);
        root.put("seconds", seconds);
        root.put("images_per_second", imagesPerSecond());
        root.put("setup_seconds", setupSeconds);
        ArrayNode list = root.putArray("executors");
        for (ExecutorTally e : executors) {
            ObjectNode n = list.addObject();
            n.put("executor", e.executor());
            n.put("host", e.host());
            n.put("images", e.images());
            n.put("errors", e.errors());
            n.put("sampling_seconds", e.samplingNanos() / 1e9);
        }
        AtomicOutput.writeFile(file, o -> o.write(om.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
    }
}
