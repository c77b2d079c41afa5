package dev.l2c.cli;

import dev.l2c.compiler.ManifestConsistency;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.l2c.bench.Stats;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.error.ProviderException;
import dev.l2c.error.UsageException;
import dev.l2c.runtime.MemoryPolicy;
import dev.l2c.io.AtomicOutput;
import dev.l2c.io.TempFolder;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code l2c memory-bench MODEL}: peak resident memory of sampling runs, one child process per
 * configuration (peak RSS is per process), for each schedule under each memory policy.
 */
@Command(name = "memory-bench", description = {
        "Peak resident memory (VmHWM) and time of `l2c sample` runs, one process each, for the plain model and for "
        + "each schedule compiled into a package, under the memory policies speed and lean. Writes memory.md and "
        + "memory.json into --out."})
final class MemoryBenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "The ONNX model (with its model card beside it).")
    Path model;

    @Option(names = "--schedule", paramLabel = "NAME=FILE", description = "A schedule to compile and run (repeatable).")
    List<String> schedules = new ArrayList<>();

    @Option(names = "--nfe", defaultValue = "20", paramLabel = "N", description = "Evaluations of the plain-model run.")
    int nfe;

    @Option(names = "--images", defaultValue = "8", paramLabel = "N", description = "Images per run (the model batch is doubled by guidance; default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--java-heap", defaultValue = "512m", paramLabel = "SIZE", description = "Java heap limit of each child process (-Xmx).")
    String heap;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for memory.md, memory.json and the runs' output.")
    Path out;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    /**
     * One process's result. The step medians leave out the first evaluation, which also pays for
     * ONNX Runtime's first-run initialisation; NaN where the run has no step of that kind.
     */
    private record Row(String name, int graphs, String memory, long peakRss, long anon, long file, long rssBeforeRun,
                       long runPeakRss, double openSeconds, double seconds, double fullStepMs, double cacheStepMs,
                       String failure) {
    }

    @Option(names = "--linked", description = "Also run each schedule as a linked model (one session, ONNX Runtime's defaults).")
    boolean linked;

    @Option(names = "--modes", split = ",", defaultValue = "speed,balanced,lean", paramLabel = "POLICY", description = "Memory policies to run (default: speed,balanced,lean).")
    List<String> modes;

    @Override
    public Integer call() throws L2cException {
        // refused before any work: an unknown policy used to fail every row's process, one after another
        for (String mode : modes) {
            MemoryPolicy.parseExplicit(mode, "--modes");
        }
        LoadedModel m = modelOptions.load(model);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new OutputException(out, "cannot create: " + e.getMessage());
        }
        List<Row> rows = new ArrayList<>();
        try (TempFolder tmp = TempFolder.create("l2c-memory-")) {
            Path work = tmp.path();
            // a single graph always runs with ONNX Runtime's defaults: one row
            boolean[] allFull = new boolean[nfe];
            Arrays.fill(allFull, true);
            rows.add(run("plain model", 1, "speed", allFull, List.of(model.toString(), "--nfe", Integer.toString(nfe)), work));
            for (String s : schedules) {
                int eq = s.indexOf('=');
                if (eq <= 0) {
                    throw new UsageException("--schedule takes NAME=FILE, got '" + s + "'");
                }
                String name = s.substring(0, eq);
                Path file = Path.of(s.substring(eq + 1));
                Schedule schedule = ScheduleJson.read(file);
                Sampler sampler = samplerOptions.create(m.card(), schedule.nfe());
                Path pkg = work.resolve("pkg-" + rows.size());
                ScheduleCompiler.compile(m, schedule, file, sampler, pkg);
                PackageManifest manifest = ManifestConsistency.open(pkg).manifest();
                int graphs = manifest.graphs().size();
                boolean[] fullSteps = manifest.fullSteps();
                for (String mode : graphs == 1 ? List.of("speed") : modes) {
                    rows.add(run(name, graphs, mode, fullSteps, List.of(pkg.toString()), work));
                }
                if (linked) {
                    Path lpkg = work.resolve("pkg-" + rows.size() + "-linked");
                    ScheduleCompiler.compile(m, schedule, file, sampler, lpkg, ScheduleCompiler.Options.linked(true));
                    // without ONNX Runtime's optimized form cached, then the run that saves it, then one that reads it
                    Path cache = work.resolve("ort-cache-" + rows.size());
                    rows.add(run(name + " (linked, no cache)", 1, "default", fullSteps,
                            List.of(lpkg.toString(), "--ort-cache", "off"), work));
                    rows.add(run(name + " (linked, saving the cache)", 1, "default", fullSteps,
                            List.of(lpkg.toString(), "--ort-cache", cache.toString()), work));
                    rows.add(run(name + " (linked, cached)", 1, "default", fullSteps,
                            List.of(lpkg.toString(), "--ort-cache", cache.toString()), work));
                }
            }
        }
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%s, %d images, CFG %.2f, CPU; one `l2c sample` process per row (Java heap %s); "
                        + "peak RSS = VmHWM of the whole process (session creation included), anon/file = RssAnon/RssFile "
                        + "at the end of the run, the run's own peak = VmHWM reset after the sessions were created.%n%n",
                model.getFileName(), images, m.card().defaultCfg(), heap));
        md.append("| configuration | graphs | memory | peak RSS MiB | anon MiB | file MiB | RSS before run MiB "
                + "| run's own peak MiB | session creation s | run s | full step ms | cache step ms |\n"
                + "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            if (r.failure() != null) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %s | did not finish: %s | | | | | | | | |%n", r.name(), r.graphs(),
                        r.memory(), r.failure()));
                continue;
            }
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %s | %s |%n",
                    r.name(), r.graphs(), r.memory(), r.peakRss() / 1048576.0, r.anon() / 1048576.0, r.file() / 1048576.0,
                    r.rssBeforeRun() / 1048576.0, r.runPeakRss() / 1048576.0, r.openSeconds(), r.seconds(), milliseconds(r.fullStepMs()), milliseconds(r.cacheStepMs())));
        }
        System.out.print(md);
        String json;
        try {
            json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(rows);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        AtomicOutput.writeFile(out.resolve("memory.md"), o -> o.write(md.toString().getBytes(StandardCharsets.UTF_8)));
        AtomicOutput.writeFile(out.resolve("memory.json"), o -> o.write(json.getBytes(StandardCharsets.UTF_8)));
        return 0;
    }

    private static String milliseconds(double ms) {
        return Double.isNaN(ms) ? "—" : String.format(Locale.ROOT, "%.1f", ms);
    }

    private Row run(String name, int graphs, String mode, boolean[] fullSteps, List<String> target, Path work)
            throws L2cException {
        Path stats = work.resolve("stats.json");
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx" + heap, "-Djava.awt.headless=true", "-cp", jar(),
                Main.class.getName(), "sample"));
        cmd.addAll(target);
        cmd.addAll(List.of("--count", Integer.toString(images), "--memory", mode.equals("default") ? "auto" : mode, "--quiet", "--stats", stats.toString(),
                "-o", work.resolve("grid.png").toString()));
        if (samplerOptions.sampler != null && target.contains("--nfe")) { // the plain model: packages fix their sampler
            cmd.addAll(List.of("--sampler", samplerOptions.sampler));
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            if (code != 0) {
                // a run the machine cannot hold (the kernel kills it) is a result too, not the end of the benchmark
                String why = code == 137 ? "killed (out of memory)" : "exit " + code + ": " + lastLine(output);
                System.err.printf(Locale.ROOT, "%s (%s): %s%n", name, mode, why);
                return new Row(name, graphs, mode, -1, -1, -1, -1, -1, Double.NaN, Double.NaN, Double.NaN, Double.NaN, why);
            }
            JsonNode s = new ObjectMapper().readTree(stats.toFile());
            System.err.printf(Locale.ROOT, "%s (%s): peak RSS %.1f MiB%n", name, mode, s.path("peak_rss_bytes").asLong() / 1048576.0);
            long[] stepNanos = new long[s.path("step_ms").size()];
            for (int k = 0; k < stepNanos.length; k++) {
                stepNanos[k] = Math.round(s.path("step_ms").get(k).asDouble() * 1e6);
            }
            return new Row(name, graphs, mode, s.path("peak_rss_bytes").asLong(), s.path("rss_anon_bytes_at_end").asLong(),
                    s.path("rss_file_bytes_at_end").asLong(), s.path("rss_before_run_bytes").asLong(),
                    s.path("peak_rss_during_run_bytes").asLong(), s.path("open_seconds").asDouble(), s.path("wall_seconds").asDouble(),
                    Stats.median(stepNanos, afterFirst(fullSteps, true, stepNanos.length)),
                    Stats.median(stepNanos, afterFirst(fullSteps, false, stepNanos.length)), null);
        } catch (IOException e) {
            throw new ProviderException(null, "cannot start a sampling process: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderException(null, "interrupted");
        }
    }

    /** Selects the steps of one kind, leaving out the first evaluation. */
    private static boolean[] afterFirst(boolean[] fullSteps, boolean full, int steps) {
        boolean[] select = new boolean[steps];
        for (int k = 1; k < steps && k < fullSteps.length; k++) {
            select[k] = fullSteps[k] == full;
        }
        return select;
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1];
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String jar() throws UsageException {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new UsageException("cannot find the l2c jar to start child processes: " + e.getMessage());
        }
    }

}
