package dev.l2c.learn;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coupled allocation on small instances whose optimum can be enumerated. */
class CoupledAllocationTest {

    /** Per step: remove 0, 1 or 2 units with output MSE 0, 3, 4 (saturating, as the demo models' errors are). */
    static List<List<BudgetAllocation.Candidate>> saturating(int steps) {
        List<List<BudgetAllocation.Candidate>> all = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            all.add(List.of(new BudgetAllocation.Candidate(new boolean[0], 0, 0),
                    new BudgetAllocation.Candidate(new boolean[0], 1, 3),
                    new BudgetAllocation.Candidate(new boolean[0], 2, 4)));
        }
        return all;
    }

    static double[][] mse(List<List<BudgetAllocation.Candidate>> candidates) {
        return candidates.stream().map(cs -> cs.stream().mapToDouble(BudgetAllocation.Candidate::predicted).toArray())
                .toArray(double[][]::new);
    }

    static double removed(List<List<BudgetAllocation.Candidate>> candidates, int[] chosen) {
        double r = 0;
        for (int i = 0; i < chosen.length; i++) {
            r += candidates.get(i).get(chosen[i]).removed();
        }
        return r;
    }

    static double objective(SampleErrorModel m, double[][] mse, int[] chosen) {
        double[] e = new double[chosen.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = mse[i][chosen[i]];
        }
        return m.predict(e);
    }

    @Test
    void reusingAtTwoStepsWhoseErrorsPointTheSameWayIsAvoided() {
        // steps 0 and 1 move the samples the same way (correlation 0.9), step 2 independently
        SampleErrorModel m = new SampleErrorModel(new int[]{1, 3, 5}, new double[]{4, 4, 4},
                new double[][]{{1, 0.9, 0}, {0.9, 1, 0}, {0, 0, 1}});
        var candidates = saturating(3);
        // the knapsack without cross terms cannot tell (2, 2, 0) from (2, 0, 2): both cost 2 × 4 × gain
        int[] chosen = CoupledAllocation.improve(candidates, mse(candidates), new int[]{2, 2, 0}, 4, 0, m);
        // (2, 0, 2) or (0, 2, 2): everything reused at two steps whose changes are independent
        assertEquals(2, chosen[2]);
        assertEquals(2, chosen[0] + chosen[1]);
        assertEquals(2.0, objective(m, mse(candidates), chosen), 1e-12);
    }

    @Test
    void theBudgetIsKeptAndTheObjectiveNeverRisesOnRandomInstances() {
        Random r = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int s = 4;
            double[][] f = new double[s][3];
            for (double[] row : f) {
                for (int d = 0; d < row.length; d++) {
                    row[d] = r.nextGaussian();
                }
            }
            double[][] cross = new double[s][s];
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    for (int d = 0; d < 3; d++) {
                        cross[i][j] += f[i][d] * f[j][d];
                    }
                }
            }
            List<List<BudgetAllocation.Candidate>> candidates = new ArrayList<>();
            for (int i = 0; i < s; i++) {
                List<BudgetAllocation.Candidate> cs = new ArrayList<>();
                double e = 0;
                for (int c = 0; c < 4; c++) {
                    cs.add(new BudgetAllocation.Candidate(new boolean[0], c, e));
                    e += r.nextDouble();
                }
                candidates.add(cs);
            }
            SampleErrorModel m = new SampleErrorModel(new int[]{1, 3, 5, 7}, new double[]{2, 2, 2, 2}, cross);
            double[][] mse = mse(candidates);
            int target = 1 + r.nextInt(10);
            int[] start = BudgetAllocation.allocate(candidates, target);
            int[] chosen = CoupledAllocation.improve(candidates, mse, start, target, 0, m);
            assertTrue(removed(candidates, chosen) >= target - 1e-9, "budget kept");
            assertTrue(objective(m, mse, chosen) <= objective(m, mse, start) + 1e-12, "never worse than the start");
            // and at least as good as every allocation one or two steps away: a local optimum
            double best = Double.POSITIVE_INFINITY;
            for (int code = 0; code < 256; code++) {
                int[] c = {code & 3, code >> 2 & 3, code >> 4 & 3, code >> 6 & 3};
                int differing = 0;
                for (int i = 0; i < s; i++) {
                    differing += c[i] != chosen[i] ? 1 : 0;
                }
                if (differing <= 2 && removed(candidates, c) >= target - 1e-9) {
                    best = Math.min(best, objective(m, mse, c));
                }
            }
            assertEquals(best, objective(m, mse, chosen), 1e-9 * Math.max(1, best));
        }
    }
}
