package dev.l2c.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FidelityTest {

    @Test
    void identicalSamplesHaveInfinitePsnr() {
        float[] x = {-1f, 0.25f, 1f, 0.5f};
        Fidelity f = Fidelity.of(x, x.clone());
        assertEquals(0, f.mse());
        assertEquals(0, f.maxAbsDiff());
        assertEquals(Double.POSITIVE_INFINITY, f.psnr());
    }

    @Test
    void psnrUsesThePeakToPeakRangeOfTwo() {
        // Every pixel off by 0.2: MSE 0.04, PSNR = 10·log10(4 / 0.04) = 20 dB.
        float[] reference = new float[100];
        float[] test = new float[100];
        for (int i = 0; i < 100; i++) {
            reference[i] = -0.5f + i / 100f;
            test[i] = reference[i] + (i % 2 == 0 ? 0.2f : -0.2f);
        }
        Fidelity f = Fidelity.of(test, reference);
        assertEquals(0.04, f.mse(), 1e-7);
        assertEquals(20.0, f.psnr(), 1e-5);
        assertEquals(0.2, f.maxAbsDiff(), 1e-6);
    }

    @Test
    void oppositeExtremesGiveZeroDecibels() {
        // The worst possible error for [-1, 1] images (all -1 against all 1) is the peak itself: 0 dB.
        Fidelity f = Fidelity.of(new float[] {-1f, -1f}, new float[] {1f, 1f});
        assertEquals(4.0, f.mse());
        assertEquals(0.0, f.psnr(), 1e-12);
        assertEquals(2.0, f.maxAbsDiff());
    }

    @Test
    void maxAbsDiffFindsTheSinglePixelThatDiffers() {
        float[] reference = new float[1000];
        float[] test = new float[1000];
        test[637] = -0.75f;
        Fidelity f = Fidelity.of(test, reference);
        assertEquals(0.75, f.maxAbsDiff());
        assertEquals(0.75 * 0.75 / 1000, f.mse(), 1e-15);
        assertEquals(10 * Math.log10(4 / (0.5625 / 1000)), f.psnr(), 1e-9);
    }

    @Test
    void aNanSampleCannotLookGood() {
        Fidelity f = Fidelity.of(new float[] {Float.NaN, 0f}, new float[] {0f, 0.5f});
        assertTrue(Double.isNaN(f.mse()));
        assertTrue(Double.isNaN(f.psnr()));
        assertTrue(Double.isNaN(f.maxAbsDiff()));
    }

    @Test
    void samplesOfDifferentSizesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fidelity.of(new float[4], new float[8]));
        assertTrue(e.getMessage().contains("same noise and labels"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Fidelity.of(new float[0], new float[0]));
    }
}
