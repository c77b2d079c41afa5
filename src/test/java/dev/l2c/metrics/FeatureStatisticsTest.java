package dev.l2c.metrics;

import dev.l2c.error.InvalidInputException;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureStatisticsTest {
    @TempDir
    Path dir;

    /** The 7 × 4 features of FrechetDistanceTest.matchesNumpyAndScipy. */
    private static final float[] X = {
        0.00f, 0.60f, -0.14f, -1.34f,
        -0.45f, -1.98f, 0.03f, 2.01f,
        -0.49f, -1.24f, 0.24f, 0.54f,
        0.11f, -1.86f, -0.01f, 1.04f,
        -1.34f, -0.92f, -0.95f, -1.93f,
        -1.84f, -0.47f, -0.63f, 0.41f,
        0.16f, -0.37f, -1.26f, -0.81f};

    @Test
    void meanAndUnbiasedCovarianceMatchNumpy() {
        // X.mean(0) and np.cov(X, rowvar=False) from numpy 2.4.6 (float64 from the decimal values).
        double[] mean = {-0.55, -0.89142857, -0.38857143, -0.01142857};
        double[] cov = {
            0.59066667, -0.0166, 0.1004, 0.10058333,
            -0.0166, 0.81988095, -0.20179762, -0.92941905,
            0.1004, -0.20179762, 0.31804762, 0.48863571,
            0.10058333, -0.92941905, 0.48863571, 1.95951429};
        FeatureStatistics s = FeatureStatistics.of(X, 7, 4);
        assertEquals(7, s.n());
        assertEquals(4, s.dim());
        assertArrayEquals(mean, s.mean(), 1e-7);
        assertArrayEquals(cov, s.covariance(), 1e-7);
    }

    @Test
    void covarianceIsExactlySymmetricAndUnaffectedByALargeOffset() {
        // E[xxᵀ] − μμᵀ would lose most digits with an offset of 1000 on unit-scale data; centring first does not.
        float[] shifted = X.clone();
        for (int i = 0; i < shifted.length; i++) {
            shifted[i] += 1000f;
        }
        double[] plain = FeatureStatistics.of(X, 7, 4).covariance();
        double[] offset = FeatureStatistics.of(shifted, 7, 4).covariance();
        // float32 spacing near 1000 is 6e-5, so the shifted inputs themselves moved by up to 3e-5.
        assertArrayEquals(plain, offset, 1e-4);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(offset[i * 4 + j], offset[j * 4 + i]);
            }
        }
    }

    @Test
    void theRecordCannotBeChangedThroughItsArrays() {
        FeatureStatistics s = FeatureStatistics.of(X, 7, 4);
        s.mean()[0] = 99;
        s.covariance()[0] = 99;
        assertEquals(-0.55, s.mean()[0], 1e-7);
        assertEquals(0.59066667, s.covariance()[0], 1e-7);
    }

    @Test
    void savedStatisticsLoadBackExactly() throws Exception {
        FeatureStatistics s = FeatureStatistics.of(X, 7, 4);
        Path file = dir.resolve("stats.npz");
        s.save(file);
        assertEquals(s, FeatureStatistics.load(file));
        Map<String, NdArray> arrays = Npz.read(file);
        assertArrayEquals(new long[] {4}, arrays.get("mu").shape());
        assertArrayEquals(new long[] {4, 4}, arrays.get("sigma").shape());
        assertEquals(7, arrays.get("n").longValue());
    }

    @Test
    void aFileWithoutTheStatisticsIsRefusedWithTheNamesItNeeds() throws Exception {
        Path file = dir.resolve("other.npz");
        Npz.write(file, Map.of("x", NdArray.ofFloats(new float[] {1, 2}, 2)));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> FeatureStatistics.load(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains("'mu', 'sigma' and 'n'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void aCovarianceOfTheWrongShapeOrNotSymmetricIsRefused() throws Exception {
        Map<String, NdArray> arrays = new LinkedHashMap<>(FeatureStatistics.of(X, 7, 4).toArrays());
        arrays.put("sigma", NdArray.ofDoubles(new double[9], 3, 3));
        Path wrongShape = dir.resolve("shape.npz");
        Npz.write(wrongShape, arrays);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> FeatureStatistics.load(wrongShape));
        assertTrue(e.getMessage().contains("expected [4, 4]"), e.getMessage());

        double[] asymmetric = FeatureStatistics.of(X, 7, 4).covariance();
        asymmetric[1] += 0.5;
        arrays.put("sigma", NdArray.ofDoubles(asymmetric, 4, 4));
        Path notSymmetric = dir.resolve("asym.npz");
        Npz.write(notSymmetric, arrays);
        e = assertThrows(InvalidInputException.class, () -> FeatureStatistics.load(notSymmetric));
        assertTrue(e.getMessage().contains("not a symmetric"), e.getMessage());
    }

    @Test
    void roundingAsymmetryFromOtherToolsIsAcceptedAndRemoved() throws Exception {
        Map<String, NdArray> arrays = new LinkedHashMap<>(FeatureStatistics.of(X, 7, 4).toArrays());
        double[] cov = FeatureStatistics.of(X, 7, 4).covariance();
        cov[1] = Math.nextUp(cov[1]);
        arrays.put("sigma", NdArray.ofDoubles(cov, 4, 4));
        Path file = dir.resolve("rounded.npz");
        Npz.write(file, arrays);
        double[] loaded = FeatureStatistics.load(file).covariance();
        assertEquals(loaded[1], loaded[4]);
    }

    @Test
    void wrongSizesAreProgrammingErrors() {
        assertThrows(IllegalArgumentException.class, () -> FeatureStatistics.of(X, 7, 5));
        assertThrows(IllegalArgumentException.class, () -> FeatureStatistics.of(new float[4], 1, 4));
        assertThrows(IllegalArgumentException.class, () -> new FeatureStatistics(5, new double[3], new double[6]));
    }
}
