package dev.l2c.learn;

import dev.l2c.error.UsageException;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.schedule.BaselineSchedules;

/**
 * What {@link ScheduleLearner} learns and how.
 *
 * @param sampler      ddim, dpm2s or dpm2m; null for the model card's default
 * @param nfe          model evaluations of the sampler
 * @param budget       fraction F of compute to remove over the whole schedule (0 ≤ F &lt; 1), or null
 * @param lambda       penalty per recomputed layer (in units of the model output's mean squared
 *                     error; with {@code budgetUnit} macs per average layer's MACs), or null;
 *                     exactly one of budget and lambda is given
 * @param budgetUnit   {@link BaselineSchedules#UNIT_LAYER_EVALUATIONS} or {@link BaselineSchedules#UNIT_MACS}
 * @param weighting    how the cache steps' errors add up: {@value #OUTPUT} (the default, L2C's, the paper's:
 *                     the mean squared error of the model output, every step alike), {@value #SAMPLE} (the
 *                     predicted error of the final samples) or {@value #X0} (each step's error weighted by
 *                     (σ_t/α_t)², which makes it the error of the predicted clean image x0)
 * @param images       calibration images (the model batch is twice as large under guidance)
 * @param seed         seed of the calibration noise and of the random linearisation checks
 * @param cfg          guidance scale; null for the card's default
 * @param clipX0       whether the sampler clips x0; null for the card's
 * @param checkSets    random reuse sets per cache step whose true error is measured to check the
 *                     linearisation (costs one model evaluation each)
 * @param swapTrials   most model evaluations per cache step spent trying swaps with measured errors
 * @param runtime      ONNX Runtime options
 * @param progress     whether to show a progress bar
 */
public record LearnOptions(String sampler, int nfe, Double budget, Double lambda,
                           String budgetUnit, String weighting, int images, long seed, Float cfg, Boolean clipX0, int checkSets,
                           int swapTrials, OrtRuntime.Options runtime, boolean progress) {

    /** Every cache step's output error counts alike (L2C's objective). */
    public static final String OUTPUT = "output";
    /** Each cache step's output error is weighted by (σ_t/α_t)²: the error of the predicted x0. */
    public static final String X0 = "x0";
    /**
     * Each cache step's output error is weighted by its measured gain into the final sample: how
     * much the final samples move per unit of output error added at that step (trajectory-aware).
     */
    public static final String SAMPLE = "sample";
    /**
     * The objective {@code l2c learn} uses unless told otherwise: L2C's per-step one. The final-sample
     * objective keeps the samples closer to the full schedule's (4 dB more PSNR on held-out noise at
     * 35 % removed) but its FD to the test set was 5 points higher there (benchmarks/fidelity/README.md),
     * so it did not become the default.
     */
    public static final String DEFAULT_WEIGHTING = OUTPUT;
    public static final int DEFAULT_IMAGES = 16;
    public static final int DEFAULT_CHECK_SETS = 2;
    public static final int DEFAULT_SWAP_TRIALS = 6;

    /** Defaults for a budget F of layer evaluations removed. */
    public static LearnOptions budget(String sampler, int nfe, double budget) {
        return new LearnOptions(sampler, nfe, budget, null, BaselineSchedules.UNIT_LAYER_EVALUATIONS, DEFAULT_WEIGHTING,
                DEFAULT_IMAGES, 0, null, null, DEFAULT_CHECK_SETS, DEFAULT_SWAP_TRIALS, OrtRuntime.Options.cpu(), false);
    }

    /** Defaults for a penalty λ per recomputed layer. */
    public static LearnOptions lambda(String sampler, int nfe, double lambda) {
        return new LearnOptions(sampler, nfe, null, lambda, BaselineSchedules.UNIT_LAYER_EVALUATIONS, DEFAULT_WEIGHTING,
                DEFAULT_IMAGES, 0, null, null, DEFAULT_CHECK_SETS, DEFAULT_SWAP_TRIALS, OrtRuntime.Options.cpu(), false);
    }

    public LearnOptions withImages(int n) {
        return new LearnOptions(sampler, nfe, budget, lambda, budgetUnit, weighting, n, seed, cfg, clipX0, checkSets,
                swapTrials, runtime, progress);
    }

    public LearnOptions withSeed(long s) {
        return new LearnOptions(sampler, nfe, budget, lambda, budgetUnit, weighting, images, s, cfg, clipX0, checkSets,
                swapTrials, runtime, progress);
    }

    public LearnOptions withSearch(int checks, int swaps) {
        return new LearnOptions(sampler, nfe, budget, lambda, budgetUnit, weighting, images, seed, cfg, clipX0, checks,
                swaps, runtime, progress);
    }

    public LearnOptions withBudgetUnit(String unit) {
        return new LearnOptions(sampler, nfe, budget, lambda, unit, weighting, images, seed, cfg, clipX0, checkSets,
                swapTrials, runtime, progress);
    }

    public LearnOptions withWeighting(String w) {
        return new LearnOptions(sampler, nfe, budget, lambda, budgetUnit, w, images, seed, cfg, clipX0,
                checkSets, swapTrials, runtime, progress);
    }

    /** Checks the options a user chose; the sampler and NFE are checked when the sampler is made. */
    public void check() throws UsageException {
        if ((budget == null) == (lambda == null)) {
            throw new UsageException("give either --budget F (fraction of compute to remove) or --lambda λ (penalty per"
                    + " recomputed layer), exactly one");
        }
        if (budget != null && !(budget >= 0 && budget < 1)) {
            throw new UsageException("--budget is the fraction of compute to remove, 0 <= F < 1, not " + budget);
        }
        if (lambda != null && !(lambda >= 0 && Double.isFinite(lambda))) {
            throw new UsageException("--lambda is a penalty per recomputed layer, a finite number >= 0, not " + lambda);
        }
        if (!BaselineSchedules.UNIT_LAYER_EVALUATIONS.equals(budgetUnit) && !BaselineSchedules.UNIT_MACS.equals(budgetUnit)) {
            throw new UsageException("--budget-unit must be " + BaselineSchedules.UNIT_LAYER_EVALUATIONS + " or "
                    + BaselineSchedules.UNIT_MACS + ", not '" + budgetUnit + "'");
        }
        if (!OUTPUT.equals(weighting) && !X0.equals(weighting) && !SAMPLE.equals(weighting)) {
            throw new UsageException("--weighting must be " + OUTPUT + ", " + X0 + " or " + SAMPLE + ", not '" + weighting + "'");
        }
        if (images < 1) {
            throw new UsageException("--images must be at least 1, not " + images);
        }
        if (checkSets < 0 || swapTrials < 0) {
            throw new UsageException("--check-sets and --swap-trials count model evaluations per cache step, 0 or more");
        }
        if (cfg != null && !Float.isFinite(cfg)) {
            throw new UsageException("--cfg must be a finite number, not " + cfg);
        }
    }
}
