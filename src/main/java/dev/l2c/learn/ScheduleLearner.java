package dev.l2c.learn;

import dev.l2c.analysis.LayerMap;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.UsageException;
import dev.l2c.io.Progress;
import dev.l2c.model.LoadedModel;
import dev.l2c.model.ModelCard;
import dev.l2c.runtime.ModelExecutor;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.ContinuousTimeSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleStep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Learns an L2C schedule directly on the ONNX graph with ONNX Runtime.
 *
 * <h2>Objective</h2>
 * L2C's: for each cache step k, the mean squared error E_k(S) between the model output when the
 * layers in S reuse their cached branch values and the full model output at that step, averaged
 * over calibration inputs; summed over the cache steps, plus a penalty λ per recomputed layer
 * (cost-weighted with MACs), or under a hard budget of compute removed over the whole schedule.
 * ({@link LearnOptions#X0} optionally weights each step by (σ_t/α_t)², the error of the predicted
 * x0; {@link LearnOptions#SAMPLE} by each step's measured gain into the final samples, which makes
 * the sum an estimate of the final samples' error: see {@code measureSampleGains}. Why: on the demo
 * DiT the unweighted sum spends the budget on early steps whose one-step errors are small but move
 * the final samples 2–6 times as much as at mid-trajectory, and 10⁴ times as much as at the last step.)
 * Calibration inputs are the states of a full sampling run from seeded Gaussian noise with
 * class-balanced labels (image i has label i mod classes, the noise of {@code l2c sample -n N --seed
 * S}), classifier-free guidance on the doubled batch as in sampling; no dataset is needed. A step's
 * input x_k always comes from that full trajectory; its cached values come from the schedule being
 * learned (for the L2C router pattern: the full step just before).
 *
 * <h2>Method ({@value #METHOD})</h2>
 * <ol>
 *   <li><b>Measure</b>, during the calibration run, at each cache step: the output with exactly
 *       one layer reused (v_j, L evaluations of the blend graph, {@link RoutingGraphs}); with every
 *       layer reused, and with every layer but one reused (w_j; graphs pruned to that one layer, a
 *       small fraction of a full evaluation each). They give two linear error models, one exact
 *       around "nothing reused" and one around "everything reused"; the prediction is the smaller
 *       ({@link StepSurrogate}). A few random sets are measured to check it. Why two: measured on the
 *       demo DiT (DDIM-20, 16 images), the single model around "nothing reused" that a plain
 *       linearisation gives overestimates the error of random sets about 20-fold (median relative
 *       error 6.6), because errors of reused layers do not add up; the two-anchor minimum has a
 *       median relative error of 0.10 (correlation 0.98).</li>
 *   <li><b>Allocate</b> on the model, without evaluations: per step, the best set found for each
 *       count of reused layers (greedy paths from both ends, then swaps); a budget is spread over
 *       the steps by an exact multiple-choice knapsack ({@link BudgetAllocation}); with λ, each
 *       step takes the set minimising its error plus λ·cost, polished by flips and swaps.</li>
 *   <li><b>Scores</b>: the relaxation min over [0,1]^L of min(A, B) − μ·cᵀs is the better of two
 *       convex box QPs, solved exactly ({@link StepSurrogate#relaxed}); its solution, as 1 − s (the
 *       score of computing each layer), is written as the schedule's router scores. μ = λ, or the
 *       μ at which the thresholded relaxed sets meet the budget.</li>
 *   <li><b>Refine with measured errors</b>: at each cache step, measure the chosen set, then try the
 *       swaps (and with λ or budget slack, flips) that a linear model anchored at the measured
 *       output predicts best, keeping those that lower the measured objective; {@code swapTrials}
 *       evaluations per step.</li>
 * </ol>
 * Deterministic for a seed, given ONNX Runtime's deterministic CPU kernels. The demo DiT with
 * DDIM-20 and 16 calibration images takes about 550 model evaluations, 2–4 minutes on two cores.
 */
public final class ScheduleLearner {
    /** The method's name in provenance. */
    public static final String METHOD = "two-anchor-linear+knapsack+swap";

    private ScheduleLearner() {
    }

    /** Learns a schedule for {@code model}. */
    public static LearnedSchedule learn(LoadedModel model, LearnOptions options) throws L2cException {
        options.check();
        Setup setup = Setup.of(model, options);
        setup.checkBudget(options);
        try (Run run = new Run(model, options, setup, -1)) {
            return run.learn();
        }
    }

    /**
     * Measures L2C's objective for given schedules of the model, with the same calibration as
     * {@link #learn} (run once for all of them): for each schedule, the mean squared error of the
     * model output at every cache step (a step that is not full) against the full model at that
     * step, indexed by evaluation (0 at full steps). Cached values come from the schedule itself
     * (the most recent evaluation that computed the layer), inputs from the full trajectory. Lets a
     * learned schedule and baselines be compared on the quantity the learner minimises. Only
     * {@code options}' sampler, NFE, calibration and runtime settings are used.
     */
    public static double[][] stepErrors(LoadedModel model, List<Schedule> schedules, LearnOptions options)
            throws L2cException {
        Setup setup = Setup.of(model, options);
        for (Schedule schedule : schedules) {
            if (schedule.layers() != model.layers().size() || schedule.nfe() != setup.sampler.evaluations()) {
                throw new MismatchException(null, "a schedule of " + schedule.nfe() + " evaluations and " + schedule.layers()
                        + " layers does not fit " + model.file().getFileName() + " with " + setup.sampler.name() + "-"
                        + setup.sampler.evaluations() + " (" + model.layers().size() + " layers)");
            }
        }
        // calibration only: no step is treated as a cache step while the trajectory runs
        Setup calibration = setup.withCacheSteps(new boolean[setup.sampler.evaluations()]);
        try (Run run = new Run(model, options, calibration, schedules.size())) {
            return run.measure(schedules);
        }
    }

    /** Everything fixed before any model evaluation. */
    private record Setup(ModelCard card, LayerMap layers, Sampler sampler, boolean[] isCacheStep, int[] cacheSteps,
                         double[] cost, double budgetUnits, double fullUnits, double[] weight, float cfg, float[] xT,
                         long[] labels) {

        static Setup of(LoadedModel model, LearnOptions o) throws L2cException {
            ModelCard card = model.card();
            Sampler sampler = card.sampler(o.sampler(), o.nfe(), o.clipX0() == null || o.clipX0());
            int n = sampler.evaluations();
            boolean[] isCache = new boolean[n];
            if (o.freePattern()) {
                Arrays.fill(isCache, 1, n, true);
            } else {
                for (int k : BaselineSchedules.l2cCacheSteps(n, sampler.schedulePattern())) {
                    isCache[k] = true;
                }
            }
            LayerMap layers = model.layers();
            int l = layers.size();
            double[] cost = new double[l];
            double fullUnits;
            if (BaselineSchedules.UNIT_MACS.equals(o.budgetUnit())) {
                double mean = layers.layers().stream().mapToLong(x -> x.macsPerSample()).average().orElse(1);
                if (!(mean > 0)) {
                    throw new UsageException("the layers of " + model.file().getFileName() + " have no counted MACs; use --budget-unit "
                            + BaselineSchedules.UNIT_LAYER_EVALUATIONS);
                }
                for (int j = 0; j < l; j++) {
                    cost[j] = layers.layer(j).macsPerSample() / mean;
                }
                fullUnits = layers.macsPerSampleFull() / mean;
            } else {
                Arrays.fill(cost, 1.0);
                fullUnits = l;
            }
            float cfg = o.cfg() != null ? o.cfg() : card.defaultCfg();
            int images = o.images();
            float[] xT = gaussian(o.seed(), images * card.sampleElements());
            long[] labels = new long[images];
            for (int i = 0; i < images; i++) {
                labels[i] = i % card.classes();
            }
            double[] weight = new double[n];
            ContinuousTimeSchedule time = new ContinuousTimeSchedule(card.noiseSchedule());
            double[] modelTimes = sampler.modelTimes();
            for (int k = 0; k < n; k++) {
                // SAMPLE: 1 until the learner measures the gains
                if (LearnOptions.X0.equals(o.weighting())) {
                    double t = time.timeOfModelTime(modelTimes[k]);
                    double ratio = time.sigma(t) / time.alpha(t);
                    weight[k] = ratio * ratio;
                } else {
                    weight[k] = 1;
                }
            }
            return new Setup(card, layers, sampler, isCache, indices(isCache), cost,
                    o.budget() == null ? 0 : o.budget() * n * fullUnits, fullUnits, weight, cfg, xT, labels);
        }

        /** Refuses, before any model evaluation, a budget that reusing everything at every cache step cannot meet. */
        void checkBudget(LearnOptions o) throws UsageException {
            if (o.budget() == null) {
                return;
            }
            double most = cacheSteps.length * Arrays.stream(cost).sum();
            if (budgetUnits > most + 1e-9 * most) {
                throw new UsageException(String.format(java.util.Locale.ROOT,
                        "--budget %.4f cannot be met: reusing every layer at every one of the %d cache steps removes only"
                                + " %.4f of the %s (use a smaller budget%s)", o.budget(), cacheSteps.length,
                        most / (sampler.evaluations() * fullUnits), o.budgetUnit(), o.freePattern() ? "" : " or --pattern free"));
            }
        }

        Setup withCacheSteps(boolean[] cache) {
            return new Setup(card, layers, sampler, cache.clone(), indices(cache), cost, budgetUnits, fullUnits, weight, cfg, xT,
                    labels);
        }

        int modelBatch() {
            return cfg != 1f ? 2 * labels.length : labels.length;
        }

        boolean nextIsCache(int k) {
            return k + 1 < isCacheStep.length && isCacheStep[k + 1];
        }

        private static int[] indices(boolean[] b) {
            int c = 0;
            for (boolean x : b) {
                c += x ? 1 : 0;
            }
            int[] out = new int[c];
            c = 0;
            for (int k = 0; k < b.length; k++) {
                if (b[k]) {
                    out[c++] = k;
                }
            }
            return out;
        }
    }

    /** The same noise as {@code l2c sample --seed S}: Java's seeded Gaussian generator, in order. */
    static float[] gaussian(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /**
     * What was measured at one cache step: its input, the full output, the single-layer deltas
     * around both anchors (v_j: reuse only j; w_j: compute only j, from everything reused) and the
     * error model built from them.
     */
    private record StepModel(int step, ModelInput input, float[] fullOutput, float[][] reuseOne, float[][] computeOne,
                             float[] allReusedError, StepSurrogate surrogate) {
    }

    /** One learning (or measuring) run: the sessions, the two branch caches and the progress bar. */
    private static final class Run implements AutoCloseable {
        private final LearnOptions options;
        private final Setup setup;
        private final RoutingEvaluator evaluator;
        private BranchCache previous;
        private BranchCache current;
        private final Progress progress;
        private final int layerCount;
        private final ModelInput[] inputs;
        private final float[][] fullOutputs;
        private final StepModel[] models;
        private final List<LearnedSchedule.Pair> randomPairs = new ArrayList<>();
        private final List<LearnedSchedule.Pair> chosenPairs = new ArrayList<>();
        private final List<LearnedSchedule.Pair> swapPairs = new ArrayList<>();
        private final long[] stepNanos;
        private final int[] stepEvaluations;
        private final boolean learning;
        private final int schedulesToMeasure;
        /** Each step's weight in the objective: the setup's, or measured gains ({@link LearnOptions#SAMPLE}). */
        private double[] weight;
        /** The final samples of the full calibration run. */
        private float[] fullSamples;
        /** With {@link LearnOptions#SAMPLE}: how the cache steps' errors reach the final samples. */
        private SampleErrorModel sampleModel;

        /** @param schedulesToMeasure −1 to learn, else how many schedules {@link #measure} will get */
        Run(LoadedModel model, LearnOptions options, Setup setup, int schedulesToMeasure) throws L2cException {
            this.options = options;
            this.setup = setup;
            this.learning = schedulesToMeasure < 0;
            this.schedulesToMeasure = schedulesToMeasure;
            this.weight = setup.weight.clone();
            this.layerCount = setup.layers.size();
            int n = setup.sampler.evaluations();
            this.inputs = new ModelInput[n];
            this.fullOutputs = new float[n][];
            this.models = new StepModel[n];
            this.stepNanos = new long[n];
            this.stepEvaluations = new int[n];
            this.evaluator = new RoutingEvaluator(model, setup.modelBatch(), options.runtime());
            BranchCache a = null;
            try {
                a = evaluator.newCache();
                this.previous = a;
                this.current = evaluator.newCache();
            } catch (L2cException | RuntimeException e) {
                if (a != null) {
                    a.close();
                }
                evaluator.close();
                throw e;
            }
            this.progress = Progress.start(learning ? "learning" : "measuring", plannedEvaluations(), options.progress());
        }

        /** Model evaluations the run will make at most (the progress bar's length). */
        private long plannedEvaluations() {
            int n = setup.sampler.evaluations();
            int c = setup.cacheSteps.length;
            long probes = 0;
            long updates = 0;
            for (int k = 0; k < n; k++) {
                if (setup.nextIsCache(k)) {
                    if (setup.isCacheStep[k]) {
                        updates++;
                    } else {
                        probes++;
                    }
                }
            }
            if (!learning) {
                // a cache step and the step before it, at most, per step and schedule
                return n + (long) schedulesToMeasure * 2 * n;
            }
            long gains = 0;
            if (LearnOptions.SAMPLE.equals(options.weighting())) {
                for (int k : setup.cacheSteps) {
                    gains += n - 1 - k;
                }
            }
            return n + (long) c * (2 * layerCount + 1 + options.checkSets()) + probes + (long) c * (1 + options.swapTrials())
                    + updates + gains;
        }

        private void stepped(int k, long nanos) {
            stepNanos[k] += nanos;
            stepEvaluations[k]++;
            progress.step(nanos);
        }

        // ------------------------------------------------------------------------------------
        // Phase 1: the calibration trajectory (and, when learning, the single-layer measurements)

        private void calibrate() throws L2cException {
            fullSamples = runSampler((k, in) -> {
                inputs[k] = in;
                long t0 = System.nanoTime();
                boolean keep = setup.nextIsCache(k);
                float[] out = evaluator.probe(in, keep ? current : null);
                stepped(k, System.nanoTime() - t0);
                fullOutputs[k] = out;
                if (setup.isCacheStep[k]) {
                    if (learning) {
                        models[k] = measureLayers(k, in, out, previous);
                    }
                }
                if (keep) {
                    BranchCache t = previous;
                    previous = current;
                    current = t;
                }
                return out;
            });
        }

        /** One model evaluation of a sampler run driven by the learner: evaluation index and input. */
        @FunctionalInterface
        private interface Evaluation {
            float[] evaluate(int evaluation, ModelInput in) throws L2cException;
        }

        /** The final samples of a sampler run over the calibration noise and labels, each evaluation answered by {@code f}. */
        private float[] runSampler(Evaluation f) throws L2cException {
            ModelExecutor executor = new ModelExecutor() {
                @Override
                public float[] evaluate(int k, float[] x, int batch, double timestep, long[] labels) throws L2cException {
                    return f.evaluate(k, new ModelInput(Arrays.copyOf(x, batch * setup.card.sampleElements()), timestep,
                            labels.clone()));
                }

                @Override
                public void reset() {
                }

                @Override
                public int evaluations() {
                    return -1;
                }

                @Override
                public long runNanos() {
                    return evaluator.runNanos();
                }

                @Override
                public void close() {
                }
            };
            try (Progress none = Progress.start("", 1, false)) {
                return SampleRun.run(executor, setup.card, setup.sampler,
                        new SampleRun.Request(setup.xT, setup.labels, setup.cfg), none).samples();
            }
        }

        /** The single-layer deltas around both anchors at cache step k, their error model, and the random-set checks. */
        private StepModel measureLayers(int k, ModelInput in, float[] full, BranchCache cached) throws L2cException {
            int l = layerCount;
            float[][] reuseOne = new float[l][];
            for (int j = 0; j < l; j++) {
                float[] mask = new float[l];
                mask[j] = 1;
                long t0 = System.nanoTime();
                float[] out = evaluator.blend(in, cached, mask, null);
                stepped(k, System.nanoTime() - t0);
                reuseOne[j] = difference(out, full);
            }
            long t0 = System.nanoTime();
            float[] allReused = evaluator.reuseAllBut(in, cached, -1);
            stepped(k, System.nanoTime() - t0);
            float[] dAll = difference(allReused, full);
            float[][] computeOne = new float[l][];
            for (int j = 0; j < l; j++) {
                t0 = System.nanoTime();
                float[] out = evaluator.reuseAllBut(in, cached, j);
                stepped(k, System.nanoTime() - t0);
                computeOne[j] = difference(out, allReused);
            }
            double n = full.length;
            double[][] g = gram(reuseOne, n);
            double[][] h = gram(computeOne, n);
            double[] hd = new double[l];
            for (int j = 0; j < l; j++) {
                hd[j] = dot(dAll, computeOne[j]) / n;
            }
            StepSurrogate surrogate = new StepSurrogate(g, h, hd, sumSquares(dAll) / n);
            SplittableRandom random = new SplittableRandom(options.seed() * 1_000_003L + k);
            for (int c = 0; c < options.checkSets(); c++) {
                boolean[] set = randomSet(random, l);
                t0 = System.nanoTime();
                float[] out = evaluator.blend(in, cached, mask(set), null);
                stepped(k, System.nanoTime() - t0);
                randomPairs.add(pair(k, surrogate, set, surrogate.predict(set), mse(out, full)));
            }
            return new StepModel(k, in, full, reuseOne, computeOne, dAll, surrogate);
        }

        private static LearnedSchedule.Pair pair(int k, StepSurrogate m, boolean[] set, double predicted, double measured) {
            return new LearnedSchedule.Pair(k, count(set), m.fromNone(set), m.fromAll(set), predicted, measured);
        }

        private static double[][] gram(float[][] vectors, double n) {
            int l = vectors.length;
            double[][] g = new double[l][l];
            for (int i = 0; i < l; i++) {
                for (int j = 0; j <= i; j++) {
                    double d = dot(vectors[i], vectors[j]) / n;
                    g[i][j] = d;
                    g[j][i] = d;
                }
            }
            return g;
        }

        /** A uniformly random subset of uniformly random size 1..L−1 (all sizes equally likely). */
        private static boolean[] randomSet(SplittableRandom random, int l) {
            int size = l == 1 ? 1 : 1 + random.nextInt(l - 1);
            int[] order = new int[l];
            Arrays.setAll(order, j -> j);
            for (int j = l - 1; j > 0; j--) {
                int o = random.nextInt(j + 1);
                int t = order[j];
                order[j] = order[o];
                order[o] = t;
            }
            boolean[] set = new boolean[l];
            for (int i = 0; i < size; i++) {
                set[order[i]] = true;
            }
            return set;
        }

        /**
         * The {@link SampleErrorModel}: per cache step k, the change of the final samples when the
         * error of reusing every layer at k is added to the model output at k (the calibration run
         * replayed, later evaluations computed in full from the perturbed states), and the products
         * of those changes between steps. Replayed evaluations before k cost nothing: their inputs
         * are the calibration run's.
         */
        private SampleErrorModel measureSampleErrorModel() throws L2cException {
            int[] steps = setup.cacheSteps;
            double[] allMse = new double[steps.length];
            float[][] change = new float[steps.length][];
            for (int i = 0; i < steps.length; i++) {
                float[] error = models[steps[i]].allReusedError();
                allMse[i] = sumSquares(error) / error.length;
                change[i] = allMse[i] > 0 ? difference(replayWithError(steps[i], error), fullSamples)
                        : new float[fullSamples.length];
            }
            double[][] cross = gram(change, fullSamples.length);
            return new SampleErrorModel(steps.clone(), allMse, cross);
        }

        /** Per-step weights from the gains; a step whose error does not reach the samples still may not be free. */
        private double[] gainWeights(SampleErrorModel m) {
            double[] w = new double[setup.sampler.evaluations()];
            double largest = 0;
            for (int i = 0; i < m.steps().length; i++) {
                largest = Math.max(largest, m.gain(i));
            }
            // the penalty is divided by the weight: keep it positive
            double floor = largest > 0 ? largest * 1e-6 : 1;
            for (int i = 0; i < m.steps().length; i++) {
                w[m.steps()[i]] = Math.max(m.gain(i), floor);
            }
            return w;
        }

        /** The final samples of the calibration run with {@code error} added to the model output at evaluation k. */
        private float[] replayWithError(int k, float[] error) throws L2cException {
            return runSampler((e, in) -> {
                if (e < k) {
                    return fullOutputs[e].clone();
                }
                if (e == k) {
                    float[] out = fullOutputs[e].clone();
                    for (int i = 0; i < out.length; i++) {
                        out[i] += error[i];
                    }
                    return out;
                }
                long t0 = System.nanoTime();
                float[] out = evaluator.probe(in, null);
                stepped(e, System.nanoTime() - t0);
                return out;
            });
        }

        // ------------------------------------------------------------------------------------
        // Learning

        LearnedSchedule learn() throws L2cException {
            long start = System.nanoTime();
            calibrate();
            if (LearnOptions.SAMPLE.equals(options.weighting())) {
                sampleModel = measureSampleErrorModel();
                weight = gainWeights(sampleModel);
            }
            int[] cacheSteps = setup.cacheSteps;
            double[] cost = setup.cost;
            double mu;
            double[][] scores = new double[cacheSteps.length][];
            boolean[][] sets = new boolean[cacheSteps.length][];
            List<List<BudgetAllocation.Candidate>> candidates = new ArrayList<>();
            for (int k : cacheSteps) {
                StepSurrogate m = models[k].surrogate;
                List<BudgetAllocation.Candidate> cs = new ArrayList<>();
                for (boolean[] set : m.bestBySize()) {
                    cs.add(new BudgetAllocation.Candidate(set, StepSurrogate.removed(set, cost), weight[k] * m.predict(set)));
                }
                candidates.add(cs);
            }
            if (options.lambda() != null) {
                mu = options.lambda();
                int[] chosen = new int[cacheSteps.length];
                for (int i = 0; i < cacheSteps.length; i++) {
                    List<BudgetAllocation.Candidate> cs = candidates.get(i);
                    for (int c = 1; c < cs.size(); c++) {
                        BudgetAllocation.Candidate best = cs.get(chosen[i]);
                        if (cs.get(c).predicted() - mu * cs.get(c).removed() < best.predicted() - mu * best.removed()) {
                            chosen[i] = c;
                        }
                    }
                }
                if (sampleModel != null) {
                    chosen = CoupledAllocation.improve(candidates, stepMse(candidates), chosen, Double.NaN, mu, sampleModel);
                }
                for (int i = 0; i < cacheSteps.length; i++) {
                    StepSurrogate m = models[cacheSteps[i]].surrogate;
                    // weighted error − λ·removed is w·(error − (λ/w)·removed)
                    double stepMu = mu / weight[cacheSteps[i]];
                    sets[i] = m.polish(candidates.get(i).get(chosen[i]).reused(), cost, stepMu);
                    scores[i] = m.relaxed(cost, stepMu);
                }
            } else {
                int[] chosen = BudgetAllocation.allocate(candidates, setup.budgetUnits);
                if (sampleModel != null) {
                    chosen = CoupledAllocation.improve(candidates, stepMse(candidates), chosen, setup.budgetUnits, 0, sampleModel);
                }
                for (int i = 0; i < cacheSteps.length; i++) {
                    sets[i] = candidates.get(i).get(chosen[i]).reused();
                }
                mu = scoreMultiplier(cacheSteps, cost, setup.budgetUnits);
                for (int i = 0; i < cacheSteps.length; i++) {
                    scores[i] = models[cacheSteps[i]].surrogate.relaxed(cost, mu / weight[cacheSteps[i]]);
                }
            }
            double slack = 0;
            for (boolean[] set : sets) {
                slack += StepSurrogate.removed(set, cost);
            }
            slack -= setup.budgetUnits;
            // Phase 3: walk the steps in order with the caches the schedule really has, refining each cache step.
            double[] allocatedMse = new double[setup.sampler.evaluations()];
            double[] finalMse = new double[setup.sampler.evaluations()];
            boolean[][] byStep = new boolean[setup.sampler.evaluations()][];
            for (int i = 0; i < cacheSteps.length; i++) {
                byStep[cacheSteps[i]] = sets[i];
            }
            for (int k = 0; k < setup.sampler.evaluations(); k++) {
                if (!setup.isCacheStep[k]) {
                    if (setup.nextIsCache(k)) {
                        long t0 = System.nanoTime();
                        evaluator.probe(inputs[k], previous);
                        stepped(k, System.nanoTime() - t0);
                    }
                    continue;
                }
                Refined r = refine(models[k], byStep[k], slack);
                slack = r.slack;
                byStep[k] = r.set;
                allocatedMse[k] = r.allocatedMse;
                finalMse[k] = r.mse;
                if (setup.nextIsCache(k)) {
                    updateCaches(k, r.set);
                }
            }
            progress.close();
            return result(start, mu, scores, byStep, allocatedMse, finalMse);
        }

        /** Per cache step and candidate, the predicted output MSE without the step's weight. */
        private double[][] stepMse(List<List<BudgetAllocation.Candidate>> candidates) {
            double[][] e = new double[candidates.size()][];
            for (int i = 0; i < e.length; i++) {
                StepSurrogate m = models[setup.cacheSteps[i]].surrogate;
                e[i] = candidates.get(i).stream().mapToDouble(c -> m.predict(c.reused())).toArray();
            }
            return e;
        }

        /**
         * The multiplier μ at which the relaxed problems' thresholded solutions (scores &gt; ½) remove
         * the budget in total, by bisection; it sets the router scores reported with a budget.
         */
        private double scoreMultiplier(int[] cacheSteps, double[] cost, double target) {
            if (target <= 0) {
                return 0;
            }
            double lo = 0;
            double hi = 1e-12;
            for (int it = 0; it < 200 && removedAt(cacheSteps, cost, hi) < target; it++) {
                hi *= 2;
            }
            for (int it = 0; it < 100; it++) {
                double mid = 0.5 * (lo + hi);
                if (removedAt(cacheSteps, cost, mid) >= target) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            return hi;
        }

        private double removedAt(int[] cacheSteps, double[] cost, double mu) {
            double r = 0;
            for (int k : cacheSteps) {
                double[] s = models[k].surrogate.relaxed(cost, mu / weight[k]);
                for (int j = 0; j < s.length; j++) {
                    if (s[j] > 0.5) {
                        r += cost[j];
                    }
                }
            }
            return r;
        }

        private record Refined(boolean[] set, double allocatedMse, double mse, double slack) {
        }

        /**
         * Measured-error local search at one cache step, from the allocated set. Moves are priced by
         * a linear model anchored at the measured output of the current set, d_S: reusing layer j
         * adds z_j to it and computing it subtracts z_j, with z_j = v_j (the model around nothing
         * reused) or −w_j (around everything reused), whichever predicted the current set's error
         * better. The best predicted move is measured and kept when the measured objective improves.
         */
        private Refined refine(StepModel m, boolean[] start, double slackIn) throws L2cException {
            int k = m.step;
            int l = layerCount;
            double n = m.fullOutput.length;
            double[] cost = setup.cost;
            // the step's weight only matters against the penalty: compare weighted error with λ·cost
            double lambda = options.lambda() == null ? 0 : options.lambda() / weight[k];
            boolean budgeted = options.lambda() == null;
            StepSurrogate sur = m.surrogate;
            boolean[] set = start.clone();
            float[] d = measure(k, m, set);
            double err = sumSquares(d) / n;
            chosenPairs.add(pair(k, sur, set, sur.predict(set), err));
            double allocated = err;
            double slack = slackIn;
            int trials = 0;
            java.util.Set<Long> tried = new java.util.HashSet<>();
            // with a budget, nothing improves on a step that reuses nothing (its error is zero)
            boolean done = budgeted && count(set) == 0;
            while (!done && trials < options.swapTrials()) {
                // the model around nothing reused is exact when nothing is (and the error is 0)
                boolean aroundNone = count(set) == 0 || !(err > 0)
                        || Math.abs(Math.log(sur.fromNone(set) / err)) <= Math.abs(Math.log(sur.fromAll(set) / err));
                float[][] z = aroundNone ? m.reuseOne : m.computeOne;
                double sign = aroundNone ? 1 : -1;
                double[][] zz = aroundNone ? sur.g : sur.h;
                double[] dz = new double[l];
                for (int j = 0; j < l; j++) {
                    dz[j] = sign * dot(d, z[j]) / n;
                }
                // the best predicted untried move, even when no move is predicted to help: the
                // predictions are approximate, and the trials are budgeted anyway
                double bestGain = Double.NEGATIVE_INFINITY;
                int out = -1;
                int in = -1;
                double bestPredicted = 0;
                // out: a reused layer that becomes computed; in: a computed layer that becomes reused
                for (int a = -1; a < l; a++) {
                    if (a >= 0 && !set[a]) {
                        continue;
                    }
                    for (int b = -1; b < l; b++) {
                        if ((b >= 0 && set[b]) || (a < 0 && b < 0)) {
                            continue;
                        }
                        double removedChange = (b >= 0 ? cost[b] : 0) - (a >= 0 ? cost[a] : 0);
                        // with a budget, no move may take the removed total below the target
                        if (budgeted && slack + removedChange < -1e-9) {
                            continue;
                        }
                        if (tried.contains(((long) a << 32) ^ (b & 0xffffffffL))) {
                            continue;
                        }
                        double predicted = err;
                        if (a >= 0) {
                            predicted += -2 * dz[a] + zz[a][a];
                        }
                        if (b >= 0) {
                            predicted += 2 * dz[b] + zz[b][b];
                        }
                        if (a >= 0 && b >= 0) {
                            predicted -= 2 * zz[a][b];
                        }
                        double gain = (err - predicted) + lambda * removedChange;
                        if (gain > bestGain) {
                            bestGain = gain;
                            out = a;
                            in = b;
                            bestPredicted = predicted;
                        }
                    }
                }
                if (out < 0 && in < 0) {
                    break;
                }
                boolean[] candidate = set.clone();
                if (out >= 0) {
                    candidate[out] = false;
                }
                if (in >= 0) {
                    candidate[in] = true;
                }
                float[] dc = measure(k, m, candidate);
                trials++;
                double errC = sumSquares(dc) / n;
                swapPairs.add(pair(k, sur, candidate, bestPredicted, errC));
                double removedChange = (in >= 0 ? cost[in] : 0) - (out >= 0 ? cost[out] : 0);
                if (errC - lambda * removedChange < err) {
                    set = candidate;
                    d = dc;
                    err = errC;
                    slack += removedChange;
                    tried.clear();
                } else {
                    tried.add(((long) out << 32) ^ (in & 0xffffffffL));
                }
            }
            // keep the bar honest when the search ends early
            for (int t = trials; t < options.swapTrials(); t++) {
                progress.step(0);
            }
            return new Refined(set, allocated, err, slack);
        }

        /** out(S) − out(full) at step k, measured. */
        private float[] measure(int k, StepModel m, boolean[] set) throws L2cException {
            long t0 = System.nanoTime();
            float[] out = evaluator.blend(m.input, previous, mask(set), null);
            stepped(k, System.nanoTime() - t0);
            return difference(out, m.fullOutput);
        }

        /** After cache step k, layers it computed take their fresh values; the others keep theirs. */
        private void updateCaches(int k, boolean[] reused) throws L2cException {
            long t0 = System.nanoTime();
            evaluator.blend(inputs[k], previous, mask(reused), current);
            stepped(k, System.nanoTime() - t0);
            for (int j = 0; j < layerCount; j++) {
                if (!reused[j]) {
                    previous.copyFrom(current, j);
                }
            }
        }

        private LearnedSchedule result(long start, double mu, double[][] scores, boolean[][] byStep, double[] allocatedMse,
                                       double[] finalMse) {
            int n = setup.sampler.evaluations();
            int l = layerCount;
            double lambda = options.lambda() == null ? 0 : options.lambda();
            List<ScheduleStep> steps = new ArrayList<>();
            List<float[]> scoreList = new ArrayList<>(Collections.nCopies(n, (float[]) null));
            List<LearnedSchedule.StepReport> reports = new ArrayList<>();
            List<Object> objectivePerStep = new ArrayList<>();
            double objective = 0;
            int ci = 0;
            for (int k = 0; k < n; k++) {
                if (!setup.isCacheStep[k]) {
                    steps.add(ScheduleStep.full(l));
                    continue;
                }
                boolean[] reused = byStep[k];
                int[] computed = new int[l - count(reused)];
                double computedCost = 0;
                int c = 0;
                for (int j = 0; j < l; j++) {
                    if (!reused[j]) {
                        computed[c++] = j;
                        computedCost += setup.cost[j];
                    }
                }
                steps.add(ScheduleStep.cache(computed));
                float[] s = new float[l];
                for (int j = 0; j < l; j++) {
                    // router convention: the score of computing the layer (1 − the relaxed reuse indicator)
                    s[j] = (float) (1 - scores[ci][j]);
                }
                scoreList.set(k, s);
                double penalty = lambda * computedCost;
                objective += weight[k] * finalMse[k] + penalty;
                reports.add(new LearnedSchedule.StepReport(k, setup.sampler.modelTimes()[k], computed.length,
                        models[k].surrogate.predict(reused), allocatedMse[k], finalMse[k], penalty,
                        stepEvaluations[k], stepNanos[k] / 1e9));
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("step", k);
                o.put("computed", computed.length);
                o.put("mse", finalMse[k]);
                o.put("mse_predicted", models[k].surrogate.predict(reused));
                o.put("mse_allocated", allocatedMse[k]);
                o.put("weight", weight[k]);
                o.put("penalty", penalty);
                objectivePerStep.add(o);
                ci++;
            }
            Schedule bare = new Schedule(l, setup.sampler.schedulePattern(), steps, Map.of(), scoreList);
            double achieved = achievedRemove(bare);
            double seconds = (System.nanoTime() - start) / 1e9;
            LearnedSchedule.Agreement agreement = new LearnedSchedule.Agreement(randomPairs, chosenPairs, swapPairs);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("source", "learned");
            p.put("method", METHOD);
            p.put("model", setup.card.name());
            p.put("sampler", setup.sampler.name());
            p.put("step_pattern", options.freePattern() ? "free" : "l2c");
            if (options.lambda() != null) {
                p.put("lambda", options.lambda());
            } else {
                p.put("budget", options.budget());
            }
            p.put("budget_unit", options.budgetUnit());
            p.put("weighting", options.weighting());
            p.put("achieved_remove", achieved);
            p.put("mu", mu);
            Map<String, Object> cal = new LinkedHashMap<>();
            cal.put("images", options.images());
            cal.put("labels", "class-balanced (i mod " + setup.card.classes() + ")");
            cal.put("noise", "java.util.Random(seed).nextGaussian");
            cal.put("seed", options.seed());
            cal.put("cfg", (double) setup.cfg);
            p.put("calibration", cal);
            p.put("seed", options.seed());
            p.put("check_sets", options.checkSets());
            p.put("swap_trials", options.swapTrials());
            if (sampleModel != null) {
                // what the allocation minimised: the final samples' predicted MSE, cross-step terms included
                double[] e = new double[setup.cacheSteps.length];
                double penalties = 0;
                for (int i = 0; i < e.length; i++) {
                    e[i] = finalMse[setup.cacheSteps[i]];
                }
                for (Object o : objectivePerStep) {
                    penalties += (Double) ((Map<?, ?>) o).get("penalty");
                }
                double diagonal = objective - penalties;
                objective = sampleModel.predict(e) + penalties;
                Map<String, Object> sm = new LinkedHashMap<>();
                sm.put("final_mse_predicted", sampleModel.predict(e));
                sm.put("final_mse_without_cross_terms", diagonal);
                List<Double> neighbours = new ArrayList<>();
                for (int i = 0; i + 1 < e.length; i++) {
                    neighbours.add(Math.round(sampleModel.correlation(i, i + 1) * 1000) / 1000.0);
                }
                sm.put("neighbour_correlation", neighbours);
                p.put("sample_error_model", sm);
            }
            p.put("objective", objective);
            p.put("objective_per_step", objectivePerStep);
            Map<String, Object> lin = new LinkedHashMap<>();
            lin.put("random_sets", agreementJson(agreement.randomSets()));
            lin.put("chosen_sets", agreementJson(agreement.chosenSets()));
            lin.put("swaps_anchored", agreementJson(agreement.swaps()));
            p.put("linearisation", lin);
            p.put("scores", "per cache step, 1 - s* of the relaxed problem at mu: the score of computing each layer (threshold 0.5)");
            p.put("model_evaluations", evaluator.runs());
            p.put("seconds", Math.round(seconds * 10) / 10.0);
            Schedule schedule = bare.withProvenance(p);
            return new LearnedSchedule(schedule, reports, agreement, objective, mu, achieved, seconds, evaluator.runs());
        }

        private double achievedRemove(Schedule s) {
            double removed = 0;
            for (int k = 0; k < s.nfe(); k++) {
                ScheduleStep st = s.step(k);
                if (st.full()) {
                    continue;
                }
                double c = 0;
                for (int j : st.computed()) {
                    c += setup.cost[j];
                }
                removed += Arrays.stream(setup.cost).sum() - c;
            }
            return removed / (s.nfe() * setup.fullUnits);
        }

        private static Map<String, Object> agreementJson(List<LearnedSchedule.Pair> pairs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("count", pairs.size());
            if (pairs.isEmpty()) {
                return m;
            }
            m.put("predicted", agreementJson(pairs, LearnedSchedule.Pair::predicted));
            m.put("from_none", agreementJson(pairs, LearnedSchedule.Pair::fromNone));
            m.put("from_all", agreementJson(pairs, LearnedSchedule.Pair::fromAll));
            return m;
        }

        private static Map<String, Object> agreementJson(List<LearnedSchedule.Pair> pairs,
                                                         java.util.function.ToDoubleFunction<LearnedSchedule.Pair> f) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (pairs.size() >= 2) {
                m.put("correlation", round(LearnedSchedule.Agreement.correlation(pairs, f)));
            }
            m.put("median_relative_error", round(LearnedSchedule.Agreement.medianRelativeError(pairs, f)));
            m.put("measured_over_predicted", round(LearnedSchedule.Agreement.measuredOverPredicted(pairs, f)));
            return m;
        }

        private static double round(double v) {
            return Double.isFinite(v) ? Math.round(v * 1e4) / 1e4 : 0;
        }

        // ------------------------------------------------------------------------------------
        // Measuring a given schedule

        double[][] measure(List<Schedule> schedules) throws L2cException {
            calibrate();
            double[][] all = new double[schedules.size()][];
            for (int i = 0; i < schedules.size(); i++) {
                all[i] = walk(schedules.get(i));
            }
            progress.close();
            return all;
        }

        /** Per-step errors of one schedule, walking its steps in order with the caches it really has. */
        private double[] walk(Schedule schedule) throws L2cException {
            int n = schedule.nfe();
            double[] errors = new double[n];
            for (int k = 0; k < n; k++) {
                boolean nextIsCache = k + 1 < n && !schedule.step(k + 1).full();
                if (schedule.step(k).full()) {
                    if (nextIsCache) {
                        long t0 = System.nanoTime();
                        evaluator.probe(inputs[k], previous);
                        stepped(k, System.nanoTime() - t0);
                    }
                    continue;
                }
                boolean[] reused = new boolean[layerCount];
                for (int j = 0; j < layerCount; j++) {
                    reused[j] = !schedule.step(k).computes(j);
                }
                long t0 = System.nanoTime();
                float[] out = evaluator.blend(inputs[k], previous, mask(reused), null);
                stepped(k, System.nanoTime() - t0);
                errors[k] = mse(out, fullOutputs[k]);
                if (nextIsCache) {
                    updateCaches(k, reused);
                }
            }
            return errors;
        }

        @Override
        public void close() {
            progress.close();
            previous.close();
            current.close();
            evaluator.close();
        }
    }

    // ----------------------------------------------------------------------------------------
    // Small numerics

    static float[] mask(boolean[] reused) {
        float[] m = new float[reused.length];
        for (int j = 0; j < reused.length; j++) {
            m[j] = reused[j] ? 1f : 0f;
        }
        return m;
    }

    static int count(boolean[] s) {
        int c = 0;
        for (boolean b : s) {
            c += b ? 1 : 0;
        }
        return c;
    }

    static float[] difference(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    static double sumSquares(float[] a) {
        return dot(a, a);
    }

    static double mse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s / a.length;
    }
}
