package dev.l2c.learn;

import dev.l2c.error.L2cException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.l2c.learn.LearnMath.count;
import static dev.l2c.learn.LearnMath.difference;
import static dev.l2c.learn.LearnMath.dot;
import static dev.l2c.learn.LearnMath.sumSquares;

/**
 * Phase 4: walks the steps in order with the caches the schedule really has and, at each cache
 * step, measures the allocated set and keeps the swaps (and, with λ or budget slack, flips) that
 * lower the measured objective; {@code swapTrials} evaluations per step.
 */
final class MeasuredRefinement {

    /**
     * The refined schedule.
     *
     * @param reused       per evaluation, the layers reused (null at full steps)
     * @param allocatedMse per evaluation, the measured output MSE of the allocated set (0 at full steps)
     * @param finalMse     per evaluation, the measured output MSE of the refined set
     * @param chosenSets   the allocated sets' predicted against measured errors
     * @param swaps        every measured move, predicted (by the anchored model) against measured
     */
    record Refinement(boolean[][] reused, double[] allocatedMse, double[] finalMse, List<LearnedSchedule.Pair> chosenSets,
                      List<LearnedSchedule.Pair> swaps) {
    }

    private record Refined(boolean[] set, double allocatedMse, double mse, double slack) {
    }

    private final LearningSession session;
    private final LearningSetup setup;
    private final LearnOptions options;
    private final double[] weight;
    private final List<LearnedSchedule.Pair> chosenPairs = new ArrayList<>();
    private final List<LearnedSchedule.Pair> swapPairs = new ArrayList<>();

    private MeasuredRefinement(LearningSession session, LearningSetup setup, LearnOptions options, double[] weight) {
        this.session = session;
        this.setup = setup;
        this.options = options;
        this.weight = weight;
    }

    static Refinement refine(LearningSession session, LearningSetup setup, LearnOptions options, double[] weight,
                             CalibrationTrajectory calibration, ScheduleAllocation allocation) throws L2cException {
        return new MeasuredRefinement(session, setup, options, weight).walk(calibration, allocation);
    }

    private Refinement walk(CalibrationTrajectory calibration, ScheduleAllocation allocation) throws L2cException {
        int n = setup.evaluations();
        int[] cacheSteps = setup.cacheSteps();
        double slack = allocation.slack();
        double[] allocatedMse = new double[n];
        double[] finalMse = new double[n];
        boolean[][] byStep = new boolean[n][];
        for (int i = 0; i < cacheSteps.length; i++) {
            byStep[cacheSteps[i]] = allocation.sets()[i];
        }
        for (int k = 0; k < n; k++) {
            if (!setup.isCacheStep()[k]) {
                if (setup.nextIsCache(k)) {
                    session.refreshAllBranches(k, calibration.inputs()[k]);
                }
                continue;
            }
            Refined r = refineStep(calibration.model(k), byStep[k], slack);
            slack = r.slack;
            byStep[k] = r.set;
            allocatedMse[k] = r.allocatedMse;
            finalMse[k] = r.mse;
            if (setup.nextIsCache(k)) {
                session.updateCaches(k, calibration.inputs()[k], r.set);
            }
        }
        return new Refinement(byStep, allocatedMse, finalMse, chosenPairs, swapPairs);
    }

    /**
     * Measured-error local search at one cache step, from the allocated set. Moves are priced by
     * a linear model anchored at the measured output of the current set, d_S: reusing layer j
     * adds z_j to it and computing it subtracts z_j, with z_j = v_j (the model around nothing
     * reused) or −w_j (around everything reused), whichever predicted the current set's error
     * better. The best predicted move is measured and kept when the measured objective improves.
     */
    private Refined refineStep(StepModel m, boolean[] start, double slackIn) throws L2cException {
        int k = m.step();
        int l = start.length;
        double n = m.fullOutput().length;
        double[] cost = setup.cost();
        // the step's weight only matters against the penalty: compare weighted error with λ·cost
        double lambda = options.lambda() == null ? 0 : options.lambda() / weight[k];
        boolean budgeted = options.lambda() == null;
        StepSurrogate sur = m.surrogate();
        boolean[] set = start.clone();
        float[] d = measure(m, set);
        double err = sumSquares(d) / n;
        chosenPairs.add(LayerProbes.pair(k, sur, set, sur.predict(set), err));
        double allocated = err;
        double slack = slackIn;
        int trials = 0;
        Set<Long> tried = new HashSet<>();
        // with a budget, nothing improves on a step that reuses nothing (its error is zero)
        boolean done = budgeted && count(set) == 0;
        while (!done && trials < options.swapTrials()) {
            // the model around nothing reused is exact when nothing is (and the error is 0)
            boolean aroundNone = count(set) == 0 || !(err > 0)
                    || Math.abs(Math.log(sur.fromNone(set) / err)) <= Math.abs(Math.log(sur.fromAll(set) / err));
            float[][] z = aroundNone ? m.reuseOne() : m.computeOne();
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
            float[] dc = measure(m, candidate);
            trials++;
            double errC = sumSquares(dc) / n;
            swapPairs.add(LayerProbes.pair(k, sur, candidate, bestPredicted, errC));
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
            session.skipped();
        }
        return new Refined(set, allocated, err, slack);
    }

    /** out(S) − out(full) at the model's step, measured. */
    private float[] measure(StepModel m, boolean[] set) throws L2cException {
        return difference(session.blend(m.step(), m.input(), set), m.fullOutput());
    }
}
