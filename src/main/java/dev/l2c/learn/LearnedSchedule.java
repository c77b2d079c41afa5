package dev.l2c.learn;

import dev.l2c.schedule.Schedule;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * What {@link ScheduleLearner#learn} produced and measured.
 *
 * @param schedule         the thresholded schedule, with provenance and router scores
 * @param steps            one report per cache step, in sampling order
 * @param agreement        the error model's predictions against measured errors
 * @param objective        the objective reached: Σ over cache steps of the measured mean squared error
 *                         of the model output (times the step's weight with x0 weighting), plus λ times
 *                         the recomputed cost when learning with λ
 * @param mu               the multiplier of the relaxed problem (λ itself when learning with λ)
 * @param achievedRemove   fraction of compute removed, in the budget unit, against N full evaluations
 * @param seconds          wall time of the whole learning run
 * @param modelEvaluations model evaluations (ONNX Runtime runs) it took
 */
public record LearnedSchedule(Schedule schedule, List<StepReport> steps, Agreement agreement, double objective,
                              double mu, double achievedRemove, double seconds, long modelEvaluations) {

    public LearnedSchedule {
        steps = List.copyOf(steps);
    }

    /**
     * One cache step.
     *
     * @param step          evaluation index k
     * @param modelTime     the model's timestep input there
     * @param computed      layers computed
     * @param predicted     the error model's prediction for the final set
     * @param allocatedMse  measured error of the set the allocation chose, before the swaps
     * @param mse           measured error of the final set: mean squared difference between the model
     *                      output with this step's routing and the full model output
     * @param penalty       λ times the recomputed cost (0 when learning with a budget)
     * @param evaluations   model evaluations spent on this step (probes, checks and swaps)
     * @param seconds       wall time spent on this step
     */
    public record StepReport(int step, double modelTime, int computed, double predicted, double allocatedMse, double mse,
                             double penalty, int evaluations, double seconds) {
    }

    /**
     * A predicted mean squared error of a reuse set and the measured value.
     *
     * @param step      evaluation index
     * @param reused    size of the reuse set
     * @param fromNone  A(S): the linear model around nothing reused
     * @param fromAll   B(S): the linear model around everything reused
     * @param predicted what the learner used: min(A, B) for sets predicted from scratch; for swaps,
     *                  the linear model anchored at the measured output of the set before the swap
     * @param measured  measured error
     */
    public record Pair(int step, int reused, double fromNone, double fromAll, double predicted, double measured) {
    }

    /**
     * How well the linear model predicted measured errors.
     *
     * @param randomSets random reuse sets, predicted from scratch
     * @param chosenSets the sets the allocation chose, predicted from scratch
     * @param swaps      swap candidates, predicted from the measured output of the current set
     */
    public record Agreement(List<Pair> randomSets, List<Pair> chosenSets, List<Pair> swaps) {
        public Agreement {
            randomSets = List.copyOf(randomSets);
            chosenSets = List.copyOf(chosenSets);
            swaps = List.copyOf(swaps);
        }

        /** Pearson correlation of predicted and measured, NaN for fewer than two pairs. */
        public static double correlation(List<Pair> pairs) {
            return correlation(pairs, Pair::predicted);
        }

        /** Pearson correlation of {@code prediction} and measured, NaN for fewer than two pairs. */
        public static double correlation(List<Pair> pairs, ToDoubleFunction<Pair> prediction) {
            int n = pairs.size();
            if (n < 2) {
                return Double.NaN;
            }
            double mp = 0;
            double mm = 0;
            for (Pair p : pairs) {
                mp += prediction.applyAsDouble(p);
                mm += p.measured;
            }
            mp /= n;
            mm /= n;
            double spm = 0;
            double spp = 0;
            double smm = 0;
            for (Pair p : pairs) {
                double dp = prediction.applyAsDouble(p) - mp;
                spm += dp * (p.measured - mm);
                spp += dp * dp;
                smm += (p.measured - mm) * (p.measured - mm);
            }
            return spm / Math.sqrt(spp * smm);
        }

        /** Median of |predicted − measured| / measured, NaN for none. */
        public static double medianRelativeError(List<Pair> pairs) {
            return medianRelativeError(pairs, Pair::predicted);
        }

        /** Median of |prediction − measured| / measured, NaN for none. */
        public static double medianRelativeError(List<Pair> pairs, ToDoubleFunction<Pair> prediction) {
            double[] r = pairs.stream().filter(p -> p.measured > 0)
                    .mapToDouble(p -> Math.abs(prediction.applyAsDouble(p) - p.measured) / p.measured).sorted().toArray();
            if (r.length == 0) {
                return Double.NaN;
            }
            return r.length % 2 == 1 ? r[r.length / 2] : 0.5 * (r[r.length / 2 - 1] + r[r.length / 2]);
        }

        /** Σ measured / Σ predicted: above 1 when the prediction underestimates. */
        public static double measuredOverPredicted(List<Pair> pairs) {
            return measuredOverPredicted(pairs, Pair::predicted);
        }

        /** Σ measured / Σ prediction. */
        public static double measuredOverPredicted(List<Pair> pairs, ToDoubleFunction<Pair> prediction) {
            double p = 0;
            double m = 0;
            for (Pair x : pairs) {
                p += prediction.applyAsDouble(x);
                m += x.measured;
            }
            return m / p;
        }
    }

    /** Total measured mean squared error over the cache steps (without the penalty). */
    public double totalMse() {
        return steps.stream().mapToDouble(StepReport::mse).sum();
    }

    @Override
    public String toString() {
        return "LearnedSchedule[" + schedule + ", objective " + objective + ", " + Arrays.toString(
                steps.stream().mapToInt(StepReport::computed).toArray()) + "]";
    }
}
