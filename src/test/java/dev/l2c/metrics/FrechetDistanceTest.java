package dev.l2c.metrics;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrechetDistanceTest {

    /** Statistics given directly (n is irrelevant to the distance). */
    private static FeatureStatistics gaussian(double[] mean, double[] covariance) {
        return new FeatureStatistics(100, mean, covariance);
    }

    private static float[] randomFeatures(long seed, int n, int d) {
        Random r = new Random(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                // Correlated, unequal scales, non-zero mean: nothing that the formula gets right by accident.
                x[i * d + j] = (float) (r.nextGaussian() * (1 + j % 5) + 0.3 * j + (j > 0 ? 0.5 * x[i * d + j - 1] : 0));
            }
        }
        return x;
    }

    @Test
    void aSetHasDistanceZeroToItself() {
        FeatureStatistics s = FeatureStatistics.of(randomFeatures(1, 3000, 128), 3000, 128);
        FrechetDistance fd = FrechetDistance.between(s, s);
        assertEquals(0, fd.meanTerm());
        assertEquals(0, fd.value(), 1e-9 * 128);
        assertEquals(0, fd.covarianceTerm(), 1e-9 * 128);
    }

    @Test
    void diagonalCovariancesHaveTheClosedForm() {
        // For commuting (here diagonal) covariances FD = ‖μ1−μ2‖² + Σ (√a − √b)².
        double[] a = {1, 4, 9, 0.25};
        double[] b = {4, 1, 9, 2.25};
        FrechetDistance fd = FrechetDistance.between(
                gaussian(new double[] {0, 1, 2, 3}, diagonal(a)),
                gaussian(new double[] {1, 1, 0, 3}, diagonal(b)));
        double expectedCov = 1 + 1 + 0 + 1; // (1−2)², (2−1)², (3−3)², (0.5−1.5)²
        assertEquals(5, fd.meanTerm(), 1e-12);
        assertEquals(expectedCov, fd.covarianceTerm(), 1e-12);
        assertEquals(5 + expectedCov, fd.value(), 1e-12);
    }

    @Test
    void identityAgainstAnSpdMatrix() {
        // S1 = I, S2 = [[2, 1], [1, 2]] (eigenvalues 3 and 1): tr(S1) + tr(S2) − 2 tr(S2^½) = 2 + 4 − 2(√3 + 1).
        double[] s2 = {2, 1, 1, 2};
        FrechetDistance fd = FrechetDistance.between(gaussian(new double[2], diagonal(new double[] {1, 1})),
                gaussian(new double[2], s2));
        assertEquals(4 - 2 * Math.sqrt(3), fd.value(), 1e-12);
    }

    @Test
    void nonCommutingTwoByTwoCase() {
        // S1 = diag(4, 1), S2 = [[2, 1], [1, 2]] do not commute. S1·S2 = [[8, 4], [1, 2]] has trace 10 and
        // determinant 12, and a 2×2 matrix with non-negative eigenvalues p, q has tr(A^½) = √p + √q
        // = √(p + q + 2√(pq)) = √(10 + 2√12). FD = 5 + 4 − 2·√(10 + 2√12).
        FrechetDistance fd = FrechetDistance.between(gaussian(new double[] {0, 0}, diagonal(new double[] {4, 1})),
                gaussian(new double[] {0, 0}, new double[] {2, 1, 1, 2}));
        assertEquals(9 - 2 * Math.sqrt(10 + 2 * Math.sqrt(12)), fd.value(), 1e-12);
        // The distance is symmetric although S1^½ S2 S1^½ and S2^½ S1 S2^½ are different matrices.
        FrechetDistance back = FrechetDistance.between(gaussian(new double[] {0, 0}, new double[] {2, 1, 1, 2}),
                gaussian(new double[] {0, 0}, diagonal(new double[] {4, 1})));
        assertEquals(fd.value(), back.value(), 1e-12);
    }

    @Test
    void aTranslationOnlyAddsTheSquaredShift() {
        int n = 500;
        int d = 16;
        float[] x = randomFeatures(2, n, d);
        float[] shifted = x.clone();
        double shift = 0;
        for (int j = 0; j < d; j++) {
            float c = 0.25f * (j - 7);
            shift += (double) c * c;
            for (int i = 0; i < n; i++) {
                shifted[i * d + j] += c;
            }
        }
        FrechetDistance fd = FrechetDistance.between(FeatureStatistics.of(x, n, d), FeatureStatistics.of(shifted, n, d));
        // float32 rounding of the shifted features is the only error.
        assertEquals(shift, fd.meanTerm(), 1e-4);
        assertEquals(0, fd.covarianceTerm(), 1e-3);
        assertEquals(shift, fd.value(), 1e-3);
    }

    @Test
    void rankDeficientCovariancesGiveAFiniteNonNegativeDistance() {
        // 20 vectors in 128 dimensions: both covariances have rank ≤ 19, most eigenvalues are rounding noise.
        int n = 20;
        int d = 128;
        FeatureStatistics a = FeatureStatistics.of(randomFeatures(3, n, d), n, d);
        FeatureStatistics b = FeatureStatistics.of(randomFeatures(4, n, d), n, d);
        FrechetDistance fd = FrechetDistance.between(a, b);
        assertTrue(Double.isFinite(fd.value()) && fd.value() > 0, "FD " + fd);
        assertEquals(0, FrechetDistance.between(a, a).value(), 1e-9 * 128);
        assertEquals(fd.value(), FrechetDistance.between(b, a).value(), 1e-9 * fd.value());
    }

    @Test
    void matchesNumpyAndScipy() {
        // Computed by python3 with numpy 2.4.6 and scipy 1.17.1 from exactly these features:
        //   m, s = X.mean(0), np.cov(X, rowvar=False)   (likewise for Y)
        //   FD = ((m1-m2)**2).sum() + tr(s1) + tr(s2) - 2·tr(sqrtm(s1 @ s2).real)     (scipy.linalg.sqrtm)
        // and, the same to 15 digits, with numpy.linalg.eigh as this class does: 4.35301299266497.
        float[] x = {
            0.00f, 0.60f, -0.14f, -1.34f,
            -0.45f, -1.98f, 0.03f, 2.01f,
            -0.49f, -1.24f, 0.24f, 0.54f,
            0.11f, -1.86f, -0.01f, 1.04f,
            -1.34f, -0.92f, -0.95f, -1.93f,
            -1.84f, -0.47f, -0.63f, 0.41f,
            0.16f, -0.37f, -1.26f, -0.81f};
        float[] y = {
            0.36f, -0.16f, -1.50f, 1.13f,
            -0.64f, -1.55f, 0.82f, -0.23f,
            0.45f, 0.62f, -0.32f, 1.12f,
            0.63f, -0.13f, -1.21f, 1.57f,
            1.88f, -1.12f, 0.40f, 0.78f,
            -0.38f, 1.43f, 1.36f, -0.50f};
        // numpy worked in float64 from the decimal values; float32 inputs differ by ~1e-8 relative.
        FrechetDistance fd = FrechetDistance.between(FeatureStatistics.of(x, 7, 4), FeatureStatistics.of(y, 6, 4));
        assertEquals(4.35301299266497, fd.value(), 1e-6);
    }

    @Test
    void featuresOfDifferentSizesCannotBeCompared() {
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(
                gaussian(new double[2], diagonal(new double[] {1, 1})),
                gaussian(new double[3], diagonal(new double[] {1, 1, 1}))));
    }

    @Test
    void distancesToAFixedReferenceEqualTheSymmetricFormula() {
        FeatureStatistics ref = FeatureStatistics.of(randomFeatures(1, 400, 16), 400, 16);
        FrechetDistance.Against against = FrechetDistance.against(ref);
        for (long seed = 2; seed < 6; seed++) {
            // fewer vectors than values: a rank-deficient covariance too
            int n = seed == 5 ? 10 : 300;
            FeatureStatistics a = FeatureStatistics.of(randomFeatures(seed, n, 16), n, 16);
            double expected = FrechetDistance.between(a, ref).value();
            // two rounding paths; square roots of near-zero eigenvalues amplify them in the rank-deficient case
            assertEquals(expected, against.distance(a), 1e-8 * Math.max(1, expected));
        }
        assertEquals(0, against.distance(ref), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> against.distance(FeatureStatistics.of(randomFeatures(1, 10, 4), 10, 4)));
    }

    private static double[] diagonal(double[] values) {
        int d = values.length;
        double[] m = new double[d * d];
        for (int i = 0; i < d; i++) {
            m[i * d + i] = values[i];
        }
        return m;
    }
}
