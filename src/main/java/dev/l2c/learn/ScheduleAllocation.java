package dev.l2c.learn;

import java.util.ArrayList;
import java.util.List;

/**
 * Phases 2 and 3, on the error models alone (no model evaluation): the reuse set of every cache
 * step, and the router scores.
 *
 * <p>Allocation: per step, the best set the model finds for each count of reused layers; with a
 * budget, spread over the steps by an exact multiple-choice knapsack ({@link BudgetAllocation});
 * with λ, each step takes the set minimising its weighted error plus λ·cost, polished by flips and
 * swaps. With {@link LearnOptions#SAMPLE} the choice is then improved on the final samples' error,
 * cross-step terms included ({@link CoupledAllocation}).
 *
 * <p>Scores: the relaxed problem's solution at μ (λ, or the μ at which the thresholded relaxed
 * sets meet the budget), as 1 − s per layer.
 *
 * @param mu     the multiplier the scores were computed at
 * @param scores per cache step (in {@link LearningSetup#cacheSteps()} order), the relaxed reuse indicator s* per layer
 * @param sets   per cache step, the layers reused
 * @param slack  cost units removed beyond the budget (with λ: beyond 0)
 */
record ScheduleAllocation(double mu, double[][] scores, boolean[][] sets, double slack) {

    static ScheduleAllocation allocate(LearningSetup setup, LearnOptions options, CalibrationTrajectory calibration,
                                       double[] weight, SampleErrorModel sampleModel) {
        int[] cacheSteps = setup.cacheSteps();
        double[] cost = setup.cost();
        double mu;
        double[][] scores = new double[cacheSteps.length][];
        boolean[][] sets = new boolean[cacheSteps.length][];
        List<List<BudgetAllocation.Candidate>> candidates = new ArrayList<>();
        for (int k : cacheSteps) {
            StepSurrogate m = calibration.model(k).surrogate();
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
                chosen = CoupledAllocation.improve(candidates, stepMse(calibration, cacheSteps, candidates), chosen, Double.NaN,
                        mu, sampleModel);
            }
            for (int i = 0; i < cacheSteps.length; i++) {
                StepSurrogate m = calibration.model(cacheSteps[i]).surrogate();
                // weighted error − λ·removed is w·(error − (λ/w)·removed)
                double stepMu = mu / weight[cacheSteps[i]];
                sets[i] = m.polish(candidates.get(i).get(chosen[i]).reused(), cost, stepMu);
                scores[i] = m.relaxed(cost, stepMu);
            }
        } else {
            int[] chosen = BudgetAllocation.allocate(candidates, setup.budgetUnits());
            if (sampleModel != null) {
                chosen = CoupledAllocation.improve(candidates, stepMse(calibration, cacheSteps, candidates), chosen,
                        setup.budgetUnits(), 0, sampleModel);
            }
            for (int i = 0; i < cacheSteps.length; i++) {
                sets[i] = candidates.get(i).get(chosen[i]).reused();
            }
            mu = scoreMultiplier(calibration, cacheSteps, cost, weight, setup.budgetUnits());
            for (int i = 0; i < cacheSteps.length; i++) {
                scores[i] = calibration.model(cacheSteps[i]).surrogate().relaxed(cost, mu / weight[cacheSteps[i]]);
            }
        }
        double slack = 0;
        for (boolean[] set : sets) {
            slack += StepSurrogate.removed(set, cost);
        }
        slack -= setup.budgetUnits();
        return new ScheduleAllocation(mu, scores, sets, slack);
    }

    /** Per cache step and candidate, the predicted output MSE without the step's weight. */
    private static double[][] stepMse(CalibrationTrajectory calibration, int[] cacheSteps,
                                      List<List<BudgetAllocation.Candidate>> candidates) {
        double[][] e = new double[candidates.size()][];
        for (int i = 0; i < e.length; i++) {
            StepSurrogate m = calibration.model(cacheSteps[i]).surrogate();
            e[i] = candidates.get(i).stream().mapToDouble(c -> m.predict(c.reused())).toArray();
        }
        return e;
    }

    /**
     * The multiplier μ at which the relaxed problems' thresholded solutions (scores &gt; ½) remove
     * the budget in total, by bisection; it sets the router scores reported with a budget.
     */
    private static double scoreMultiplier(CalibrationTrajectory calibration, int[] cacheSteps, double[] cost, double[] weight,
                                          double target) {
        if (target <= 0) {
            return 0;
        }
        double lo = 0;
        double hi = 1e-12;
        for (int it = 0; it < 200 && removedAt(calibration, cacheSteps, cost, weight, hi) < target; it++) {
            hi *= 2;
        }
        for (int it = 0; it < 100; it++) {
            double mid = 0.5 * (lo + hi);
            if (removedAt(calibration, cacheSteps, cost, weight, mid) >= target) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return hi;
    }

    private static double removedAt(CalibrationTrajectory calibration, int[] cacheSteps, double[] cost, double[] weight,
                                    double mu) {
        double r = 0;
        for (int k : cacheSteps) {
            double[] s = calibration.model(k).surrogate().relaxed(cost, mu / weight[k]);
            for (int j = 0; j < s.length; j++) {
                if (s[j] > 0.5) {
                    r += cost[j];
                }
            }
        }
        return r;
    }
}
