package dev.l2c.learn;

import java.util.List;

/**
 * Spends a budget of removed compute over the cache steps: given, for each step, candidate reuse
 * sets with their predicted errors (the best set found for each count of reused layers), pick one
 * candidate per step so that the total removed is at least the target and the total predicted error
 * is smallest. This is a multiple-choice knapsack, solved exactly by dynamic programming over the
 * removed cost (kept in bins of 1/{@value #BINS_PER_UNIT} of a cost unit, the total capped at the
 * target). No model evaluations are needed.
 *
 * <p>Why not one Lagrange multiplier for all steps: the predicted error of a step is far from
 * convex in the number of layers reused (it saturates: reusing most layers costs little more than
 * reusing a few), and a multiplier only reaches the convex hull of each step's frontier. The
 * dynamic program reaches every combination.
 */
final class BudgetAllocation {
    static final int BINS_PER_UNIT = 64;

    /** A reuse set for one step, what it removes (cost units) and its predicted error. */
    record Candidate(boolean[] reused, double removed, double predicted) {
    }

    private BudgetAllocation() {
    }

    /**
     * @param candidates per step, its candidates (at least one each)
     * @param target     the removed total to reach, in cost units
     * @return per step, the index of the chosen candidate
     * @throws IllegalArgumentException when no choice reaches the target
     */
    static int[] allocate(List<List<Candidate>> candidates, double target) {
        int steps = candidates.size();
        int goal = (int) Math.ceil(target * BINS_PER_UNIT - 1e-6);
        goal = Math.max(goal, 0);
        double[] best = new double[goal + 1];
        java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
        best[0] = 0;
        int[][] choice = new int[steps][goal + 1];
        int[][] from = new int[steps][goal + 1];
        for (int k = 0; k < steps; k++) {
            double[] next = new double[goal + 1];
            java.util.Arrays.fill(next, Double.POSITIVE_INFINITY);
            List<Candidate> cs = candidates.get(k);
            for (int b = 0; b <= goal; b++) {
                if (best[b] == Double.POSITIVE_INFINITY) {
                    continue;
                }
                for (int c = 0; c < cs.size(); c++) {
                    Candidate cand = cs.get(c);
                    int bins = (int) Math.floor(cand.removed() * BINS_PER_UNIT + 1e-6);
                    int to = (int) Math.min(goal, (long) b + bins);
                    double v = best[b] + cand.predicted();
                    // ties: keep the first found, which is the smaller removed total for the same error
                    if (v < next[to]) {
                        next[to] = v;
                        choice[k][to] = c;
                        from[k][to] = b;
                    }
                }
            }
            best = next;
        }
        if (best[goal] == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("no choice of candidates removes " + target);
        }
        int[] chosen = new int[steps];
        int b = goal;
        for (int k = steps - 1; k >= 0; k--) {
            chosen[k] = choice[k][b];
            b = from[k][b];
        }
        return chosen;
    }
}
