package dev.l2c.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.bench.BenchConfig;
import dev.l2c.bench.BenchResult;
import dev.l2c.bench.BenchReport;
import dev.l2c.bench.Benchmark;
import dev.l2c.metrics.FdBootstrap;
import dev.l2c.bench.FdComputeChart;
import dev.l2c.bench.QualityLatencyChart;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.error.UsageException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.io.ImageGrid;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.runtime.BatchedSampling;
import dev.l2c.runtime.MemoryPolicy;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.ReferenceSchedules;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code l2c bench MODEL}: quality and speed of schedules on one model and provider, side by side. */
@Command(name = "bench", description = {
        "Time sampling runs of several schedules on one model, interleaved (A B C A B C ...) so machine drift hits all "
        + "alike, and measure their quality: PSNR and max |diff| against the full schedule from the same noise, and "
        + "(--fd N) the Frechet distance of N class-balanced samples to the Fashion-MNIST test set.",
        "--suite adds: the full loop, the reference L2C-style mask, and baselines matched to its compute (fewer steps, "
        + "FORA, TaylorSeer, DeepCache, random layers), plus more fewer-steps points for the curve.",
        "Writes results.md, results.json, a quality-vs-latency chart and one sample grid per schedule into --out."})
final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "The ONNX model (with its model card beside it).")
    Path model;

    @Option(names = "--plain", description = "Include the plain ONNX Runtime loop over the original model (named 'full').")
    boolean plain;

    @Option(names = "--suite", description = "Add the standard comparison (see above); implies --plain.")
    boolean suite;

    @Option(names = "--remove", paramLabel = "F", split = ",",
            description = "With --suite: fractions of MACs the matched baselines remove, e.g. 0.2,0.35 (default: what the "
                    + "reference mask removes).")
    List<Double> remove;

    @Option(names = "--schedule", paramLabel = "NAME=FILE", description = "A schedule to compile into a stepwise "
            + "package and time (repeatable).")
    List<String> schedules = new ArrayList<>();

    @Option(names = "--linked", paramLabel = "NAME=FILE", description = "A schedule to compile into a linked model "
            + "(one ONNX model of the whole run) and time (repeatable).")
    List<String> linkedSchedules = new ArrayList<>();

    @Option(names = "--memory-policies", split = ",", paramLabel = "POLICY",
            description = "Time every stepwise package once per memory policy listed (speed, balanced, lean); its rows "
                    + "are named NAME@POLICY. Default: the --memory policy alone.")
    List<String> memoryPolicies = new ArrayList<>();

    @Option(names = "--nfe", defaultValue = "20", paramLabel = "N", description = "Evaluations of the full loop and of --suite schedules.")
    int nfe;

    @Option(names = "--images", defaultValue = "8", paramLabel = "N", description = "Images per timed run (the model batch is doubled by CFG).")
    int images;

    @Mixin
    NoiseOptions noiseOptions;

    @Option(names = "--repeats", defaultValue = "7", paramLabel = "R", description = "Measured rounds (each runs every configuration once).")
    int repeats;

    @Option(names = "--warmup", defaultValue = "2", paramLabel = "W", description = "Unmeasured rounds first.")
    int warmup;

    @Option(names = "--adherence", defaultValue = "0", paramLabel = "N",
            description = "Text demo model: also generate N images per schedule captioned with the demo's 80 captions "
                    + "(class × small × upside down × inverted) and score them: class accuracy after undoing the named "
                    + "transforms, each attribute's detection rate; paired against the reference (0: skip).")
    int adherenceImages;

    @Option(names = "--fd", defaultValue = "0", paramLabel = "N",
            description = "Also generate N class-balanced samples per schedule for the Frechet distance (0: skip; reported figures use >= 1000).")
    int fdImages;

    @Option(names = "--fd-only", split = ",", paramLabel = "NAME",
            description = "Generate the FD samples only for these configurations (and the reference); the others get PSNR on the timed images.")
    List<String> fdOnly = new ArrayList<>();

    @Option(names = "--fd-batch", defaultValue = "" + BatchedSampling.MAX_DEFAULT_BATCH, paramLabel = "B", description = "Images per run "
            + "when generating for FD (default ${DEFAULT-VALUE}: larger batches are slower per image on the CPU).")
    int fdBatch;

    @Option(names = "--fd-resamples", defaultValue = "" + FdBootstrap.DEFAULT_RESAMPLES, paramLabel = "B",
            description = "Bootstrap replicates for the FD intervals and paired differences (default ${DEFAULT-VALUE}).")
    int fdResamples;

    @Option(names = "--fd-widths-at", split = ",", paramLabel = "N",
            description = "Also compute the FD intervals on the first N samples of each configuration (N < --fd), to "
                    + "show how they narrow with the sample count.")
    List<Integer> fdWidthsAt = new ArrayList<>();

    @Option(names = "--sample-cache", paramLabel = "DIR", description = "Keep the FD samples in DIR, one file per batch, "
            + "keyed by the package's bytes, the noise and the runtime: an interrupted run resumes, and later runs reuse "
            + "the configurations they share (default: none).")
    Path sampleCache;

    @Option(names = "--reference", paramLabel = "NAME", description = "Configuration quality is measured against (default: the first).")
    String reference;

    @Mixin
    RuntimeOptions runtimeOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the results.")
    Path out;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    @Override
    public Integer call() throws L2cException {
        if (repeats < 1 || warmup < 0 || images < 1 || fdImages < 0 || fdBatch < 1 || nfe < 1 || fdResamples < 2) {
            throw new UsageException("--repeats, --images, --fd-batch and --nfe must be positive, --warmup and --fd not negative,"
                    + " --fd-resamples at least 2");
        }
        for (int n : fdWidthsAt) {
            if (n < 2 || n >= fdImages) {
                throw new UsageException("--fd-widths-at " + n + ": each count must be at least 2 and below --fd ("
                        + fdImages + ")");
            }
        }
        LoadedModel m = modelOptions.load(model);
        boolean created = !Files.exists(out);
        createFolder(out);
        boolean done = false;
        try {
            int code = benchmark(m);
            done = true;
            return code;
        } finally {
            if (created && !done) {
                AtomicOutput.deleteTreeQuietly(out); // a failed or stopped run leaves no half-filled results folder
            }
        }
    }

    private int benchmark(LoadedModel m) throws L2cException {
        List<BenchConfig> configs = new ArrayList<>();
        if (plain || suite) {
            configs.add(BenchConfig.plain("full", nfe));
        }
        if (suite) {
            configs.addAll(suiteConfigs(m));
        }
        List<MemoryPolicy> policies = new ArrayList<>();
        for (String p : memoryPolicies) {
            policies.add(MemoryPolicy.parseExplicit(p, "--memory-policies"));
        }
        for (String s : schedules) {
            BenchConfig c = BenchConfig.schedule(name(s, "--schedule"), Path.of(s.substring(s.indexOf('=') + 1)));
            if (policies.isEmpty()) {
                configs.add(c);
            }
            for (MemoryPolicy policy : policies) {
                configs.add(c.withMemory(c.name() + "@" + policy.name().toLowerCase(Locale.ROOT), policy));
            }
        }
        for (String s : linkedSchedules) {
            configs.add(BenchConfig.linked(name(s, "--linked"), Path.of(s.substring(s.indexOf('=') + 1))));
        }
        if (configs.isEmpty()) {
            throw new UsageException("nothing to time: give --suite, --plain, --schedule NAME=FILE and/or --linked NAME=FILE");
        }
        Set<String> names = new LinkedHashSet<>();
        for (BenchConfig c : configs) {
            if (!names.add(c.name())) {
                throw new UsageException("two configurations are called '" + c.name() + "'");
            }
        }
        for (String name : fdOnly) {
            if (!names.contains(name)) {
                throw new UsageException("--fd-only names '" + name + "', which is not a configuration; they are: "
                        + String.join(", ", names));
            }
        }
        Benchmark.Settings settings = new Benchmark.Settings(images, noiseOptions.scale(m.card()), noiseOptions.seed(),
                repeats, warmup, runtimeOptions.toOptions(),
                samplerOptions.sampler, !samplerOptions.noClip, fdImages, fdBatch, reference, Set.copyOf(fdOnly), fdResamples, List.copyOf(fdWidthsAt),
                sampleCache);
        if (adherenceImages < 0) {
            throw new UsageException("--adherence must be at least 0, not " + adherenceImages);
        }
        if (adherenceImages > 0 && !m.card().textConditioned()) {
            throw new UsageException("--adherence scores captions: " + m.file().getFileName() + " is class-conditional");
        }
        List<BenchResult> results = Benchmark.run(m, configs, settings);
        String md = BenchReport.markdown(m, settings, results);
        if (adherenceImages > 0) {
            List<Benchmark.AdherenceResult> adherence = Benchmark.adherence(m, configs, settings, adherenceImages);
            String refName = configs.get(Benchmark.referenceIndex(configs, reference)).name();
            int ref = 0;
            for (int i = 0; i < adherence.size(); i++) {
                if (adherence.get(i).config().equals(refName)) {
                    ref = i;
                }
            }
            md += AdherenceReport.markdown(adherence, ref);
            adherenceResults = adherence;
            adherenceReference = ref;
        }
        System.out.print(md);
        writeResults(m, settings, results, md);
        return 0;
    }

    /** The adherence of each configuration, when --adherence ran, and the reference's place among them. */
    private List<Benchmark.AdherenceResult> adherenceResults;
    private int adherenceReference;

    private static String name(String nameAndFile, String option) throws UsageException {
        int eq = nameAndFile.indexOf('=');
        if (eq <= 0 || eq == nameAndFile.length() - 1) {
            throw new UsageException(option + " takes NAME=FILE, got '" + nameAndFile + "'");
        }
        return nameAndFile.substring(0, eq);
    }

    /** The full loop's companions: reference mask, matched baselines and the fewer-steps curve. */
    private List<BenchConfig> suiteConfigs(LoadedModel m) throws L2cException {
        Sampler sampler = samplerOptions.create(m.card(), nfe);
        String pattern = sampler.schedulePattern();
        int layers = m.layers().size();
        long[] layerMacs = m.layers().layers().stream().mapToLong(CacheableLayer::macsPerSample).toArray();
        long fullMacs = m.layers().macsPerSampleFull();
        Schedule reference = ReferenceSchedules.referenceMask(nfe, layers, pattern);
        List<Double> targets = remove != null ? remove
                : List.of(BaselineSchedules.removedMacFraction(reference, layerMacs, fullMacs, nfe));
        Path dir = out.resolve("schedules");
        createFolder(dir);
        List<BenchConfig> configs = new ArrayList<>();
        configs.add(save(dir, "l2c-reference-mask", reference));
        for (double target : targets) {
            if (target < 0 || target >= 1) {
                throw new UsageException("--remove values must be in [0, 1)");
            }
            String suffix = remove == null ? "-matched" : String.format(Locale.ROOT, "-r%02d", Math.round(100 * target));
            for (String kind : List.of("fewer-steps", "fora", "taylorseer", "deepcache", "random")) {
                Schedule s = BaselineSchedules.matchBudgetMacs(kind, nfe, layerMacs, fullMacs, pattern, target, noiseOptions.seed(),
                        m.layers().layersPerBlock());
                double achieved = BaselineSchedules.removedMacFraction(s, layerMacs, fullMacs, nfe);
                // a baseline whose parameter grid has nothing near the budget (FORA: 0 % or 50 % of a
                // 20-step run) would only repeat another row under a misleading name
                if (Math.abs(achieved - target) > 0.5 * target) {
                    System.err.printf(Locale.ROOT, "suite: %s cannot remove about %.0f%% of the MACs (nearest: %.1f%%); left out%n",
                            kind, 100 * target, 100 * achieved);
                    continue;
                }
                BenchConfig c = save(dir, kind + suffix, s);
                configs.add(kind.equals("fewer-steps") ? c.onFewerStepsCurve() : c);
            }
            System.err.printf(Locale.ROOT, "suite: baselines%s remove %.1f%% of the MACs of %d full evaluations%n",
                    suffix, 100 * target, nfe);
        }
        for (double keep : new double[]{0.5, 0.75}) {
            int n = BaselineSchedules.fewerStepsNfe(nfe, keep, pattern);
            if (n != nfe && configs.stream().noneMatch(c -> c.name().equals("steps-" + n))
                    && configs.stream().noneMatch(c -> c.fewerStepsCurve() && c.schedule() != null && nfeOf(c) == n)) {
                configs.add(save(dir, "steps-" + n, BaselineSchedules.fewerSteps(nfe, n, layers, pattern)).onFewerStepsCurve());
            }
        }
        return configs;
    }

    private static int nfeOf(BenchConfig c) {
        try {
            return ScheduleJson.read(c.schedule()).nfe();
        } catch (L2cException e) {
            return -1;
        }
    }

    private static BenchConfig save(Path dir, String name, Schedule s) throws L2cException {
        Path file = dir.resolve(name + ".json");
        ScheduleJson.write(s, file);
        return BenchConfig.schedule(name, file);
    }

    private void writeResults(LoadedModel m, Benchmark.Settings settings, List<BenchResult> results, String md)
            throws L2cException {
        ObjectNode json = BenchReport.json(m, settings, results);
        if (adherenceResults != null) {
            json.set("adherence", AdherenceReport.json(adherenceResults, adherenceReference));
        }
        AtomicOutput.writeFile(out.resolve("results.md"), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        AtomicOutput.writeFile(out.resolve("results.json"), o -> o.write(new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json)));
        QualityLatencyChart.write(out.resolve("psnr_vs_latency.png"),
                m.file().getFileName() + ": PSNR vs full (higher is better) vs latency, CPU",
                "PSNR vs full schedule (dB)", BenchReport.chartPoints(results, false));
        if (settings.fdImages() > 0) {
            QualityLatencyChart.write(out.resolve("fd_vs_latency.png"),
                    m.file().getFileName() + ": FD (lower is better) vs latency, CPU",
                    "Fréchet distance to the test set", BenchReport.chartPoints(results, true));
            List<FdComputeChart.Point> fd = BenchReport.fdComputePoints(results, settings);
            if (!fd.isEmpty()) {
                FdComputeChart.write(out.resolve("fd_vs_removed.png"), m.file().getFileName() + ": FD (lower is better) "
                        + "vs layer evaluations removed, " + settings.fdImages() + " samples", fd,
                        BenchReport.referenceFd(results, settings));
                FdComputeChart.writeChange(out.resolve("fd_change_vs_removed.png"), m.file().getFileName()
                        + ": FD above full (lower is better) vs layer evaluations removed, " + settings.fdImages()
                        + " samples", BenchReport.fdChangePoints(results, settings));
            }
        }
        // grids from the timed runs: the same noise and labels for every configuration
        int shown = Math.min(20, settings.images());
        for (BenchResult r : results) {
            var c = m.card();
            ImageGrid.writeSamplesPng(out.resolve("grid_" + r.config().name() + ".png"), r.timedSamples(), shown,
                    c.channels(), c.height(), c.width(), Math.min(10, shown), Math.max(1, 56 / c.height()),
                    c.rangeMin(), c.rangeMax());
        }
    }

    private static void createFolder(Path dir) throws OutputException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OutputException(dir, "cannot create: " + e.getMessage());
        }
    }
}
