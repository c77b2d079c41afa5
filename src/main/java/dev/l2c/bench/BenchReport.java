package dev.l2c.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.error.UsageException;
import dev.l2c.metrics.FdBootstrap;
import dev.l2c.modelcard.LoadedModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a benchmark reports: the Markdown tables (speed, quality, FD with its intervals and paired
 * comparisons), the JSON record and the chart points, all from the results {@link Benchmark#run} measured.
 */
public final class BenchReport {
    private BenchReport() {
    }

    /** Paired speedups per round: the baseline's time over this configuration's, same round. */
    static double[] pairedSpeedups(BenchResult base, BenchResult r) {
        double[] s = new double[r.runSeconds().length];
        for (int i = 0; i < s.length; i++) {
            s[i] = base.runSeconds()[i] / r.runSeconds()[i];
        }
        return s;
    }

    /**
     * The results table: measured speedup over the timing baseline (the first configuration) as the
     * median of per-round paired ratios with their range, ideal speedup (MACs ratio), realized share =
     * measured ÷ ideal, quality against the reference configuration.
     */
    public static String markdown(LoadedModel model, Benchmark.Settings s, List<BenchResult> results) {
        BenchResult base = results.get(0);
        String ref = s.reference() == null ? base.config().name() : s.reference();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s, %d images per timed run, CFG %.2f (model batch %d), %s, %s; %d measured "
                        + "rounds after %d warm-up, interleaved. Speedups are over `%s`; quality is against `%s`%s.%n%n",
                model.file().getFileName(), s.images(), s.cfg(), s.cfg() == 1f ? s.images() : 2 * s.images(),
                s.runtime().provider(), cpuName(), s.repeats(), s.warmup(), base.config().name(), ref,
                s.fdImages() > 0 ? String.format(Locale.ROOT, " on %d class-balanced samples; FD against the "
                        + "Fashion-MNIST test set (classifier features)%s", s.fdImages(), s.fdOnly().isEmpty() ? ""
                        : "; configurations without FD (not in --fd-only) have PSNR on the timed images")
                        : " on the timed samples"));
        sb.append("| schedule | NFE | layer evals | MACs % | ideal speedup | measured speedup (range) | realized "
                + "| median s | full / cache step ms | session s | PSNR dB | max abs diff | FD |\n");
        sb.append("|---|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|\n");
        for (BenchResult r : results) {
            double[] paired = pairedSpeedups(base, r);
            double speedup = Stats.median(paired);
            double lo = Arrays.stream(paired).min().orElse(Double.NaN);
            double hi = Arrays.stream(paired).max().orElse(Double.NaN);
            double ideal = (double) base.macsPerSample() / r.macsPerSample();
            BenchResult.Quality q = r.quality();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d/%d | %.1f | %.3f | %.3f (%.3f–%.3f) | %.1f%% | %.3f | %s / %s | %.2f | %s | %s | %s |%n",
                    r.config().name(), r.nfe(), r.layerEvaluations(), r.totalLayerEvaluations(),
                    100.0 * r.macsPerSample() / base.macsPerSample(), ideal, speedup, lo, hi, 100 * speedup / ideal,
                    r.median(), fmt(r.fullStepMillis(), "%.1f"), fmt(r.cacheStepMillis(), "%.1f"), r.openSeconds(),
                    Double.isInfinite(q.psnr()) ? "∞" : fmt(q.psnr(), "%.2f"), fmt(q.maxAbsDiff(), "%.4f"), fdCell(q)));
        }
        if (results.stream().anyMatch(r -> r.quality().fdIntervals() != null)) {
            sb.append(fdTable(s, results));
        }
        if (results.stream().anyMatch(r -> r.quality().fdIntervals() != null
                && !r.quality().fdIntervals().onFirstSamples().isEmpty())) {
            sb.append(fdWidthTable(s, results));
        }
        sb.append(String.format(Locale.ROOT, "%nRunner overhead (share of run time outside ONNX Runtime's run calls): %s.%n",
                String.join(", ", results.stream().map(r -> String.format(Locale.ROOT, "%s %.2f%%",
                        r.config().name(), 100 * r.overheadShare())).toList())));
        return sb.toString();
    }

    private static String fdCell(BenchResult.Quality q) {
        if (q.fdIntervals() == null) {
            return fmt(q.fd(), "%.1f");
        }
        FdBootstrap.Interval i = q.fdIntervals().fd();
        return String.format(Locale.ROOT, "%.1f [%.1f, %.1f]", i.value(), i.low(), i.high());
    }

    /**
     * The paired FD comparisons: each configuration against the reference and against the
     * fewer-steps configuration of the nearest compute, with 95 % intervals and whether they decide.
     */
    private static String fdTable(Benchmark.Settings s, List<BenchResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nFD with %.0f %% bootstrap intervals (%d replicates of the %d samples, the same"
                + " sample indices for every configuration, so differences are paired over the same noise and labels;"
                + " percentile intervals re-centred on the estimate). A difference is *decided* when its interval"
                + " excludes 0.%n%n", 100 * Benchmark.FD_LEVEL, s.fdResamples(), s.fdImages()));
        sb.append("| schedule | FD [95 %] | − reference: ΔFD [95 %] | ΔFD % [95 %] | decided | fewer steps at equal compute "
                + "| − it: ΔFD [95 %] | ΔFD % [95 %] | decided |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (BenchResult r : results) {
            BenchResult.FdIntervals f = r.quality().fdIntervals();
            if (f == null) {
                continue;
            }
            sb.append("| ").append(r.config().name()).append(" | ").append(fdCell(r.quality())).append(" | ")
                    .append(comparisonCells(f.vsReference(), false)).append(" | ")
                    .append(comparisonCells(f.vsFewerSteps(), true)).append(" |\n");
        }
        if (results.stream().anyMatch(r -> r.quality().fdIntervals() != null && r.quality().fdIntervals().vsTaylorSeer() != null)) {
            sb.append("\nAgainst TaylorSeer at equal compute (the `" + Benchmark.TAYLORSEER_PREFIX + "*` configuration within 2 % of the"
                    + " layer evaluations), paired as above:\n\n| schedule | TaylorSeer at equal compute | − it: ΔFD [95 %] |"
                    + " ΔFD % [95 %] | decided |\n|---|---|---|---|---|\n");
            for (BenchResult r : results) {
                BenchResult.FdIntervals f = r.quality().fdIntervals();
                if (f != null && f.vsTaylorSeer() != null) {
                    sb.append("| ").append(r.config().name()).append(" | ").append(comparisonCells(f.vsTaylorSeer(), true))
                            .append(" |\n");
                }
            }
        }
        return sb.toString();
    }

    /** Widths of the 95 % intervals computed on the first n samples and on all of them. */
    private static String fdWidthTable(Benchmark.Settings s, List<BenchResult> results) {
        java.util.SortedSet<Integer> counts = new java.util.TreeSet<>();
        for (BenchResult r : results) {
            if (r.quality().fdIntervals() != null) {
                counts.addAll(r.quality().fdIntervals().onFirstSamples().keySet());
            }
        }
        counts.add(s.fdImages());
        StringBuilder sb = new StringBuilder();
        sb.append("\nWidths of the 95 % intervals by sample count (the first n samples of the same run; FD, "
                + "ΔFD to the reference, ΔFD to fewer steps at equal compute):\n\n| schedule |");
        for (int n : counts) {
            sb.append(" n = ").append(n).append(" |");
        }
        sb.append("\n|---|").append("---|".repeat(counts.size())).append("\n");
        for (BenchResult r : results) {
            BenchResult.FdIntervals f = r.quality().fdIntervals();
            if (f == null) {
                continue;
            }
            sb.append("| ").append(r.config().name()).append(" |");
            for (int n : counts) {
                BenchResult.FdIntervals at = n == s.fdImages() ? f : f.onFirstSamples().get(n);
                sb.append(' ').append(at == null ? "–" : widths(at)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String widths(BenchResult.FdIntervals f) {
        return String.format(Locale.ROOT, "%.1f / %s / %s", f.fd().width(),
                f.vsReference() == null ? "–" : String.format(Locale.ROOT, "%.1f", f.vsReference().difference().width()),
                f.vsFewerSteps() == null ? "–" : String.format(Locale.ROOT, "%.1f", f.vsFewerSteps().difference().width()));
    }

    private static String comparisonCells(BenchResult.FdComparison c, boolean named) {
        if (c == null) {
            return named ? "– | – | – | –" : "– | – | –";
        }
        FdBootstrap.Interval d = c.difference();
        FdBootstrap.Interval rel = c.relative();
        String decided = !d.excludesZero() ? "no" : d.low() > 0 ? "yes, higher" : "yes, lower";
        String cells = String.format(Locale.ROOT, "%+.1f [%+.1f, %+.1f] | %+.1f [%+.1f, %+.1f] | %s", d.value(), d.low(),
                d.high(), 100 * rel.value(), 100 * rel.low(), 100 * rel.high(), decided);
        return named ? "`" + c.against() + "` | " + cells : cells;
    }

    private static String fmt(double v, String f) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, f, v);
    }

    public static ObjectNode json(LoadedModel model, Benchmark.Settings s, List<BenchResult> results) {
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
        root.put("memory", s.runtime().memory().toString());
        root.put("fd_images", s.fdImages());
        root.put("fd_resamples", s.fdResamples());
        root.put("fd_level", Benchmark.FD_LEVEL);
        root.put("cpu", cpuName());
        BenchResult base = results.get(0);
        ArrayNode arr = root.putArray("results");
        for (BenchResult r : results) {
            ObjectNode o = arr.addObject();
            o.put("name", r.config().name());
            o.put("schedule", r.config().schedule() == null ? null : r.config().schedule().toString());
            o.put("fewer_steps_curve", r.config().fewerStepsCurve());
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
            putNumber(o, "full_step_ms", r.fullStepMillis());
            o.put("session_seconds", r.openSeconds());
            o.put("linked", r.config().linked());
            putNumber(o, "cache_step_ms", r.cacheStepMillis());
            double speedup = Stats.median(pairedSpeedups(base, r));
            double ideal = (double) base.macsPerSample() / r.macsPerSample();
            o.put("speedup", speedup);
            o.put("ideal_speedup", ideal);
            o.put("realized_share", speedup / ideal);
            o.put("outside_ort_share", r.overheadShare());
            putNumber(o, "psnr_db", r.quality().psnr());
            putNumber(o, "max_abs_diff", r.quality().maxAbsDiff());
            putNumber(o, "fd", r.quality().fd());
            BenchResult.FdIntervals fi = r.quality().fdIntervals();
            if (fi != null) {
                o.put("fd_low", fi.fd().low());
                o.put("fd_high", fi.fd().high());
                putComparison(o, "fd_vs_reference", fi.vsReference());
                putComparison(o, "fd_vs_fewer_steps", fi.vsFewerSteps());
                putComparison(o, "fd_vs_taylorseer", fi.vsTaylorSeer());
                if (!fi.onFirstSamples().isEmpty()) {
                    ObjectNode at = o.putObject("fd_on_first_samples");
                    for (java.util.Map.Entry<Integer, BenchResult.FdIntervals> e : fi.onFirstSamples().entrySet()) {
                        ObjectNode x = at.putObject(String.valueOf(e.getKey()));
                        x.put("fd", e.getValue().fd().value());
                        x.put("fd_low", e.getValue().fd().low());
                        x.put("fd_high", e.getValue().fd().high());
                        putComparison(x, "fd_vs_reference", e.getValue().vsReference());
                        putComparison(x, "fd_vs_fewer_steps", e.getValue().vsFewerSteps());
                    }
                }
            }
            o.put("psnr_images", r.quality().psnrImages());
            o.put("fd_images", r.quality().fdImages());
        }
        return root;
    }

    private static void putComparison(ObjectNode o, String key, BenchResult.FdComparison c) {
        if (c == null) {
            o.putNull(key);
            return;
        }
        ObjectNode x = o.putObject(key);
        x.put("against", c.against());
        x.put("difference", c.difference().value());
        x.put("low", c.difference().low());
        x.put("high", c.difference().high());
        x.put("relative", c.relative().value());
        x.put("relative_low", c.relative().low());
        x.put("relative_high", c.relative().high());
        x.put("decided", c.difference().excludesZero());
    }

    private static void putNumber(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    /** The chart points: latency and FD (or PSNR when FD was not measured). */
    public static List<QualityLatencyChart.Point> chartPoints(List<BenchResult> results, boolean useFd) {
        List<QualityLatencyChart.Point> points = new ArrayList<>();
        for (BenchResult r : results) {
            points.add(new QualityLatencyChart.Point(r.config().name(), r.median(),
                    useFd ? r.quality().fd() : r.quality().psnr(), r.config().fewerStepsCurve()));
        }
        return points;
    }

    /**
     * The FD chart's points: the configurations with an FD interval, at their share of the reference
     * configuration's layer evaluations removed (fewer steps remove whole evaluations).
     */
    public static List<FdComputeChart.Point> fdComputePoints(List<BenchResult> results, Benchmark.Settings s) throws UsageException {
        return fdPoints(results, s, (r, reference) -> r.quality().fdIntervals().fd());
    }

    /**
     * The FD-change chart's points: as {@link #fdComputePoints}, but each FD's excess over the reference
     * configuration's in percent with the paired interval; the reference itself at 0.
     */
    public static List<FdComputeChart.Point> fdChangePoints(List<BenchResult> results, Benchmark.Settings s) throws UsageException {
        return fdPoints(results, s, (r, reference) -> {
            BenchResult.FdComparison vs = r.quality().fdIntervals().vsReference();
            return r == reference ? new FdBootstrap.Interval(0, 0, 0, Benchmark.FD_LEVEL) : vs == null ? null : percent(vs.relative());
        });
    }

    /** One point per configuration with an FD interval whose {@code y} (given it and the reference) is not null. */
    private static List<FdComputeChart.Point> fdPoints(List<BenchResult> results, Benchmark.Settings s,
            java.util.function.BiFunction<BenchResult, BenchResult, FdBootstrap.Interval> y) throws UsageException {
        BenchResult reference = results.get(Benchmark.referenceIndex(results.stream().map(BenchResult::config).toList(),
                s.reference()));
        List<FdComputeChart.Point> points = new ArrayList<>();
        for (BenchResult r : results) {
            FdBootstrap.Interval v = r.quality().fdIntervals() == null ? null : y.apply(r, reference);
            if (v != null) {
                points.add(new FdComputeChart.Point(r.config().name(),
                        1 - (double) r.layerEvaluations() / reference.layerEvaluations(), v.value(), v.low(), v.high(),
                        r.config().fewerStepsCurve()));
            }
        }
        return points;
    }

    private static FdBootstrap.Interval percent(FdBootstrap.Interval relative) {
        return new FdBootstrap.Interval(100 * relative.value(), 100 * relative.low(), 100 * relative.high(),
                relative.level());
    }

    /** The FD of the configuration quality is measured against (NaN without FD). */
    public static double referenceFd(List<BenchResult> results, Benchmark.Settings s) throws UsageException {
        return results.get(Benchmark.referenceIndex(results.stream().map(BenchResult::config).toList(), s.reference()))
                .quality().fd();
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

}
