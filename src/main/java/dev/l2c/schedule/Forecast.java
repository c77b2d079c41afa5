package dev.l2c.schedule;

import java.util.Arrays;

/**
 * How a step that does not compute a layer obtains that layer's branch value: a fixed linear
 * combination of the layer's last K computed values, {@code Σ_i weights[i] · h_i}, where h_0 is the
 * value from the most recent evaluation that computed the layer, h_1 the one before, and so on.
 *
 * <p>Reuse (L2C, FORA, DeepCache) is K = 1 with weight 1. A Taylor or polynomial extrapolation over
 * the model time (TaylorSeer) and a learned combination (L2P) are other weights over the same
 * history: the coefficients are numbers fixed ahead of time, so a static graph can carry them.
 * Immutable; {@code weights} is copied on the way in and out.
 *
 * @param weights one finite coefficient per history value, most recent first; 1 ≤ K ≤ {@link #MAX_HISTORY}
 */
public record Forecast(double[] weights) {
    /** The deepest history a forecast may read: three computed values (a quadratic extrapolation). */
    public static final int MAX_HISTORY = 3;
    /** Take the most recent computed value as it is. */
    public static final Forecast REUSE = new Forecast(new double[]{1.0});

    public Forecast {
        weights = weights.clone();
        String problem = problem(weights);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Why {@code weights} cannot be a forecast, or null when they can. */
    public static String problem(double[] weights) {
        if (weights.length < 1 || weights.length > MAX_HISTORY) {
            return "a forecast combines 1 to " + MAX_HISTORY + " computed values, not " + weights.length;
        }
        for (double w : weights) {
            if (!Double.isFinite(w)) {
                return "forecast weight " + w + " is not finite";
            }
        }
        return null;
    }

    public static Forecast of(double... weights) {
        return new Forecast(weights);
    }

    /** K: how many computed values of the layer the forecast reads. */
    public int history() {
        return weights.length;
    }

    public double weight(int i) {
        return weights[i];
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    /** Whether this is plain reuse: the most recent value, unscaled. */
    public boolean isReuse() {
        return weights.length == 1 && weights[0] == 1.0;
    }

    /**
     * Multiply-accumulates per element of the branch value: one per weight, except plain reuse,
     * which computes nothing.
     */
    public int macsPerElement() {
        return isReuse() ? 0 : weights.length;
    }

    /**
     * The Lagrange extrapolation through the layer's last K computed values: the polynomial of
     * degree K−1 in the model time that passes through (times[i], h_i), evaluated at {@code target}.
     * K = 2 is linear extrapolation, K = 3 quadratic.
     *
     * @param times  model times of the history values, most recent first, distinct
     * @param target the model time of the step that forecasts
     */
    public static Forecast polynomial(double[] times, double target) {
        int k = times.length;
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            double p = 1;
            for (int j = 0; j < k; j++) {
                if (j != i) {
                    if (times[i] == times[j]) {
                        throw new IllegalArgumentException("history times must be distinct: " + Arrays.toString(times));
                    }
                    p *= (target - times[j]) / (times[i] - times[j]);
                }
            }
            w[i] = p;
        }
        return new Forecast(w);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Forecast f && Arrays.equals(f.weights, weights);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return isReuse() ? "reuse" : "forecast" + Arrays.toString(weights);
    }
}
