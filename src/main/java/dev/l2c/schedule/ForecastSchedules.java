package dev.l2c.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Forecast weights for the layers a schedule does not compute, from the steps that did compute them
 * (the refresh pattern stays as it is):
 * <ul>
 *   <li><b>TaylorSeer</b> (Liu et al. 2025, arXiv 2503.06923): a Taylor series in the evaluation
 *       index around the most recent computed value, its derivatives estimated by finite differences
 *       of the last computed values, each difference divided by the spacing of the two refreshes it
 *       spans (as TaylorSeer's code does). Order 1 from two values, order 2 from three; fewer values
 *       available, the order drops (one value: plain reuse).</li>
 *   <li><b>Polynomial</b> over the model time: the Lagrange extrapolation through the last K
 *       computed values at their model times (K = order + 1; fewer available, fewer used). For
 *       DDIM's uniform grid of model times and uniform refreshes, order 1 equals TaylorSeer's.</li>
 * </ul>
 */
public final class ForecastSchedules {
    /** Highest forecast order: a quadratic over the last three computed values. */
    public static final int MAX_ORDER = Forecast.MAX_HISTORY - 1;

    private ForecastSchedules() {
    }

    /**
     * TaylorSeer's forecast at evaluation {@code k} from computed values at evaluations {@code history}
     * (most recent first, at least one), of order at most {@code order}.
     */
    public static Forecast taylorSeer(int[] history, int k, int order) {
        checkOrder(order);
        int used = Math.min(order + 1, history.length);
        double d = k - history[0];
        if (used == 1) {
            return Forecast.REUSE;
        }
        double span = history[0] - history[1];
        if (used == 2) {
            return Forecast.of(1 + d / span, -d / span);
        }
        double older = history[1] - history[2];
        // F0 + d·D1 + d²/2·D2 with D1 = (F0 − F1)/Δ and D2 = ((F0 − F1)/Δ − (F1 − F2)/Δ')/Δ
        double a = d * d / (2 * span * span);
        double b = d * d / (2 * span * older);
        return Forecast.of(1 + d / span + a, -d / span - a - b, b);
    }

    /**
     * The polynomial extrapolation over model time at evaluation {@code k} from computed values at
     * evaluations {@code history} (most recent first), through at most {@code order} + 1 of them.
     */
    public static Forecast polynomial(int[] history, int k, int order, double[] modelTimes) {
        checkOrder(order);
        int used = Math.min(order + 1, history.length);
        if (used == 1) {
            return Forecast.REUSE;
        }
        double[] times = new double[used];
        for (int i = 0; i < used; i++) {
            times[i] = modelTimes[history[i]];
        }
        return Forecast.polynomial(times, modelTimes[k]);
    }

    /** A rule giving a layer's forecast at step k from the steps that computed it (most recent first). */
    @FunctionalInterface
    public interface Rule {
        Forecast forecast(int[] history, int k);
    }

    /** {@code schedule} with every layer it does not compute formed by {@code rule}; the refreshes are unchanged. */
    public static Schedule withForecasts(Schedule schedule, Rule rule) {
        int layers = schedule.layers();
        List<List<Integer>> computedAt = new ArrayList<>();
        for (int j = 0; j < layers; j++) {
            computedAt.add(new ArrayList<>());
        }
        List<ScheduleStep> steps = new ArrayList<>();
        for (int k = 0; k < schedule.nfe(); k++) {
            ScheduleStep s = schedule.step(k);
            if (s.full()) {
                steps.add(s);
            } else {
                Map<Integer, Forecast> forecasts = new TreeMap<>();
                for (int j = 0; j < layers; j++) {
                    if (!s.computes(j)) {
                        List<Integer> h = computedAt.get(j);
                        int[] history = new int[Math.min(h.size(), Forecast.MAX_HISTORY)];
                        for (int i = 0; i < history.length; i++) {
                            history[i] = h.get(h.size() - 1 - i);
                        }
                        forecasts.put(j, rule.forecast(history, k));
                    }
                }
                steps.add(s.withForecasts(forecasts));
            }
            for (int j = 0; j < layers; j++) {
                if (s.full() || s.computes(j)) {
                    computedAt.get(j).add(k);
                }
            }
        }
        return new Schedule(layers, schedule.pattern(), steps, schedule.provenance(), schedule.scores());
    }

    /** {@code schedule} with TaylorSeer's forecasts of order {@code order} for every layer it does not compute. */
    public static Schedule taylorSeer(Schedule schedule, int order) {
        checkOrder(order);
        return withForecasts(schedule, (history, k) -> taylorSeer(history, k, order));
    }

    /** {@code schedule} with polynomial forecasts over {@code modelTimes} (one per evaluation) of order {@code order}. */
    public static Schedule polynomial(Schedule schedule, int order, double[] modelTimes) {
        checkOrder(order);
        if (modelTimes.length != schedule.nfe()) {
            throw new IllegalArgumentException(modelTimes.length + " model times for " + schedule.nfe() + " evaluations");
        }
        return withForecasts(schedule, (history, k) -> polynomial(history, k, order, modelTimes));
    }

    private static void checkOrder(int order) {
        if (order < 0 || order > MAX_ORDER) {
            throw new IllegalArgumentException("forecast order is 0 (reuse) to " + MAX_ORDER + ", not " + order);
        }
    }
}
