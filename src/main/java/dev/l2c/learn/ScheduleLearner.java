package dev.l2c.learn;

import dev.l2c.error.L2cException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleCompatibility;
import dev.l2c.schedule.ScheduleStep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.l2c.learn.LearnMath.count;
import static dev.l2c.learn.LearnMath.mse;

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
 *
 * <h2>Where each phase lives</h2>
 * {@link LearningSetup} (fixed before any evaluation), {@link LearningSession} (sessions, caches,
 * per-step timing), {@link CalibrationTrajectory} with {@link LayerProbes} (phase 1),
 * {@link SampleGains} (the sample weighting), {@link ScheduleAllocation} (phases 2 and 3),
 * {@link MeasuredRefinement} (phase 4) and {@link LearningReport} (the typed provenance); this
 * class runs them in order.
 */
public final class ScheduleLearner {
    /** The method's name in provenance. */
    public static final String METHOD = "two-anchor-linear+knapsack+swap";

    private ScheduleLearner() {
    }

    /** Learns a schedule for {@code model}. */
    public static LearnedSchedule learn(LoadedModel model, LearnOptions options) throws L2cException {
        options.check();
        LearningSetup setup = LearningSetup.of(model, options);
        setup.checkBudget(options);
        long start = System.nanoTime();
        try (LearningSession session = new LearningSession(model, options, setup, "learning",
                setup.learningEvaluations(options))) {
            LayerProbes probes = new LayerProbes(session, setup.layers().size(), options);
            CalibrationTrajectory calibration = CalibrationTrajectory.run(session, setup, probes);
            double[] weight = setup.weight().clone();
            SampleErrorModel sampleModel = null;
            if (LearnOptions.SAMPLE.equals(options.weighting())) {
                sampleModel = SampleGains.measure(session, setup, calibration);
                weight = SampleGains.weights(sampleModel, setup.evaluations());
            }
            ScheduleAllocation allocation = ScheduleAllocation.allocate(setup, options, calibration, weight, sampleModel);
            MeasuredRefinement.Refinement refined = MeasuredRefinement.refine(session, setup, options, weight, calibration,
                    allocation);
            session.finish();
            return assemble(session, setup, options, calibration, weight, sampleModel, allocation, refined,
                    probes.randomPairs(), start);
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
        LearningSetup setup = LearningSetup.of(model, options);
        for (Schedule schedule : schedules) {
            ScheduleCompatibility.checkFits(schedule, null, model.layers().size(), setup.evaluations(),
                    setup.sampler().schedulePattern());
        }
        // calibration only: no step is treated as a cache step while the trajectory runs
        LearningSetup calibrationOnly = setup.withCacheSteps(new boolean[setup.evaluations()]);
        try (LearningSession session = new LearningSession(model, options, calibrationOnly, "measuring",
                calibrationOnly.measuringEvaluations(schedules.size()))) {
            CalibrationTrajectory calibration = CalibrationTrajectory.run(session, calibrationOnly, null);
            double[][] all = new double[schedules.size()][];
            for (int i = 0; i < schedules.size(); i++) {
                all[i] = walk(session, calibration, schedules.get(i));
            }
            session.finish();
            return all;
        }
    }

    /** Per-step errors of one schedule, walking its steps in order with the caches it really has. */
    private static double[] walk(LearningSession session, CalibrationTrajectory calibration, Schedule schedule)
            throws L2cException {
        int n = schedule.nfe();
        int layers = schedule.layers();
        double[] errors = new double[n];
        for (int k = 0; k < n; k++) {
            ModelInput in = calibration.inputs()[k];
            boolean nextIsCache = k + 1 < n && !schedule.step(k + 1).full();
            if (schedule.step(k).full()) {
                if (nextIsCache) {
                    session.refreshAllBranches(k, in);
                }
                continue;
            }
            boolean[] reused = new boolean[layers];
            for (int j = 0; j < layers; j++) {
                reused[j] = !schedule.step(k).computes(j);
            }
            errors[k] = mse(session.blend(k, in, reused), calibration.fullOutputs()[k]);
            if (nextIsCache) {
                session.updateCaches(k, in, reused);
            }
        }
        return errors;
    }

    /** The thresholded schedule with its router scores and typed report, and the per-step reports. */
    private static LearnedSchedule assemble(LearningSession session, LearningSetup setup, LearnOptions options,
                                            CalibrationTrajectory calibration, double[] weight, SampleErrorModel sampleModel,
                                            ScheduleAllocation allocation, MeasuredRefinement.Refinement refined,
                                            List<LearnedSchedule.Pair> randomPairs, long start) {
        int n = setup.evaluations();
        int l = setup.layers().size();
        double lambda = options.lambda() == null ? 0 : options.lambda();
        List<ScheduleStep> steps = new ArrayList<>();
        List<float[]> scoreList = new ArrayList<>(Collections.nCopies(n, (float[]) null));
        List<LearnedSchedule.StepReport> reports = new ArrayList<>();
        List<LearningReport.StepObjective> objectivePerStep = new ArrayList<>();
        double objective = 0;
        int ci = 0;
        for (int k = 0; k < n; k++) {
            if (!setup.isCacheStep()[k]) {
                steps.add(ScheduleStep.full(l));
                continue;
            }
            boolean[] reused = refined.reused()[k];
            int[] computed = new int[l - count(reused)];
            double computedCost = 0;
            int c = 0;
            for (int j = 0; j < l; j++) {
                if (!reused[j]) {
                    computed[c++] = j;
                    computedCost += setup.cost()[j];
                }
            }
            steps.add(ScheduleStep.cache(computed));
            float[] s = new float[l];
            for (int j = 0; j < l; j++) {
                // router convention: the score of computing the layer (1 − the relaxed reuse indicator)
                s[j] = (float) (1 - allocation.scores()[ci][j]);
            }
            scoreList.set(k, s);
            double penalty = lambda * computedCost;
            double finalMse = refined.finalMse()[k];
            double predicted = calibration.model(k).surrogate().predict(reused);
            objective += weight[k] * finalMse + penalty;
            reports.add(new LearnedSchedule.StepReport(k, setup.sampler().modelTimes()[k], computed.length, predicted,
                    refined.allocatedMse()[k], finalMse, penalty, session.stepEvaluations(k), session.stepSeconds(k)));
            objectivePerStep.add(new LearningReport.StepObjective(k, computed.length, finalMse, predicted,
                    refined.allocatedMse()[k], weight[k], penalty));
            ci++;
        }
        Schedule bare = new Schedule(l, setup.sampler().schedulePattern(), steps, Map.of(), scoreList);
        double achieved = achievedRemove(setup, bare);
        double seconds = (System.nanoTime() - start) / 1e9;
        LearnedSchedule.Agreement agreement = new LearnedSchedule.Agreement(randomPairs, refined.chosenSets(), refined.swaps());
        LearningReport.SampleErrorSummary sampleSummary = null;
        if (sampleModel != null) {
            // what the allocation minimised: the final samples' predicted MSE, cross-step terms included
            double[] e = new double[setup.cacheSteps().length];
            double penalties = 0;
            for (int i = 0; i < e.length; i++) {
                e[i] = refined.finalMse()[setup.cacheSteps()[i]];
            }
            for (LearningReport.StepObjective o : objectivePerStep) {
                penalties += o.penalty();
            }
            double diagonal = objective - penalties;
            objective = sampleModel.predict(e) + penalties;
            List<Double> neighbours = new ArrayList<>();
            for (int i = 0; i + 1 < e.length; i++) {
                neighbours.add(Math.round(sampleModel.correlation(i, i + 1) * 1000) / 1000.0);
            }
            sampleSummary = new LearningReport.SampleErrorSummary(sampleModel.predict(e), diagonal, neighbours);
        }
        LearningReport report = new LearningReport(setup.card().name(), setup.sampler().name(),
                "l2c", options.lambda(), options.lambda() == null ? options.budget() : null,
                options.budgetUnit(), options.weighting(), achieved, allocation.mu(),
                new LearningReport.Calibration(options.images(), setup.conditionDescription(), options.seed(), setup.cfg()),
                options.seed(), options.checkSets(), options.swapTrials(), sampleSummary, objective, objectivePerStep,
                agreement, session.runs(), seconds);
        return new LearnedSchedule(bare.withProvenance(report.provenance()), reports, agreement, objective, allocation.mu(),
                achieved, seconds, session.runs());
    }

    /** Fraction of compute removed, in the budget unit, against N full evaluations. */
    private static double achievedRemove(LearningSetup setup, Schedule s) {
        double removed = 0;
        for (int k = 0; k < s.nfe(); k++) {
            ScheduleStep st = s.step(k);
            if (st.full()) {
                continue;
            }
            double c = 0;
            for (int j : st.computed()) {
                c += setup.cost()[j];
            }
            removed += Arrays.stream(setup.cost()).sum() - c;
        }
        return removed / (s.nfe() * setup.fullUnits());
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
}
