package dev.l2c.learn;

/**
 * Predicts the final samples' mean squared error from the output errors of the cache steps, for
 * {@link LearnOptions#SAMPLE} weighting.
 *
 * <p>Measured per cache step i: e_i, the model output's mean squared error when every layer is
 * reused there, and f_i, the change of the final samples when exactly that output error is added at
 * step i and the rest of the run is computed in full. A routing whose output error at step i is E_i
 * is taken to move the final samples by a_i·f_i with a_i = √(E_i / e_i) (the same direction, scaled),
 * and errors of different steps to add up as vectors:
 * <pre>  final MSE ≈ Σ_i Σ_j a_i a_j C_ij,   C_ij = f_i·f_j / n.</pre>
 * The diagonal alone is Σ_i g_i E_i with the gains g_i = C_ii / e_i (the per-step weights). The
 * cross terms matter: on the demo DiT, caching errors of neighbouring steps point the same way, so
 * reusing everything at several consecutive steps costs several times what the diagonal predicts.
 *
 * @param steps    the cache steps, in order
 * @param allMse   e_i per cache step
 * @param cross    C_ij over the cache steps
 */
record SampleErrorModel(int[] steps, double[] allMse, double[][] cross) {

    /** The gain of cache step i (its index among {@link #steps}): final MSE per unit of output MSE. */
    double gain(int i) {
        return allMse[i] > 0 ? cross[i][i] / allMse[i] : 0;
    }

    /** a_i for an output error of {@code mse} at cache step i. */
    double amplitude(int i, double mse) {
        return allMse[i] > 0 ? Math.sqrt(Math.max(mse, 0) / allMse[i]) : 0;
    }

    /** The predicted final MSE for output errors {@code stepMse} (one per cache step). */
    double predict(double[] stepMse) {
        double[] a = new double[steps.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = amplitude(i, stepMse[i]);
        }
        return quadratic(a);
    }

    double quadratic(double[] a) {
        double q = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a.length; j++) {
                q += a[i] * a[j] * cross[i][j];
            }
        }
        return q;
    }

    /** The correlation of the final-sample changes of cache steps i and j. */
    double correlation(int i, int j) {
        double d = Math.sqrt(cross[i][i] * cross[j][j]);
        return d > 0 ? cross[i][j] / d : 0;
    }
}
