package dev.l2c.learn;

import dev.l2c.conditioning.ConditionSource;
import dev.l2c.conditioning.Conditions;
import dev.l2c.runtime.PromptEncoder;

import dev.l2c.analysis.LayerMap;
import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.runtime.BatchedSampling;
import dev.l2c.sampler.ContinuousTimeSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.BaselineSchedules;

import java.util.Arrays;
import java.util.Locale;

/**
 * Everything a learning or measuring run fixes before its first model evaluation: the sampler,
 * which evaluations are cache steps, each layer's cost, the budget in cost units, the per-step
 * weights known up front, and the calibration noise and labels.
 *
 * @param budgetUnits the compute to remove over the whole schedule, in cost units (0 with λ)
 * @param fullUnits   the cost of one full evaluation, in cost units
 * @param weight      each step's weight in the objective before any measurement (1, or x0's (σ/α)²)
 */
record LearningSetup(ModelCard card, LayerMap layers, Sampler sampler, boolean[] isCacheStep, int[] cacheSteps,
                     double[] cost, double budgetUnits, double fullUnits, double[] weight, float cfg, float[] xT,
                     Conditions conditions, Conditions unconditional, String conditionDescription) {

    static LearningSetup of(LoadedModel model, LearnOptions o) throws L2cException {
        ModelCard card = model.card();
        Sampler sampler = card.sampler(o.sampler(), o.nfe(), o.clipX0() == null || o.clipX0());
        int n = sampler.evaluations();
        // the cache steps of the published L2C routers: each reuses what the full step before it computed.
        // Every cached value is then one evaluation old, the age the error model is measured at; a free
        // pattern (any evaluation a cache step) let values age over several steps, and its schedules lost
        // 5-6 dB of held-out PSNR to these at the same budget (benchmarks/fidelity/free-pattern/README.md)
        boolean[] isCache = new boolean[n];
        for (int k : BaselineSchedules.l2cCacheSteps(n, sampler.schedulePattern())) {
            isCache[k] = true;
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
        float[] xT = ScheduleLearner.gaussian(o.seed(), images * card.sampleElements());
        // class-balanced labels (i mod classes), or a text model's card prompts (i mod their number)
        ConditionSource source = PromptEncoder.balanced(model);
        Conditions conditions = source.conditions(0, images);
        Conditions unconditional = source.unconditional(0, images);
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
        return new LearningSetup(card, layers, sampler, isCache, indices(isCache), cost,
                o.budget() == null ? 0 : o.budget() * n * fullUnits, fullUnits, weight, cfg, xT, conditions,
                unconditional, source.description());
    }

    /** Refuses, before any model evaluation, a budget that reusing everything at every cache step cannot meet. */
    void checkBudget(LearnOptions o) throws UsageException {
        if (o.budget() == null) {
            return;
        }
        double most = cacheSteps.length * Arrays.stream(cost).sum();
        if (budgetUnits > most + 1e-9 * most) {
            throw new UsageException(String.format(Locale.ROOT,
                    "--budget %.4f cannot be met: reusing every layer at every one of the %d cache steps (of %d "
                            + "evaluations) removes only %.4f of the %s; use a smaller budget", o.budget(),
                    cacheSteps.length, sampler.evaluations(), most / (sampler.evaluations() * fullUnits), o.budgetUnit()));
        }
    }

    /** The same setup with other cache steps (none: a plain calibration run). */
    LearningSetup withCacheSteps(boolean[] cache) {
        return new LearningSetup(card, layers, sampler, cache.clone(), indices(cache), cost, budgetUnits, fullUnits, weight,
                cfg, xT, conditions, unconditional, conditionDescription);
    }

    int evaluations() {
        return sampler.evaluations();
    }

    /** The batch the model sees: doubled by classifier-free guidance. */
    int modelBatch() {
        return cfg != 1f ? 2 * conditions.batch() : conditions.batch();
    }

    boolean nextIsCache(int k) {
        return k + 1 < isCacheStep.length && isCacheStep[k + 1];
    }

    /** Model evaluations learning makes at most (the progress bar's length). */
    long learningEvaluations(LearnOptions options) {
        int n = evaluations();
        long gains = 0;
        if (LearnOptions.SAMPLE.equals(options.weighting())) {
            for (int k : cacheSteps) {
                gains += n - 1 - k;
            }
        }
        long probes = 0;
        long updates = 0;
        for (int k = 0; k < n; k++) {
            if (nextIsCache(k)) {
                if (isCacheStep[k]) {
                    updates++;
                } else {
                    probes++;
                }
            }
        }
        int c = cacheSteps.length;
        int l = layers.size();
        return n + (long) c * (2 * l + 1 + options.checkSets()) + probes + (long) c * (1 + options.swapTrials()) + updates
                + gains;
    }

    /** Model evaluations measuring {@code schedules} schedules makes at most: a cache step and the step before it, per step and schedule. */
    long measuringEvaluations(int schedules) {
        int n = evaluations();
        return n + (long) schedules * 2 * n;
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
