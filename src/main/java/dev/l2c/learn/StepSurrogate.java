package dev.l2c.learn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The predicted error of one cache step as a function of the set S of reused layers, built from two
 * sets of single-layer measurements, each exact at its own anchor:
 * <ul>
 *   <li>from the full model: v_j = out(reuse j only) − out(full), and
 *       A(S) = ‖Σ_{j∈S} v_j‖² / n = sᵀGs with G_ij = ⟨v_i, v_j⟩/n;</li>
 *   <li>from the all-reused model: d = out(reuse all) − out(full), w_j = out(reuse all but j) −
 *       out(reuse all), and B(S) = ‖d + Σ_{j∉S} w_j‖² / n = uᵀHu + 2hᵀu + e with u = 1 − s,
 *       H_ij = ⟨w_i, w_j⟩/n, h_j = ⟨d, w_j⟩/n, e = ‖d‖²/n.</li>
 * </ul>
 * The prediction is min(A, B). Why two: measured on the demo DiT, errors of reusing many layers do
 * not add up (reusing most layers costs little more than reusing a few, because what is reused stays
 * mutually consistent), so A, linear around "nothing reused", overestimates large sets many times
 * over, while B, linear around "everything reused", is accurate there and poor for small sets. The
 * minimum follows whichever regime a set is in.
 *
 * <p>The relaxation min over s ∈ [0,1]^L of min(A, B) − μ·cᵀs is the smaller of two convex box QPs,
 * each solved exactly ({@link RoutingQp}), so it is solved exactly too.
 */
final class StepSurrogate {
    final int layers;
    final double[][] g;
    final double[][] h;
    final double[] hd;
    final double e;

    /**
     * @param g  Gram matrix of the single-reuse deltas v
     * @param h  Gram matrix of the single-compute deltas w
     * @param hd ⟨d, w_j⟩/n
     * @param e  ‖d‖²/n, the error of reusing everything
     */
    StepSurrogate(double[][] g, double[][] h, double[] hd, double e) {
        this.layers = hd.length;
        this.g = g;
        this.h = h;
        this.hd = hd;
        this.e = e;
    }

    /** A(S), linear around nothing reused. */
    double fromNone(boolean[] reused) {
        double q = 0;
        for (int i = 0; i < layers; i++) {
            if (reused[i]) {
                for (int j = 0; j < layers; j++) {
                    if (reused[j]) {
                        q += g[i][j];
                    }
                }
            }
        }
        return q;
    }

    /** B(S), linear around everything reused. */
    double fromAll(boolean[] reused) {
        double q = e;
        for (int i = 0; i < layers; i++) {
            if (!reused[i]) {
                q += 2 * hd[i];
                for (int j = 0; j < layers; j++) {
                    if (!reused[j]) {
                        q += h[i][j];
                    }
                }
            }
        }
        return q;
    }

    /** The predicted error, min(A, B). */
    double predict(boolean[] reused) {
        return Math.min(fromNone(reused), fromAll(reused));
    }

    /**
     * The minimiser over [0,1]^L of min(A, B) − μ·cᵀs: the continuous router scores (1 = reuse).
     */
    double[] relaxed(double[] cost, double mu) {
        int l = layers;
        double[] qa = new double[l];
        double[] qb = new double[l];
        double sumCost = 0;
        for (int j = 0; j < l; j++) {
            qa[j] = -mu * cost[j];
            // in u = 1 − s: uᵀHu + 2hᵀu + e − μcᵀ(1 − u)
            qb[j] = 2 * hd[j] + mu * cost[j];
            sumCost += cost[j];
        }
        double[] s = RoutingQp.solve(g, qa);
        double[] u = RoutingQp.solve(h, qb);
        double valueA = RoutingQp.value(g, qa, s);
        double valueB = RoutingQp.value(h, qb, u) + e - mu * sumCost;
        if (valueB < valueA) {
            double[] fromU = new double[l];
            for (int j = 0; j < l; j++) {
                fromU[j] = 1 - u[j];
            }
            return fromU;
        }
        return s;
    }

    /**
     * For each count n = 0..L of reused layers, the set with the smallest predicted error found:
     * greedy paths from nothing reused (adding) and from everything reused (removing), each count's
     * better start then improved by swaps while the prediction drops.
     */
    List<boolean[]> bestBySize() {
        int l = layers;
        boolean[][] forward = new boolean[l + 1][];
        boolean[] s = new boolean[l];
        forward[0] = s.clone();
        for (int n = 1; n <= l; n++) {
            s = bestFlip(s, false);
            forward[n] = s.clone();
        }
        boolean[][] backward = new boolean[l + 1][];
        s = new boolean[l];
        Arrays.fill(s, true);
        backward[l] = s.clone();
        for (int n = l - 1; n >= 0; n--) {
            s = bestFlip(s, true);
            backward[n] = s.clone();
        }
        List<boolean[]> best = new ArrayList<>();
        for (int n = 0; n <= l; n++) {
            boolean[] start = predict(forward[n]) <= predict(backward[n]) ? forward[n] : backward[n];
            best.add(polish(start, null, 0));
        }
        return best;
    }

    /** The set after the one flip (of a reused layer when {@code reusedOnes}, else of a computed one) predicted best. */
    private boolean[] bestFlip(boolean[] s, boolean reusedOnes) {
        boolean[] best = null;
        double bestValue = Double.POSITIVE_INFINITY;
        for (int j = 0; j < layers; j++) {
            if (s[j] != reusedOnes) {
                continue;
            }
            boolean[] t = s.clone();
            t[j] = !reusedOnes;
            double v = predict(t);
            if (v < bestValue) {
                bestValue = v;
                best = t;
            }
        }
        return best;
    }

    /**
     * Local search on predict(S) − μ·cost(S): the best improving swap (same count), and when
     * {@code cost} is not null also single flips, until none improves. Returns a new set.
     */
    boolean[] polish(boolean[] start, double[] cost, double mu) {
        State st = new State(start);
        while (true) {
            double current = st.value() - (cost == null ? 0 : mu * removed(st.s, cost));
            double best = current - 1e-18 * Math.max(1, Math.abs(current));
            int out = -1;
            int in = -1;
            for (int a = -1; a < layers; a++) {
                if (a >= 0 && !st.s[a]) {
                    continue;
                }
                for (int b = -1; b < layers; b++) {
                    if ((b >= 0 && st.s[b]) || (a < 0 && b < 0) || (cost == null && (a < 0 || b < 0))) {
                        continue;
                    }
                    double v = st.valueAfter(a, b);
                    if (cost != null) {
                        v -= mu * (removed(st.s, cost) - (a >= 0 ? cost[a] : 0) + (b >= 0 ? cost[b] : 0));
                    }
                    if (v < best) {
                        best = v;
                        out = a;
                        in = b;
                    }
                }
            }
            if (out < 0 && in < 0) {
                return st.s.clone();
            }
            st.move(out, in);
        }
    }

    static double removed(boolean[] s, double[] cost) {
        double r = 0;
        for (int j = 0; j < s.length; j++) {
            if (s[j]) {
                r += cost[j];
            }
        }
        return r;
    }

    /** A set with A and B kept up to date under flips, so moves are priced in O(1). */
    private final class State {
        final boolean[] s;
        final double[] gs;
        final double[] hu;
        double a;
        double b;

        State(boolean[] start) {
            s = start.clone();
            gs = new double[layers];
            hu = new double[layers];
            for (int i = 0; i < layers; i++) {
                for (int j = 0; j < layers; j++) {
                    if (s[j]) {
                        gs[i] += g[i][j];
                    } else {
                        hu[i] += h[i][j];
                    }
                }
            }
            a = fromNone(s);
            b = fromAll(s);
        }

        double value() {
            return Math.min(a, b);
        }

        /** min(A, B) after layer {@code out} stops being reused and layer {@code in} starts (−1: none). */
        double valueAfter(int out, int in) {
            double da = 0;
            double db = 0;
            if (out >= 0) {
                da += -2 * gs[out] + g[out][out];
                db += 2 * hu[out] + h[out][out] + 2 * hd[out];
            }
            if (in >= 0) {
                da += 2 * gs[in] + g[in][in];
                db += -2 * hu[in] + h[in][in] - 2 * hd[in];
            }
            if (out >= 0 && in >= 0) {
                da -= 2 * g[out][in];
                db -= 2 * h[out][in];
            }
            return Math.min(a + da, b + db);
        }

        void move(int out, int in) {
            if (out >= 0) {
                flip(out);
            }
            if (in >= 0) {
                flip(in);
            }
        }

        private void flip(int j) {
            boolean reuse = !s[j];
            if (reuse) {
                a += 2 * gs[j] + g[j][j];
                b += -2 * hu[j] + h[j][j] - 2 * hd[j];
            } else {
                a += -2 * gs[j] + g[j][j];
                b += 2 * hu[j] + h[j][j] + 2 * hd[j];
            }
            double sign = reuse ? 1 : -1;
            for (int i = 0; i < layers; i++) {
                gs[i] += sign * g[i][j];
                hu[i] -= sign * h[i][j];
            }
            s[j] = reuse;
        }
    }
}
