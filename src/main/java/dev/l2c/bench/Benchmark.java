package dev.l2c.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.emit.PackageManifest;
import dev.l2c.emit.ScheduleCompiler;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.io.Progress;
import dev.l2c.model.LoadedModel;
import dev.l2c.model.ModelCard;
import dev.l2c.metrics.FashionMnist;
import dev.l2c.runtime.InitialNoise;
import dev.l2c.runtime.ModelExecutor;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.PackageExecutor;
import dev.l2c.runtime.PlainModelExecutor;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.sampler.Samplers;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Times sampling runs of several configurations of one model in one process. Every configuration is
 * loaded (and compiled) first; then rounds run each configuration once in turn (A B C A B C …), so
 * slow drifts of the machine (other load, thermal state) hit all of them alike. All runs start from
 * the same noise and labels.
 */
public final class Benchmark {

    /** How to run. {@code sampler} null means the model card's default. */
    public record Settings(int images, float cfg, long seed, int repeats, int warmup, OrtRuntime.Options runtime,
                           String sampler, boolean clip) {
    }

    private Benchmark() {
    }

    private record Prepared(BenchConfig config, ModelExecutor executor, Sampler sampler, int graphs, long macs,
                            long layerEvaluations, long totalLayerEvaluations, boolean[] fullSteps, Path tempDir) {
    }

    public static List<BenchResult> run(LoadedModel model, List<BenchConfig> configs, Settings settings)
            throws L2cException {
        ModelCard card = model.card();
        List<Prepared> prepared = new ArrayList<>();
        try {
            for (BenchConfig c : configs) {
                prepared.add(prepare(model, c, settings));
            }
            float[] noise = InitialNoise.gaussian(settings.seed(), settings.images() * card.sampleElements());
            long[] labels = FashionMnist.balancedLabels(settings.images(), card.classes());
            SampleRun.Request request = new SampleRun.Request(noise, labels, settings.cfg());
            int n = prepared.size();
            double[][] seconds = new double[n][settings.repeats()];
            double[][] overhead = new double[n][settings.repeats()];
            double[] fullMs = new double[n];
            double[] cacheMs = new double[n];
            float[][] samples = new float[n][];
            long totalEvaluations = 0;
            for (Prepared p : prepared) {
                totalEvaluations += (long) p.sampler().evaluations() * (settings.warmup() + settings.repeats());
            }
            try (Progress progress = Progress.start("bench", totalEvaluations, true)) {
                for (int round = 0; round < settings.warmup() + settings.repeats(); round++) {
                    for (int i = 0; i < n; i++) {
                        Prepared p = prepared.get(i);
                        SampleRun.Output o = SampleRun.run(p.executor(), card, p.sampler(), request, progress);
                        int r = round - settings.warmup();
                        if (r >= 0) {
                            seconds[i][r] = o.wallNanos() / 1e9;
                            overhead[i][r] = o.overheadShare();
                            samples[i] = o.samples();
                            if (r == settings.repeats() - 1) {
                                fullMs[i] = Stats.median(o.stepNanos(), p.fullSteps());
                                boolean[] cache = new boolean[p.fullSteps().length];
                                for (int k = 0; k < cache.length; k++) {
                                    cache[k] = !p.fullSteps()[k];
                                }
                                cacheMs[i] = Stats.median(o.stepNanos(), cache);
                            }
                        }
                    }
                }
            }
            List<BenchResult> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Prepared p = prepared.get(i);
                results.add(new BenchResult(p.config(), p.sampler().evaluations(), p.graphs(), p.macs(),
                        p.layerEvaluations(), p.totalLayerEvaluations(), seconds[i], fullMs[i], cacheMs[i],
                        Stats.median(overhead[i]), samples[i]));
            }
            return results;
        } finally {
            for (Prepared p : prepared) {
                p.executor().close();
                if (p.tempDir() != null) {
                    deleteTree(p.tempDir());
                }
            }
        }
    }

    private static Prepared prepare(LoadedModel model, BenchConfig c, Settings s) throws L2cException {
        ModelCard card = model.card();
        NoiseSchedule ns = NoiseSchedule.fromName(card.betaSchedule(), card.trainSteps(), card.betaStart(), card.betaEnd());
        String samplerName = s.sampler() != null ? s.sampler() : card.defaultSampler();
        boolean clip = card.clipX0() && s.clip();
        int layers = model.layers().size();
        if (c.isPlain()) {
            Sampler sampler = Samplers.create(samplerName, ns, c.nfe(), clip);
            boolean[] full = new boolean[c.nfe()];
            java.util.Arrays.fill(full, true);
            return new Prepared(c, new PlainModelExecutor(model.file(), card, s.runtime()), sampler, 1,
                    model.layers().macsPerSampleFull() * c.nfe(), (long) layers * c.nfe(), (long) layers * c.nfe(),
                    full, null);
        }
        Schedule schedule = ScheduleJson.read(c.schedule());
        Sampler sampler = Samplers.create(samplerName, ns, schedule.nfe(), clip);
        Path tmp;
        try {
            tmp = Files.createTempDirectory("l2c-bench-");
        } catch (IOException e) {
            throw new OutputException(null, "cannot create a temporary folder: " + e.getMessage());
        }
        Path pkg = tmp.resolve("package");
        ScheduleCompiler.compile(model, schedule, c.schedule(),
                new ScheduleCompiler.SamplerSpec(sampler.name(), sampler.schedulePattern(), sampler.modelTimes()), pkg, false);
        PackageManifest manifest = PackageManifest.read(pkg);
        boolean[] full = new boolean[manifest.steps().size()];
        for (int k = 0; k < full.length; k++) {
            full[k] = manifest.steps().get(k).full();
        }
        return new Prepared(c, new PackageExecutor(manifest, s.runtime()), sampler, manifest.graphFiles().size(),
                manifest.json().path("totals").path("macs_per_sample").asLong(), schedule.layerEvaluations(),
                schedule.totalLayerEvaluations(), full, tmp);
    }

    /**
     * Measured speedup over the first configuration (median time ratio), ideal speedup (MACs ratio),
     * and the realized share: measured ÷ ideal.
     */
    public static String markdown(LoadedModel model, Settings s, List<BenchResult> results) {
        BenchResult base = results.get(0);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s, %d images, CFG %.2f (model batch %d), %s, %d measured rounds after %d warm-up, "
                        + "interleaved; baseline: %s%n%n", model.file().getFileName(), s.images(), s.cfg(),
                s.cfg() == 1f ? s.images() : 2 * s.images(), s.runtime().provider(), s.repeats(), s.warmup(),
                base.config().name()));
        sb.append("| configuration | NFE | graphs | layer evals | MACs % | median s (min–max) | full step ms | cache step ms "
                + "| speedup | ideal | realized | outside ORT |\n");
        sb.append("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (BenchResult r : results) {
            double speedup = base.median() / r.median();
            double ideal = (double) base.macsPerSample() / r.macsPerSample();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %d/%d | %.1f | %.3f (%.3f–%.3f) | %.1f | %s | %.3f | %.3f | %.1f%% | %.2f%% |%n",
                    r.config().name(), r.nfe(), r.graphs(), r.layerEvaluations(), r.totalLayerEvaluations(),
                    100.0 * r.macsPerSample() / base.macsPerSample(), r.median(), r.min(), r.max(), r.fullStepMillis(),
                    Double.isNaN(r.cacheStepMillis()) ? "–" : String.format(Locale.ROOT, "%.1f", r.cacheStepMillis()),
                    speedup, ideal, 100 * speedup / ideal, 100 * r.overheadShare()));
        }
        return sb.toString();
    }

    public static ObjectNode json(LoadedModel model, Settings s, List<BenchResult> results) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("model", model.file().getFileName().toString());
        root.put("images", s.images());
        root.put("cfg", s.cfg());
        root.put("seed", s.seed());
        root.put("repeats", s.repeats());
        root.put("warmup", s.warmup());
        root.put("provider", s.runtime().provider().toString());
        root.put("threads", s.runtime().threads());
        root.put("prepack", s.runtime().prepack().toString());
        root.put("cpu", cpuName());
        BenchResult base = results.get(0);
        ArrayNode arr = root.putArray("results");
        for (BenchResult r : results) {
            ObjectNode o = arr.addObject();
            o.put("name", r.config().name());
            o.put("schedule", r.config().schedule() == null ? null : r.config().schedule().toString());
            o.put("nfe", r.nfe());
            o.put("graphs", r.graphs());
            o.put("macs_per_sample", r.macsPerSample());
            o.put("layer_evaluations", r.layerEvaluations());
            o.put("total_layer_evaluations", r.totalLayerEvaluations());
            ArrayNode secs = o.putArray("run_seconds");
            for (double x : r.runSeconds()) {
                secs.add(x);
            }
            o.put("median_seconds", r.median());
            o.put("full_step_ms", r.fullStepMillis());
            o.put("cache_step_ms", Double.isNaN(r.cacheStepMillis()) ? null : r.cacheStepMillis());
            double speedup = base.median() / r.median();
            double ideal = (double) base.macsPerSample() / r.macsPerSample();
            o.put("speedup", speedup);
            o.put("ideal_speedup", ideal);
            o.put("realized_share", speedup / ideal);
            o.put("outside_ort_share", r.overheadShare());
        }
        return root;
    }

    static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim() + " ×" + Runtime.getRuntime().availableProcessors();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch") + " ×" + Runtime.getRuntime().availableProcessors();
    }

    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
