package dev.l2c.learn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Everything a learning run records about itself, typed; {@link #provenance()} turns it into the
 * schedule file's {@code provenance} object (the one place its key names are spelled).
 *
 * @param lambda           the penalty per recomputed layer, or null when learning with a budget
 * @param budget           the fraction to remove, or null when learning with λ
 * @param sampleErrorModel with {@link LearnOptions#SAMPLE}: what the allocation minimised; else null
 * @param objective        the objective reached (see {@link LearnedSchedule#objective()})
 * @param seconds          wall time of the whole run
 */
record LearningReport(String model, String sampler, String stepPattern, Double lambda, Double budget, String budgetUnit,
                      String weighting, double achievedRemove, double mu, Calibration calibration, long seed,
                      int checkSets, int swapTrials, SampleErrorSummary sampleErrorModel, double objective,
                      List<StepObjective> objectivePerStep, LearnedSchedule.Agreement linearisation,
                      long modelEvaluations, double seconds) {

    /** The calibration run: its conditions (class-balanced labels i mod classes, or prompts) and java.util.Random's Gaussians from the seed. */
    record Calibration(int images, String conditions, long seed, double cfg) {
    }

    /** One cache step's part of the objective: measured, predicted and allocated output MSE, weight and penalty. */
    record StepObjective(int step, int computed, double mse, double msePredicted, double mseAllocated, double weight,
                         double penalty) {
    }

    /**
     * The final samples' predicted error, with and without the cross-step terms, and the correlation
     * of neighbouring cache steps' effects on the samples.
     */
    record SampleErrorSummary(double finalMsePredicted, double finalMseWithoutCrossTerms, List<Double> neighbourCorrelation) {
    }

    /** The schedule file's provenance object: JSON values only, keys in a fixed order. */
    Map<String, Object> provenance() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("source", "learned");
        p.put("method", ScheduleLearner.METHOD);
        p.put("model", model);
        p.put("sampler", sampler);
        p.put("step_pattern", stepPattern);
        if (lambda != null) {
            p.put("lambda", lambda);
        } else {
            p.put("budget", budget);
        }
        p.put("budget_unit", budgetUnit);
        p.put("weighting", weighting);
        p.put("achieved_remove", achievedRemove);
        p.put("mu", mu);
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("images", calibration.images());
        cal.put("labels", calibration.conditions());
        cal.put("noise", "java.util.Random(seed).nextGaussian");
        cal.put("seed", calibration.seed());
        cal.put("cfg", calibration.cfg());
        p.put("calibration", cal);
        p.put("seed", seed);
        p.put("check_sets", checkSets);
        p.put("swap_trials", swapTrials);
        if (sampleErrorModel != null) {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("final_mse_predicted", sampleErrorModel.finalMsePredicted());
            sm.put("final_mse_without_cross_terms", sampleErrorModel.finalMseWithoutCrossTerms());
            sm.put("neighbour_correlation", sampleErrorModel.neighbourCorrelation());
            p.put("sample_error_model", sm);
        }
        p.put("objective", objective);
        List<Object> perStep = new ArrayList<>();
        for (StepObjective s : objectivePerStep) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("step", s.step());
            o.put("computed", s.computed());
            o.put("mse", s.mse());
            o.put("mse_predicted", s.msePredicted());
            o.put("mse_allocated", s.mseAllocated());
            o.put("weight", s.weight());
            o.put("penalty", s.penalty());
            perStep.add(o);
        }
        p.put("objective_per_step", perStep);
        Map<String, Object> lin = new LinkedHashMap<>();
        lin.put("random_sets", agreement(linearisation.randomSets()));
        lin.put("chosen_sets", agreement(linearisation.chosenSets()));
        lin.put("swaps_anchored", agreement(linearisation.swaps()));
        p.put("linearisation", lin);
        p.put("scores", "per cache step, 1 - s* of the relaxed problem at mu: the score of computing each layer (threshold 0.5)");
        p.put("model_evaluations", modelEvaluations);
        p.put("seconds", Math.round(seconds * 10) / 10.0);
        return p;
    }

    private static Map<String, Object> agreement(List<LearnedSchedule.Pair> pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", pairs.size());
        if (pairs.isEmpty()) {
            return m;
        }
        m.put("predicted", agreement(pairs, LearnedSchedule.Pair::predicted));
        m.put("from_none", agreement(pairs, LearnedSchedule.Pair::fromNone));
        m.put("from_all", agreement(pairs, LearnedSchedule.Pair::fromAll));
        return m;
    }

    private static Map<String, Object> agreement(List<LearnedSchedule.Pair> pairs, ToDoubleFunction<LearnedSchedule.Pair> f) {
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
}
