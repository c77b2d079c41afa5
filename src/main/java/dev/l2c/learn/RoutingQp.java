package dev.l2c.learn;

/**
 * Box-constrained convex quadratic programs min sᵀGs + qᵀs over s ∈ [0,1]^L with G positive
 * semi-definite (a Gram matrix), solved by cyclic coordinate descent: each coordinate is minimised
 * exactly and clipped to the box; on a convex problem this converges to the minimum. Deterministic.
 */
final class RoutingQp {
    /** Coordinate descent stops when no coordinate moves more than this in a sweep. */
    static final double TOLERANCE = 1e-12;
    static final int MAX_SWEEPS = 100_000;

    private RoutingQp() {
    }

    /** The minimiser over [0,1]^L of sᵀGs + qᵀs. */
    static double[] solve(double[][] g, double[] q) {
        int l = q.length;
        double[] s = new double[l];
        double[] gs = new double[l];
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double moved = 0;
            for (int i = 0; i < l; i++) {
                double gradient = 2 * gs[i] + q[i];
                double next;
                if (g[i][i] > 0) {
                    next = clip(s[i] - gradient / (2 * g[i][i]));
                } else {
                    // G is a Gram matrix: a zero diagonal entry means a zero row, so the objective is linear in s_i.
                    next = q[i] < 0 ? 1 : 0;
                }
                double d = next - s[i];
                if (d != 0) {
                    for (int j = 0; j < l; j++) {
                        gs[j] += g[j][i] * d;
                    }
                    s[i] = next;
                    moved = Math.max(moved, Math.abs(d));
                }
            }
            if (moved <= TOLERANCE) {
                break;
            }
        }
        return s;
    }

    /** sᵀGs + qᵀs. */
    static double value(double[][] g, double[] q, double[] s) {
        double v = 0;
        for (int i = 0; i < s.length; i++) {
            v += q[i] * s[i];
            for (int j = 0; j < s.length; j++) {
                v += s[i] * g[i][j] * s[j];
            }
        }
        return v;
    }

    private static double clip(double v) {
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }
}
