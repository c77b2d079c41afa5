package dev.l2c.learn;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The learner's optimisation pieces against brute force and optimality conditions. */
class RoutingMathTest {

    /** A random Gram matrix of {@code l} vectors of length {@code n}, scaled like the MSE of an output of n values. */
    static double[][] gram(Random r, int l, int n, double[][] vectorsOut) {
        double[][] v = new double[l][n];
        for (int i = 0; i < l; i++) {
            double scale = Math.exp(r.nextGaussian());
            for (int k = 0; k < n; k++) {
                v[i][k] = scale * r.nextGaussian() + (k % 3 == 0 ? 0.5 * v[0][k] : 0);
            }
        }
        if (vectorsOut != null) {
            System.arraycopy(v, 0, vectorsOut, 0, l);
        }
        double[][] g = new double[l][l];
        for (int i = 0; i < l; i++) {
            for (int j = 0; j < l; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += v[i][k] * v[j][k];
                }
                g[i][j] = s / n;
            }
        }
        return g;
    }

    @Test
    void theBoxQpSolutionSatisfiesTheOptimalityConditions() {
        Random r = new Random(1);
        for (int trial = 0; trial < 20; trial++) {
            int l = 3 + r.nextInt(20);
            double[][] g = gram(r, l, 5 + r.nextInt(40), null);
            double[] q = new double[l];
            for (int j = 0; j < l; j++) {
                q[j] = -2 * r.nextDouble();
            }
            double[] s = RoutingQp.solve(g, q);
            for (int i = 0; i < l; i++) {
                double grad = q[i];
                for (int j = 0; j < l; j++) {
                    grad += 2 * g[i][j] * s[j];
                }
                // KKT on the box: interior ⇒ zero gradient; at 0 ⇒ gradient ≥ 0; at 1 ⇒ gradient ≤ 0
                if (s[i] > 1e-9 && s[i] < 1 - 1e-9) {
                    assertEquals(0, grad, 1e-6, "interior coordinate " + i);
                } else if (s[i] <= 1e-9) {
                    assertTrue(grad >= -1e-6, "coordinate " + i + " at 0 with gradient " + grad);
                } else {
                    assertTrue(grad <= 1e-6, "coordinate " + i + " at 1 with gradient " + grad);
                }
            }
        }
    }

    @Test
    void theRelaxationIsTheBetterOfTheTwoConvexProblemsAndBeatsEveryVertex() {
        Random r = new Random(2);
        int l = 8;
        for (int trial = 0; trial < 10; trial++) {
            StepSurrogate m = surrogate(r, l);
            double[] cost = new double[l];
            java.util.Arrays.fill(cost, 1);
            double mu = m.e / l * (0.2 + 2 * r.nextDouble());
            double[] s = m.relaxed(cost, mu);
            double relaxedValue = Math.min(fromNone(m, s), fromAll(m, s)) - mu * java.util.Arrays.stream(s).sum();
            for (int mask = 0; mask < (1 << l); mask++) {
                boolean[] set = set(mask, l);
                double v = m.predict(set) - mu * Integer.bitCount(mask);
                assertTrue(relaxedValue <= v + 1e-9, "a vertex beats the relaxation: " + v + " < " + relaxedValue);
            }
        }
    }

    @Test
    void bestBySizeFindsTheBruteForceOptimumOfThePrediction() {
        Random r = new Random(3);
        int l = 10;
        int optimal = 0;
        int total = 0;
        double worst = 1;
        for (int trial = 0; trial < 10; trial++) {
            StepSurrogate m = surrogate(r, l);
            List<boolean[]> found = m.bestBySize();
            double[] best = new double[l + 1];
            java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
            for (int mask = 0; mask < (1 << l); mask++) {
                int n = Integer.bitCount(mask);
                best[n] = Math.min(best[n], m.predict(set(mask, l)));
            }
            for (int n = 0; n <= l; n++) {
                assertEquals(n, RoutingMathTest.count(found.get(n)));
                double v = m.predict(found.get(n));
                total++;
                if (v <= best[n] * (1 + 1e-9) + 1e-15) {
                    optimal++;
                }
                worst = Math.max(worst, best[n] > 0 ? v / best[n] : (v > 0 ? Double.POSITIVE_INFINITY : 1));
            }
        }
        System.out.printf("bestBySize: %d of %d sizes optimal, worst ratio to the optimum %.4f%n", optimal, total, worst);
        assertTrue(optimal >= 0.9 * total, optimal + " of " + total + " optimal");
        assertTrue(worst <= 1.05, "worst ratio " + worst);
    }

    @Test
    void theBudgetDynamicProgramMatchesBruteForce() {
        Random r = new Random(4);
        for (int trial = 0; trial < 30; trial++) {
            int steps = 2 + r.nextInt(3);
            List<List<BudgetAllocation.Candidate>> cands = new ArrayList<>();
            for (int k = 0; k < steps; k++) {
                List<BudgetAllocation.Candidate> cs = new ArrayList<>();
                int c = 1 + r.nextInt(5);
                for (int i = 0; i < c; i++) {
                    cs.add(new BudgetAllocation.Candidate(new boolean[0], r.nextInt(8) + (r.nextBoolean() ? 0.37 : 0), r.nextDouble()));
                }
                cands.add(cs);
            }
            double target = r.nextInt(12);
            double best = Double.POSITIVE_INFINITY;
            int[] idx = new int[steps];
            while (true) {
                double removed = 0;
                double err = 0;
                for (int k = 0; k < steps; k++) {
                    removed += cands.get(k).get(idx[k]).removed();
                    err += cands.get(k).get(idx[k]).predicted();
                }
                if (removed >= target - 1e-9) {
                    best = Math.min(best, err);
                }
                int k = 0;
                while (k < steps && ++idx[k] == cands.get(k).size()) {
                    idx[k] = 0;
                    k++;
                }
                if (k == steps) {
                    break;
                }
            }
            if (best == Double.POSITIVE_INFINITY) {
                continue;
            }
            int[] chosen = BudgetAllocation.allocate(cands, target);
            double removed = 0;
            double err = 0;
            for (int k = 0; k < steps; k++) {
                removed += cands.get(k).get(chosen[k]).removed();
                err += cands.get(k).get(chosen[k]).predicted();
            }
            assertTrue(removed >= target - 1e-9, "budget not met: " + removed + " < " + target);
            assertEquals(best, err, 1e-12);
        }
    }

    static StepSurrogate surrogate(Random r, int l) {
        int n = 30;
        double[][] v = new double[l][];
        double[][] g = gram(r, l, n, v);
        double[][] w = new double[l][];
        double[][] h = gram(r, l, n, w);
        double[] d = new double[n];
        for (int k = 0; k < n; k++) {
            for (int j = 0; j < l; j++) {
                d[k] += 0.8 * v[j][k];
            }
        }
        double[] hd = new double[l];
        double e = 0;
        for (int k = 0; k < n; k++) {
            e += d[k] * d[k] / n;
            for (int j = 0; j < l; j++) {
                hd[j] += d[k] * w[j][k] / n;
            }
        }
        return new StepSurrogate(g, h, hd, e);
    }

    static boolean[] set(int mask, int l) {
        boolean[] s = new boolean[l];
        for (int j = 0; j < l; j++) {
            s[j] = (mask >> j & 1) != 0;
        }
        return s;
    }

    static int count(boolean[] s) {
        int c = 0;
        for (boolean b : s) {
            c += b ? 1 : 0;
        }
        return c;
    }

    private static double fromNone(StepSurrogate m, double[] s) {
        double[] q = new double[s.length];
        return RoutingQp.value(m.g, q, s);
    }

    private static double fromAll(StepSurrogate m, double[] s) {
        double[] u = new double[s.length];
        double[] q = new double[s.length];
        for (int j = 0; j < s.length; j++) {
            u[j] = 1 - s[j];
            q[j] = 2 * m.hd[j];
        }
        return RoutingQp.value(m.h, q, u) + m.e;
    }
}
