package dev.l2c.learn;

import dev.l2c.error.L2cException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.schedule.Forecast;
import dev.l2c.schedule.ForecastSchedules;

import java.util.Arrays;

/**
 * Runs the sampler over the calibration noise the way a compiled forecast schedule would: a step
 * computes the layers its refresh pattern says, and every other layer takes a forecast from the
 * values the run itself computed for that layer earlier (never from a full trajectory), so the error
 * of a forecast several evaluations old is measured, not assumed. The forecast arithmetic is the
 * compiled graph's, in float32 ({@link ForecastFit#apply}).
 *
 * <p>Three modes: {@link Mode#FIXED} runs the forecasts a rule gives, as cheaply as it can (a step
 * that computes nothing runs a graph pruned to the layers outside the caches); {@link Mode#MEASURE}
 * also measures each forecast against what the model computes at that step (one full evaluation per
 * step); {@link Mode#FIT} fits the forecast weights step by step (L2P): at each step the targets are
 * measured, weights fitted per layer and per step by least squares on half the calibration images,
 * the candidate (per layer, per step, or the rule's own weights) with the smallest error on the other
 * half is refitted on all images and used, and the step is run again with them before the sampler
 * moves on. Not thread-safe.
 */
final class ForecastRollout implements AutoCloseable {
    /** What a rollout measures and decides. */
    enum Mode {
        FIXED, MEASURE,
        /** Fit weights per layer and per step, take whichever (or the rule) predicts held-out images best. */
        FIT,
        /** Fit weights per (step, layer). */
        FIT_PER_LAYER,
        /** Fit one weight vector per step (and history depth), shared by its layers. */
        FIT_PER_STEP;

        boolean fits() {
            return this == FIT || this == FIT_PER_LAYER || this == FIT_PER_STEP;
        }
    }

    /**
     * A finished rollout.
     *
     * @param samples       the final samples
     * @param forecasts     [step][layer]: the forecast used (null where the layer was computed)
     * @param forecastError [step][layer]: mean squared error of the forecast against the value the model
     *                      computes there, relative to that value's mean square (NaN: not measured)
     * @param fitChoice     per step, which candidate the fit chose ("per-layer", "per-step", "rule"; null: none)
     * @param evaluations   model evaluations the rollout ran
     */
    record Result(float[] samples, Forecast[][] forecasts, double[][] forecastError, String[] fitChoice, long evaluations) {
    }

    private final LearningSetup setup;
    private final RoutingEvaluator evaluator;
    private final BranchCache cached;
    private final BranchCache fresh;
    private final int layers;
    private final int batch;
    private final int[] elements;
    /** history[j][i]: layer j's i-th most recent computed value; historyStep[j][i] its step. */
    private final float[][][] history;
    private final int[][] historyStep;
    private final int[] historyCount;
    private final float[] scratch;

    ForecastRollout(LoadedModel model, LearningSetup setup, OrtRuntime.Options runtime) throws L2cException {
        this.setup = setup;
        this.layers = setup.layers().size();
        this.batch = setup.modelBatch();
        this.evaluator = new RoutingEvaluator(model, batch, runtime);
        BranchCache a = null;
        BranchCache b = null;
        try {
            a = evaluator.newCache();
            b = evaluator.newCache();
        } catch (L2cException | RuntimeException e) {
            if (a != null) {
                a.close();
            }
            evaluator.close();
            throw e;
        }
        this.cached = a;
        this.fresh = b;
        this.elements = new int[layers];
        int most = 0;
        for (int j = 0; j < layers; j++) {
            elements[j] = cached.elements(j);
            most = Math.max(most, elements[j]);
        }
        this.history = new float[layers][Forecast.MAX_HISTORY][];
        this.historyStep = new int[layers][Forecast.MAX_HISTORY];
        this.historyCount = new int[layers];
        this.scratch = new float[most];
    }

    /** The final samples of the full sampler (every layer computed at every step). */
    float[] full() throws L2cException {
        boolean[][] all = new boolean[setup.evaluations()][layers];
        for (boolean[] row : all) {
            Arrays.fill(row, true);
        }
        return run(all, (h, k) -> Forecast.REUSE, Mode.FIXED).samples();
    }

    /**
     * Runs the sampler with layer j computed at step k where {@code computes[k][j]}, and otherwise
     * forecast by {@code rule} (in {@link Mode#FIT}, the rule is the fit's fallback candidate and
     * the weights it starts the step with).
     */
    Result run(boolean[][] computes, ForecastSchedules.Rule rule, Mode mode) throws L2cException {
        return run(computes, (j, history, k) -> rule.forecast(history, k), mode);
    }

    /**
     * Runs the sampler with a schedule's own forecasts: {@code forecasts[k][j]} where layer j is not
     * computed at step k (null: reuse).
     */
    Result run(boolean[][] computes, Forecast[][] forecasts, Mode mode) throws L2cException {
        return run(computes, (j, history, k) -> forecasts[k][j] == null ? Forecast.REUSE : forecasts[k][j], mode);
    }

    /** A layer's forecast at step k from the steps that computed it, most recent first. */
    private interface LayerRule {
        Forecast forecast(int layer, int[] history, int k);
    }

    private Result run(boolean[][] computes, LayerRule rule, Mode mode) throws L2cException {
        int n = setup.evaluations();
        Forecast[][] used = new Forecast[n][layers];
        double[][] error = new double[n][layers];
        for (double[] row : error) {
            Arrays.fill(row, Double.NaN);
        }
        String[] choice = new String[n];
        Arrays.fill(historyCount, 0);
        long before = evaluator.runs();
        float[] samples = CalibrationRun.samples(setup, evaluator::runNanos,
                (k, in) -> step(k, in, computes[k], rule, mode, used[k], error[k], choice));
        return new Result(samples, used, error, choice, evaluator.runs() - before);
    }

    private float[] step(int k, ModelInput in, boolean[] computes, LayerRule rule, Mode mode,
                         Forecast[] used, double[] error, String[] choice) throws L2cException {
        boolean full = true;
        boolean any = false;
        for (boolean c : computes) {
            full &= c;
            any |= c;
        }
        if (full) {
            float[] out = evaluator.probe(in, fresh);
            for (int j = 0; j < layers; j++) {
                remember(j, k);
            }
            return out;
        }
        float[] mask = new float[layers];
        for (int j = 0; j < layers; j++) {
            if (!computes[j]) {
                mask[j] = 1;
                used[j] = rule.forecast(j, historySteps(j), k);
                forecastInto(j, used[j]);
            }
        }
        if (mode == Mode.FIXED && !any) {
            return evaluator.reuseAllBut(in, cached, -1);
        }
        float[] out = evaluator.blend(in, cached, mask, fresh);
        if (mode == Mode.MEASURE || mode.fits()) {
            measure(computes, used, error);
        }
        if (mode.fits()) {
            choice[k] = fit(computes, used, mode);
            for (int j = 0; j < layers; j++) {
                if (!computes[j]) {
                    forecastInto(j, used[j]);
                }
            }
            out = evaluator.blend(in, cached, mask, fresh);
        }
        for (int j = 0; j < layers; j++) {
            if (computes[j]) {
                remember(j, k);
            }
        }
        return out;
    }

    /** Steps of layer j's history, most recent first. */
    private int[] historySteps(int j) {
        return Arrays.copyOf(historyStep[j], historyCount[j]);
    }

    /** Writes layer j's forecast into the cache input the next evaluation reads. */
    private void forecastInto(int j, Forecast f) {
        float[] out = elements[j] == scratch.length ? scratch : new float[elements[j]];
        ForecastFit.apply(f, history[j], out);
        cached.write(j, out);
    }

    /** Layer j's fresh value (computed at step k) becomes the most recent entry of its history. */
    private void remember(int j, int k) {
        float[][] h = history[j];
        float[] oldest = h[Forecast.MAX_HISTORY - 1];
        System.arraycopy(h, 0, h, 1, Forecast.MAX_HISTORY - 1);
        System.arraycopy(historyStep[j], 0, historyStep[j], 1, Forecast.MAX_HISTORY - 1);
        h[0] = oldest != null ? oldest : new float[elements[j]];
        fresh.read(j, h[0]);
        historyStep[j][0] = k;
        historyCount[j] = Math.min(historyCount[j] + 1, Forecast.MAX_HISTORY);
    }

    /** Relative mean squared error of each forecast against the value the model computed (in {@code fresh}). */
    private void measure(boolean[] computes, Forecast[] used, double[] error) {
        for (int j = 0; j < layers; j++) {
            if (computes[j]) {
                continue;
            }
            float[] target = new float[elements[j]];
            fresh.read(j, target);
            float[] f = new float[elements[j]];
            ForecastFit.apply(used[j], history[j], f);
            double se = 0;
            double ss = 0;
            for (int e = 0; e < f.length; e++) {
                double d = f[e] - target[e];
                se += d * d;
                ss += (double) target[e] * target[e];
            }
            error[j] = ss > 0 ? se / ss : se;
        }
    }

    /**
     * Fits this step's forecast weights (the targets are in {@code fresh}); replaces {@code used}
     * with the chosen candidate's weights and returns its name.
     */
    private String fit(boolean[] computes, Forecast[] used, Mode mode) {
        int images = batch / (setup.cfg() != 1f ? 2 : 1);
        ForecastFit.Normal[] fitSet = new ForecastFit.Normal[layers];
        ForecastFit.Normal[] heldOut = new ForecastFit.Normal[layers];
        ForecastFit.Normal[] pooledFit = new ForecastFit.Normal[Forecast.MAX_HISTORY + 1];
        for (int j = 0; j < layers; j++) {
            if (computes[j]) {
                continue;
            }
            int depth = historyCount[j];
            fitSet[j] = new ForecastFit.Normal(depth);
            heldOut[j] = new ForecastFit.Normal(depth);
            float[] target = new float[elements[j]];
            fresh.read(j, target);
            int row = elements[j] / batch;
            for (int r = 0; r < batch; r++) {
                // image i is rows i and images + i (its conditional and unconditional halves)
                boolean held = (r % images) % 2 == 1;
                (held ? heldOut[j] : fitSet[j]).add(history[j], target, r * row, (r + 1) * row);
            }
            if (pooledFit[depth] == null) {
                pooledFit[depth] = new ForecastFit.Normal(depth);
            }
            pooledFit[depth].addAll(fitSet[j]);
        }
        double[][] perStep = new double[Forecast.MAX_HISTORY + 1][];
        for (int d = 1; d <= Forecast.MAX_HISTORY; d++) {
            perStep[d] = pooledFit[d] == null ? null : pooledFit[d].solve();
        }
        double layerError = 0;
        double stepError = 0;
        double ruleError = 0;
        double[][] perLayer = new double[layers][];
        for (int j = 0; j < layers; j++) {
            if (computes[j]) {
                continue;
            }
            perLayer[j] = fitSet[j].solve();
            double rule = heldOut[j].squaredError(padded(used[j], historyCount[j]));
            ruleError += rule;
            layerError += perLayer[j] == null ? rule : heldOut[j].squaredError(perLayer[j]);
            double[] s = perStep[historyCount[j]];
            stepError += s == null ? rule : heldOut[j].squaredError(s);
        }
        String chosen = switch (mode) {
            case FIT_PER_LAYER -> "per-layer";
            case FIT_PER_STEP -> "per-step";
            default -> ruleError <= Math.min(layerError, stepError) ? "rule" : layerError <= stepError ? "per-layer" : "per-step";
        };
        if (chosen.equals("rule")) {
            return chosen;
        }
        // refit the chosen candidate on every image
        ForecastFit.Normal[] pooledAll = new ForecastFit.Normal[Forecast.MAX_HISTORY + 1];
        for (int j = 0; j < layers; j++) {
            if (!computes[j]) {
                fitSet[j].addAll(heldOut[j]);
                int d = historyCount[j];
                if (pooledAll[d] == null) {
                    pooledAll[d] = new ForecastFit.Normal(d);
                }
                pooledAll[d].addAll(fitSet[j]);
            }
        }
        for (int j = 0; j < layers; j++) {
            if (computes[j]) {
                continue;
            }
            double[] w = chosen.equals("per-layer") ? fitSet[j].solve() : pooledAll[historyCount[j]].solve();
            if (w != null) {
                used[j] = new Forecast(w);
            }
        }
        return chosen;
    }

    /** The forecast's weights over the whole available history (zeros for values it does not read). */
    private static double[] padded(Forecast f, int depth) {
        double[] w = new double[depth];
        for (int i = 0; i < f.history() && i < depth; i++) {
            w[i] = f.weight(i);
        }
        return w;
    }

    long evaluations() {
        return evaluator.runs();
    }

    @Override
    public void close() {
        cached.close();
        fresh.close();
        evaluator.close();
    }
}
