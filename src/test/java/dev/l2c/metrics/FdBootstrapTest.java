package dev.l2c.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FdBootstrapTest {
    private static final int D = 4;

    /** n Gaussian feature vectors, N(shift·e0, I), from a seed. */
    private static float[] gaussian(long seed, int n, double shift) {
        Random r = new Random(seed);
        float[] f = new float[n * D];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < D; j++) {
                f[i * D + j] = (float) (r.nextGaussian() + (j == 0 ? shift : 0));
            }
        }
        return f;
    }

    private static FeatureStatistics reference() {
        return FeatureStatistics.of(gaussian(99, 20_000, 0), 20_000, D);
    }

    @Test
    void quantilesInterpolateLikeNumpy() {
        double[] sorted = {1, 2, 4, 8};
        // numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 3, 6.8, 8]
        assertEquals(1, FdBootstrap.quantile(sorted, 0), 1e-12);
        assertEquals(1.75, FdBootstrap.quantile(sorted, 0.25), 1e-12);
        assertEquals(3, FdBootstrap.quantile(sorted, 0.5), 1e-12);
        assertEquals(6.8, FdBootstrap.quantile(sorted, 0.9), 1e-12);
        assertEquals(8, FdBootstrap.quantile(sorted, 1), 1e-12);
    }

    @Test
    void theIntervalHoldsThePointEstimateAndNarrowsAsOneOverRootN() {
        FeatureStatistics ref = reference();
        double[] widths = new double[2];
        int[] sizes = {500, 2000};
        for (int s = 0; s < 2; s++) {
            int n = sizes[s];
            FdBootstrap b = FdBootstrap.run(List.of(gaussian(1, n, 0.5)), n, D, ref, 400, 7);
            FdBootstrap.Interval fd = b.fd(0, 0.95);
            assertTrue(fd.low() <= fd.value() && fd.value() <= fd.high(), fd.toString());
            // the shift of 0.5 in one dimension is an FD of 0.25 in the population
            assertTrue(fd.low() < 0.25 + 0.02 && 0.25 - 0.02 < fd.high(), "the population FD 0.25 is inside " + fd);
            widths[s] = fd.width();
        }
        double ratio = widths[1] / widths[0];
        assertTrue(ratio > 0.35 && ratio < 0.7, "4x the samples should halve the width, got ratio " + ratio);
    }

    @Test
    void theIntervalHoldsItsEstimateWhereFiniteSampleBiasIsLarge() {
        // 128 values from 1 000 samples, as the classifier features: the FD of two samples of one
        // distribution is about 4.5, and resampling with replacement would push every replicate higher
        int n = 1000;
        int d = 128;
        Random r = new Random(8);
        float[] f = new float[n * d];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextGaussian();
        }
        float[] g = new float[n * d];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) r.nextGaussian();
        }
        FdBootstrap boot = FdBootstrap.run(List.of(f), n, d, FeatureStatistics.of(g, n, d), 40, 3);
        FdBootstrap.Interval fd = boot.fd(0, 0.95);
        assertTrue(fd.low() < fd.value() && fd.value() < fd.high(), fd.toString());
    }

    @Test
    void pairingOverSharedNoiseDecidesADifferenceThatSeparateIntervalsCannot() {
        FeatureStatistics ref = reference();
        int n = 1000;
        float[] a = gaussian(3, n, 0.5);
        // b: the same samples, moved a little further from the reference (same noise, small systematic effect)
        float[] b = a.clone();
        for (int i = 0; i < n; i++) {
            b[i * D] += 0.03f;
        }
        FdBootstrap boot = FdBootstrap.run(List.of(a, b), n, D, ref, 500, 11);
        FdBootstrap.Interval fa = boot.fd(0, 0.95);
        FdBootstrap.Interval fb = boot.fd(1, 0.95);
        FdBootstrap.Interval diff = boot.difference(1, 0, 0.95);
        assertTrue(fa.high() > fb.low(), "the separate intervals overlap: " + fa + " " + fb);
        assertTrue(diff.excludesZero() && diff.low() > 0, "the paired difference is decided: " + diff);
        assertEquals(fb.value() - fa.value(), diff.value(), 1e-12);
        FdBootstrap.Interval rel = boot.relativeExcess(1, 0, 0.95);
        assertEquals(fb.value() / fa.value() - 1, rel.value(), 1e-12);
        assertTrue(rel.low() > 0, rel.toString());
    }

    @Test
    void aConfigurationAgainstItselfDiffersByExactlyZero() {
        float[] a = gaussian(5, 300, 0.2);
        FdBootstrap boot = FdBootstrap.run(List.of(a, a.clone()), 300, D, reference(), 100, 1);
        FdBootstrap.Interval diff = boot.difference(0, 1, 0.95);
        assertEquals(0, diff.value());
        assertEquals(0, diff.low());
        assertEquals(0, diff.high());
        assertFalse(diff.excludesZero());
    }

    @Test
    void theSameSeedGivesTheSameIntervals() {
        float[] a = gaussian(5, 300, 0.2);
        FeatureStatistics ref = reference();
        FdBootstrap one = FdBootstrap.run(List.of(a), 300, D, ref, 100, 42);
        FdBootstrap two = FdBootstrap.run(List.of(a), 300, D, ref, 100, 42);
        assertEquals(one.fd(0, 0.9), two.fd(0, 0.9));
        // another seed draws other replicates: the same point estimate, another interval
        FdBootstrap other = FdBootstrap.run(List.of(a), 300, D, ref, 100, 43);
        assertEquals(one.fd(0, 0.9).value(), other.fd(0, 0.9).value());
        assertTrue(one.fd(0, 0.9).low() != other.fd(0, 0.9).low());
    }

    @Test
    void badArgumentsAreRefused() {
        FeatureStatistics ref = reference();
        assertThrows(IllegalArgumentException.class, () -> FdBootstrap.run(List.of(new float[8]), 3, D, ref, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> FdBootstrap.run(List.of(gaussian(1, 10, 0)), 10, D, ref, 1, 0));
        FdBootstrap b = FdBootstrap.run(List.of(gaussian(1, 10, 0)), 10, D, ref, 10, 0);
        assertThrows(IllegalArgumentException.class, () -> b.fd(0, 1.0));
    }
}
