package dev.l2c.learn;

import java.util.List;

/**
 * Improves an allocation of reuse sets over the cache steps when the steps' errors are coupled: the
 * objective is the predicted final-sample error of a {@link SampleErrorModel} (a quadratic form in
 * the steps' error amplitudes, cross terms included), which the knapsack of {@link BudgetAllocation}
 * cannot express (it adds independent per-step costs). Starting from the knapsack's choice (the
 * solution without cross terms), best-improvement local search over moves that change one step's
 * candidate, or two steps' at once (so that removed compute can move from one step to another under a
 * hard budget), until no move improves. No model evaluations.
 */
final class CoupledAllocation {

    private CoupledAllocation() {
    }

    /**
     * @param candidates per cache step, its candidates
     * @param stepMse    per cache step and candidate, the predicted output MSE (unweighted)
     * @param start      per cache step, the index of the starting candidate
     * @param target     the removed total to keep, in cost units (a hard budget), or NaN for none
     * @param lambda     penalty per cost unit computed (0 under a budget)
     * @param model      the coupled error model over the same cache steps
     * @return per cache step, the chosen candidate
     */
    static int[] improve(List<List<BudgetAllocation.Candidate>> candidates, double[][] stepMse, int[] start, double target,
                         double lambda, SampleErrorModel model) {
        int s = candidates.size();
        int[] chosen = start.clone();
        double[][] amp = new double[s][];
        for (int i = 0; i < s; i++) {
            amp[i] = new double[candidates.get(i).size()];
            for (int c = 0; c < amp[i].length; c++) {
                amp[i][c] = model.amplitude(i, stepMse[i][c]);
            }
        }
        double[][] cross = model.cross();
        double[] a = new double[s];
        double removed = 0;
        for (int i = 0; i < s; i++) {
            a[i] = amp[i][chosen[i]];
            removed += candidates.get(i).get(chosen[i]).removed();
        }
        boolean budgeted = !Double.isNaN(target);
        for (int iteration = 0; iteration < 100_000; iteration++) {
            double[] g = new double[s];
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    g[i] += cross[i][j] * a[j];
                }
            }
            double q = 0;
            for (int i = 0; i < s; i++) {
                q += a[i] * g[i];
            }
            double best = -1e-12 * Math.max(q, Double.MIN_NORMAL);
            int bi = -1;
            int bci = -1;
            int bj = -1;
            int bcj = -1;
            for (int i = 0; i < s; i++) {
                List<BudgetAllocation.Candidate> ci = candidates.get(i);
                double ri = ci.get(chosen[i]).removed();
                for (int c = 0; c < ci.size(); c++) {
                    if (c == chosen[i]) {
                        continue;
                    }
                    double di = amp[i][c] - a[i];
                    double dqi = 2 * di * g[i] + di * di * cross[i][i];
                    double dri = ci.get(c).removed() - ri;
                    // one step alone
                    if (!budgeted || removed + dri >= target - 1e-9) {
                        double change = dqi - lambda * dri;
                        if (change < best) {
                            best = change;
                            bi = i;
                            bci = c;
                            bj = -1;
                        }
                    }
                    // with a second step
                    for (int j = i + 1; j < s; j++) {
                        List<BudgetAllocation.Candidate> cj = candidates.get(j);
                        double rj = cj.get(chosen[j]).removed();
                        for (int d = 0; d < cj.size(); d++) {
                            if (d == chosen[j]) {
                                continue;
                            }
                            double drj = cj.get(d).removed() - rj;
                            if (budgeted && removed + dri + drj < target - 1e-9) {
                                continue;
                            }
                            double dj = amp[j][d] - a[j];
                            double change = dqi + 2 * dj * g[j] + dj * dj * cross[j][j] + 2 * di * dj * cross[i][j]
                                    - lambda * (dri + drj);
                            if (change < best) {
                                best = change;
                                bi = i;
                                bci = c;
                                bj = j;
                                bcj = d;
                            }
                        }
                    }
                }
            }
            if (bi < 0) {
                break;
            }
            removed += candidates.get(bi).get(bci).removed() - candidates.get(bi).get(chosen[bi]).removed();
            chosen[bi] = bci;
            a[bi] = amp[bi][bci];
            if (bj >= 0) {
                removed += candidates.get(bj).get(bcj).removed() - candidates.get(bj).get(chosen[bj]).removed();
                chosen[bj] = bcj;
                a[bj] = amp[bj][bcj];
            }
        }
        return chosen;
    }
}
