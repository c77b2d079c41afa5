package dev.l2c.learn;

import dev.l2c.schedule.Forecast;

/**
 * Least-squares forecast weights (L2P's idea: each skipped value is Σ_i w_i·h_i over the layer's
 * past computed values, the w fitted on calibration data), from normal equations accumulated over
 * two disjoint sets of calibration images: one to fit, one held out to choose between candidates.
 *
 * <p>For one (step, layer), with history values h_0..h_{K−1} and the value the full model computes
 * there, y, the accumulator keeps G = HᵀH, b = Hᵀy and yᵀy over the fitting images and over the
 * held-out ones, in double precision. The squared error of any weights w on either set is then
 * wᵀGw − 2wᵀb + yᵀy, without touching the tensors again. Not thread-safe.
 */
final class ForecastFit {
    /** Relative ridge on the diagonal: keeps nearly collinear histories (tiny steps) solvable. */
    private static final double RIDGE = 1e-9;

    /** Normal equations of one forecast on one set of images. */
    static final class Normal {
        final int k;
        final double[][] g;
        final double[] b;
        double yy;
        long elements;

        Normal(int k) {
            this.k = k;
            this.g = new double[k][k];
            this.b = new double[k];
        }

        /** Adds elements [from, to) of the history values {@code h[i]} and the target {@code y}. */
        void add(float[][] h, float[] y, int from, int to) {
            for (int e = from; e < to; e++) {
                double t = y[e];
                for (int i = 0; i < k; i++) {
                    double hi = h[i][e];
                    b[i] += hi * t;
                    for (int j = i; j < k; j++) {
                        g[i][j] += hi * h[j][e];
                    }
                }
                yy += t * t;
            }
            elements += to - from;
        }

        void addAll(Normal other) {
            if (other.k != k) {
                throw new IllegalArgumentException("history depths differ: " + other.k + " and " + k);
            }
            for (int i = 0; i < k; i++) {
                b[i] += other.b[i];
                for (int j = i; j < k; j++) {
                    g[i][j] += other.g[i][j];
                }
            }
            yy += other.yy;
            elements += other.elements;
        }

        /** Sum of squared errors of {@code w} on these images. */
        double squaredError(double[] w) {
            double e = yy;
            for (int i = 0; i < k; i++) {
                e -= 2 * w[i] * b[i];
                for (int j = 0; j < k; j++) {
                    e += w[i] * w[j] * (i <= j ? g[i][j] : g[j][i]);
                }
            }
            return Math.max(0, e);
        }

        /** The weights minimising the squared error (ridge-regularised), or null when singular. */
        double[] solve() {
            double[][] a = new double[k][k + 1];
            double trace = 0;
            for (int i = 0; i < k; i++) {
                trace += g[i][i];
            }
            double ridge = RIDGE * trace / k;
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    a[i][j] = i <= j ? g[i][j] : g[j][i];
                }
                a[i][i] += ridge;
                a[i][k] = b[i];
            }
            // Gaussian elimination with partial pivoting: K ≤ 3
            for (int c = 0; c < k; c++) {
                int p = c;
                for (int r = c + 1; r < k; r++) {
                    if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
                        p = r;
                    }
                }
                if (!(Math.abs(a[p][c]) > 0)) {
                    return null;
                }
                double[] t = a[c];
                a[c] = a[p];
                a[p] = t;
                for (int r = 0; r < k; r++) {
                    if (r != c) {
                        double f = a[r][c] / a[c][c];
                        for (int j = c; j <= k; j++) {
                            a[r][j] -= f * a[c][j];
                        }
                    }
                }
            }
            double[] w = new double[k];
            for (int i = 0; i < k; i++) {
                w[i] = a[i][k] / a[i][i];
                if (!Double.isFinite(w[i])) {
                    return null;
                }
            }
            return w;
        }
    }

    private ForecastFit() {
    }

    /**
     * The forecast arithmetic of a compiled step graph, in float32 and in its order: ((w_0·h_0 +
     * w_1·h_1) + w_2·h_2), so that the learner sees the bits the compiled graph will compute.
     */
    static void apply(Forecast f, float[][] history, float[] out) {
        int n = out.length;
        float w0 = (float) f.weight(0);
        float[] h0 = history[0];
        for (int e = 0; e < n; e++) {
            out[e] = w0 * h0[e];
        }
        for (int i = 1; i < f.history(); i++) {
            float w = (float) f.weight(i);
            float[] h = history[i];
            for (int e = 0; e < n; e++) {
                out[e] = out[e] + w * h[e];
            }
        }
    }
}
