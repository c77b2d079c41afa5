package dev.l2c.learn;

import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.io.Progress;
import dev.l2c.metrics.Fidelity;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.Forecast;
import dev.l2c.schedule.ForecastSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleStep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Learns a forecast schedule: which evaluations refresh the layers, and how every other evaluation
 * forecasts them from their history, under a budget of compute removed.
 *
 * <h2>Objective</h2>
 * The mean squared difference between the final samples of the schedule and those of the full
 * sampler, over the calibration noise (seed, images, labels and guidance as {@link ScheduleLearner}'s),
 * every candidate measured by running the whole sampler with it ({@link ForecastRollout}): a forecast
 * is made from the values the run itself computed, however many evaluations old they are.
 *
 * <h2>Method ({@value #METHOD})</h2>
 * <ol>
 *   <li><b>Full steps</b>: the budget fixes how many evaluations m can compute every layer (the others
 *       compute none and forecast all). Placements of the m refreshes from a family that spaces them
 *       uniformly or denser towards either end (positions ⌊N·(i/m)^γ⌋), and from regular refreshes
 *       every 2, 3, … evaluations with the rest added early, late or spread, are measured; the best is
 *       improved by moving one refresh at a time one evaluation earlier or later, kept where the
 *       measured error falls. Forecasts in this phase follow the polynomial rule of the kind (taylor2's
 *       for learned).</li>
 *   <li><b>Partial refreshes</b>: budget the full steps leave over is spent on the (evaluation, layer)
 *       forecasts with the largest measured relative error per unit cost; kept only if the measured
 *       error of the final samples falls.</li>
 *   <li><b>Weights</b> ({@link ForecastKind#LEARNED}): fitted step by step by least squares
 *       ({@link ForecastRollout.Mode#FIT}: per layer, per step, or chosen on held-out images), each
 *       fit a rollout of its own; the schedule keeps whichever of these, taylor2's and taylor1's
 *       weights brings the final samples closest to the full sampler's.</li>
 * </ol>
 * Budget semantics are {@link ScheduleLearner}'s: the fraction of layer evaluations, or of MACs,
 * removed against N full evaluations; in MACs, the forecasts' own multiply-accumulates (one per weight
 * and element) count against it.
 */
public final class ForecastLearner {
    /** The method's name in provenance. */
    public static final String METHOD = "refresh-search+forecast";
    /** Exponents of the placement family: < 1 denser towards the end of sampling, > 1 towards the start. */
    private static final double[] SPACINGS = {0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0};
    /** The fits a learned schedule tries against its rule's weights. */
    private static final ForecastRollout.Mode[] FIT_MODES = {ForecastRollout.Mode.FIT, ForecastRollout.Mode.FIT_PER_LAYER,
            ForecastRollout.Mode.FIT_PER_STEP};

    /**
     * What learning produced.
     *
     * @param schedule          the schedule, forecasts and provenance included
     * @param calibrationMse    mean squared difference of its final samples from the full sampler's, calibration noise
     * @param proxyMse          the same for the refresh pattern with the fixed rule (before fitting weights)
     * @param rollouts          rollouts measured
     * @param modelEvaluations  model evaluations (ONNX Runtime runs)
     * @param seconds           wall time
     */
    public record Result(Schedule schedule, double calibrationMse, double proxyMse, int rollouts, long modelEvaluations,
                         double seconds, double achievedRemove) {
        public double calibrationPsnr() {
            return Fidelity.psnr(calibrationMse);
        }
    }

    private ForecastLearner() {
    }

    /** Learns a schedule with forecasts of {@code kind} (not {@link ForecastKind#REUSE}) under {@code options}' budget. */
    public static Result learn(LoadedModel model, LearnOptions options, ForecastKind kind) throws L2cException {
        if (kind == ForecastKind.REUSE) {
            throw new IllegalArgumentException("reuse schedules are learned by ScheduleLearner");
        }
        options.check();
        if (options.budget() == null) {
            throw new UsageException("--forecast " + kind.id + " learns under a budget: give --budget F (--lambda works with"
                    + " --forecast reuse)");
        }
        long start = System.nanoTime();
        LearningSetup setup = LearningSetup.of(model, options);
        Costs costs = Costs.of(setup, options);
        int n = setup.evaluations();
        int l = setup.layers().size();
        double allowed = (1 - options.budget()) * n * setup.fullUnits();
        int m = costs.fullStepsWithin(allowed, n);
        if (m < 1) {
            throw new UsageException(String.format(Locale.ROOT, "--budget %.4f cannot be met: the first evaluation must compute"
                    + " every layer, and with it the schedule already removes at most %.4f of the %s", options.budget(),
                    1 - costs.patternCost(1, n) / (n * setup.fullUnits()), options.budgetUnit()));
        }
        double[] times = setup.sampler().modelTimes();
        ForecastSchedules.Rule rule = (history, k) -> ForecastSchedules.polynomial(history, k, kind.order, times);
        List<int[]> family = placements(n, m);
        int planned = family.size() + 2 * (m - 1) + 2 + (kind == ForecastKind.LEARNED ? FIT_MODES.length + kind.order : 1);
        try (ForecastRollout rollout = new ForecastRollout(model, setup, options.runtime());
             Progress progress = Progress.start("learning (rollouts)", planned, options.progress())) {
            Search search = new Search(rollout, progress, n, l);
            search.reference = rollout.full();
            progress.step(0);
            // 1. where the m full evaluations go
            int[] best = null;
            double bestMse = Double.POSITIVE_INFINITY;
            for (int[] p : family) {
                double e = search.measure(fullAt(p, n, l), rule);
                if (e < bestMse) {
                    bestMse = e;
                    best = p;
                }
            }
            for (int i = 1; i < m; i++) {
                for (int move : new int[]{-1, 1}) {
                    int[] p = best.clone();
                    p[i] += move;
                    boolean fits = p[i] > p[i - 1] && (i + 1 == m ? p[i] < n : p[i] < p[i + 1]);
                    if (!fits) {
                        continue;
                    }
                    double e = search.measure(fullAt(p, n, l), rule);
                    if (e < bestMse) {
                        bestMse = e;
                        best = p;
                        break;
                    }
                }
            }
            boolean[][] computes = fullAt(best, n, l);
            // 2. partial refreshes with what the full steps leave of the budget
            double left = allowed - costs.cost(computes);
            if (left >= costs.cheapestLayer()) {
                ForecastRollout.Result measured = rollout.run(computes, rule, ForecastRollout.Mode.MEASURE);
                search.rollouts++;
                progress.step(0);
                boolean[][] extra = costs.spend(computes, measured.forecastError(), left);
                double e = search.measure(extra, rule);
                if (e < bestMse) {
                    bestMse = e;
                    computes = extra;
                }
            }
            // 3. the weights
            Forecast[][] forecasts;
            double finalMse;
            Map<String, Double> fitResults = new LinkedHashMap<>();
            String fit = null;
            if (kind == ForecastKind.LEARNED) {
                // taylor2's weights unless taylor1's or a fit measurably bring the final samples closer
                forecasts = rollout.run(computes, rule, ForecastRollout.Mode.FIXED).forecasts();
                search.rollouts++;
                finalMse = bestMse;
                fit = "taylor" + kind.order;
                fitResults.put(fit, bestMse);
                // the lower-order polynomial too: on long samplers (DDIM-50) extrapolating a line can beat a parabola
                for (int order = 1; order < kind.order; order++) {
                    int o = order;
                    ForecastSchedules.Rule lower = (history, k) -> ForecastSchedules.polynomial(history, k, o, times);
                    ForecastRollout.Result r = rollout.run(computes, lower, ForecastRollout.Mode.FIXED);
                    search.rollouts++;
                    progress.step(0);
                    double e = LearnMath.mse(r.samples(), search.reference);
                    fitResults.put("taylor" + o, e);
                    if (e < finalMse) {
                        finalMse = e;
                        forecasts = r.forecasts();
                        fit = "taylor" + o;
                    }
                }
                for (ForecastRollout.Mode mode : FIT_MODES) {
                    ForecastRollout.Result fitted = rollout.run(computes, rule, mode);
                    search.rollouts++;
                    progress.step(0);
                    double e = LearnMath.mse(fitted.samples(), search.reference);
                    fitResults.put(mode.name().toLowerCase(Locale.ROOT).replace('_', '-'), e);
                    if (e < finalMse) {
                        finalMse = e;
                        forecasts = fitted.forecasts();
                        fit = mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
                    }
                }
            } else {
                forecasts = rollout.run(computes, rule, ForecastRollout.Mode.FIXED).forecasts();
                search.rollouts++;
                finalMse = bestMse;
            }
            Schedule bare = schedule(computes, forecasts, setup.sampler().schedulePattern());
            double achieved = 1 - costs.cost(computes, forecasts) / (n * setup.fullUnits());
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, Object> p = provenance(setup, options, kind, achieved, bestMse, finalMse, search.rollouts,
                    rollout.evaluations(), seconds);
            if (fit != null) {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("chosen", fit);
                fitResults.forEach((name, e) -> f.put(name + "_mse", e));
                p.put("fit", f);
            }
            return new Result(bare.withProvenance(p), finalMse, bestMse, search.rollouts, rollout.evaluations(), seconds,
                    achieved);
        }
    }

    /** The rollouts of the search and the full sampler's final samples they are measured against. */
    private static final class Search {
        final ForecastRollout rollout;
        final Progress progress;
        final int n;
        final int l;
        float[] reference;
        int rollouts;
        final Map<String, Double> measured = new LinkedHashMap<>();

        Search(ForecastRollout rollout, Progress progress, int n, int l) {
            this.rollout = rollout;
            this.progress = progress;
            this.n = n;
            this.l = l;
        }

        /** Mean squared difference of the final samples from the full sampler's (each pattern measured once). */
        double measure(boolean[][] computes, ForecastSchedules.Rule rule) throws L2cException {
            String key = Arrays.deepToString(computes);
            Double known = measured.get(key);
            if (known != null) {
                return known;
            }
            long t0 = System.nanoTime();
            double e = LearnMath.mse(rollout.run(computes, rule, ForecastRollout.Mode.FIXED).samples(), reference);
            rollouts++;
            progress.step(System.nanoTime() - t0);
            measured.put(key, e);
            return e;
        }
    }

    /** Distinct placements of m full evaluations among n, evaluation 0 always one of them. */
    static List<int[]> placements(int n, int m) {
        Set<String> seen = new LinkedHashSet<>();
        List<int[]> out = new ArrayList<>();
        for (double gamma : SPACINGS) {
            int[] p = new int[m];
            for (int i = 0; i < m; i++) {
                int want = (int) Math.floor(n * Math.pow((double) i / m, gamma));
                int low = i == 0 ? 0 : p[i - 1] + 1;
                int high = n - (m - i);
                p[i] = Math.max(low, Math.min(high, want));
            }
            if (seen.add(Arrays.toString(p))) {
                out.add(p);
            }
        }
        // regular refreshes every N evaluations (FORA's grid) with the refreshes left over added at the
        // start, at the end, or spread between: the family above misses these when m is not n/N, and a
        // budget between two grid points then measured worse than the smaller one (35 % against 50 %)
        for (int interval = 2; interval < n; interval++) {
            int base = (n + interval - 1) / interval;
            if (base > m || 2 * base < m) {
                continue;
            }
            List<Integer> others = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                if (k % interval != 0) {
                    others.add(k);
                }
            }
            int extra = m - base;
            for (int variant = 0; variant < 3; variant++) {
                Set<Integer> chosen = new java.util.TreeSet<>();
                for (int k = 0; k < n; k += interval) {
                    chosen.add(k);
                }
                for (int e = 0; e < extra; e++) {
                    int index = switch (variant) {
                        case 0 -> e;
                        case 1 -> others.size() - 1 - e;
                        default -> (int) ((e + 0.5) * others.size() / extra);
                    };
                    chosen.add(others.get(index));
                }
                int[] p = chosen.stream().mapToInt(Integer::intValue).toArray();
                if (p.length == m && seen.add(Arrays.toString(p))) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static boolean[][] fullAt(int[] positions, int n, int l) {
        boolean[][] c = new boolean[n][l];
        for (int k : positions) {
            Arrays.fill(c[k], true);
        }
        return c;
    }

    private static Schedule schedule(boolean[][] computes, Forecast[][] forecasts, String pattern) {
        int l = computes[0].length;
        List<ScheduleStep> steps = new ArrayList<>();
        for (int k = 0; k < computes.length; k++) {
            int count = 0;
            for (boolean b : computes[k]) {
                count += b ? 1 : 0;
            }
            if (count == l) {
                steps.add(ScheduleStep.full(l));
                continue;
            }
            int[] computed = new int[count];
            Map<Integer, Forecast> f = new TreeMap<>();
            int c = 0;
            for (int j = 0; j < l; j++) {
                if (computes[k][j]) {
                    computed[c++] = j;
                } else {
                    f.put(j, forecasts[k][j]);
                }
            }
            steps.add(ScheduleStep.cache(computed).withForecasts(f));
        }
        return new Schedule(l, pattern, steps, Map.of(), List.of());
    }

    private static Map<String, Object> provenance(LearningSetup setup, LearnOptions options, ForecastKind kind,
                                                  double achieved, double proxyMse, double finalMse, int rollouts,
                                                  long evaluations, double seconds) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("source", "learned");
        p.put("method", METHOD);
        p.put("forecast", kind.id);
        p.put("model", setup.card().name());
        p.put("sampler", setup.sampler().name());
        p.put("step_pattern", "free");
        p.put("budget", options.budget());
        p.put("budget_unit", options.budgetUnit());
        p.put("achieved_remove", achieved);
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("images", options.images());
        cal.put("labels", setup.conditionDescription());
        cal.put("noise", "java.util.Random(seed).nextGaussian(), as l2c sample --seed");
        cal.put("seed", options.seed());
        cal.put("cfg", (double) setup.cfg());
        p.put("calibration", cal);
        p.put("objective", "MSE of the final samples against the full sampler's, calibration noise, measured by rollout");
        p.put("final_mse", finalMse);
        p.put("final_psnr_db", Fidelity.psnr(finalMse));
        p.put("rule_mse", proxyMse);
        p.put("rollouts", rollouts);
        p.put("model_evaluations", evaluations);
        p.put("seconds", seconds);
        return p;
    }

    /** What evaluations cost in the budget's unit, forecasts included when counting MACs. */
    private record Costs(double[] layer, double full, double nonLayer, double[] forecastPerWeight) {

        static Costs of(LearningSetup setup, LearnOptions options) {
            int l = setup.layers().size();
            double[] perWeight = new double[l];
            double layerSum = Arrays.stream(setup.cost()).sum();
            if (BaselineSchedules.UNIT_MACS.equals(options.budgetUnit())) {
                double mean = setup.layers().layers().stream().mapToLong(x -> x.macsPerSample()).average().orElse(1);
                for (int j = 0; j < l; j++) {
                    perWeight[j] = setup.layers().layer(j).type().shape().elementCount(1) / mean;
                }
            }
            return new Costs(setup.cost(), setup.fullUnits(), setup.fullUnits() - layerSum, perWeight);
        }

        /** Cost of m full evaluations and n − m that compute nothing and forecast every layer (order 2). */
        double patternCost(int m, int n) {
            double forecast = 0;
            for (double w : forecastPerWeight) {
                forecast += Forecast.MAX_HISTORY * w;
            }
            return m * full + (n - m) * (nonLayer + forecast);
        }

        /** The most full evaluations a pattern may have within {@code allowed}. */
        int fullStepsWithin(double allowed, int n) {
            int m = 0;
            while (m < n && patternCost(m + 1, n) <= allowed * (1 + 1e-12)) {
                m++;
            }
            return m;
        }

        double cheapestLayer() {
            return Arrays.stream(layer).min().orElse(1);
        }

        /** Cost with the forecasts' arithmetic counted at the deepest history (what the budget reserves). */
        double cost(boolean[][] computes) {
            double c = 0;
            for (boolean[] row : computes) {
                c += stepCost(row, null);
            }
            return c;
        }

        double cost(boolean[][] computes, Forecast[][] forecasts) {
            double c = 0;
            for (int k = 0; k < computes.length; k++) {
                c += stepCost(computes[k], forecasts[k]);
            }
            return c;
        }

        private double stepCost(boolean[] row, Forecast[] forecasts) {
            boolean all = true;
            double c = nonLayer;
            for (int j = 0; j < row.length; j++) {
                if (row[j]) {
                    c += layer[j];
                } else {
                    all = false;
                    int weights = forecasts == null ? Forecast.MAX_HISTORY : forecasts[j].macsPerElement();
                    c += weights * forecastPerWeight[j];
                }
            }
            return all ? full : c;
        }

        /** {@code computes} with extra layers computed where forecasts erred most per unit of cost, within {@code left}. */
        boolean[][] spend(boolean[][] computes, double[][] error, double left) {
            boolean[][] out = new boolean[computes.length][];
            List<double[]> candidates = new ArrayList<>();
            for (int k = 0; k < computes.length; k++) {
                out[k] = computes[k].clone();
                for (int j = 0; j < computes[k].length; j++) {
                    if (!computes[k][j] && Double.isFinite(error[k][j])) {
                        candidates.add(new double[]{error[k][j] / layer[j], k, j});
                    }
                }
            }
            candidates.sort((a, b) -> Double.compare(b[0], a[0]));
            for (double[] c : candidates) {
                int j = (int) c[2];
                if (layer[j] <= left) {
                    out[(int) c[1]][j] = true;
                    left -= layer[j];
                }
            }
            return out;
        }
    }
}
