package dev.l2c.sampler;

import dev.l2c.error.UsageException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NoiseScheduleTest {
    // Expected values are numpy's: np.linspace(...) and np.cumprod(1 - betas) in float64, printed with repr.

    @Test
    void linearScheduleMatchesNumpyBitForBit() {
        NoiseSchedule s = NoiseSchedule.linear(1000, 1e-4, 0.02);
        assertEquals(1000, s.steps());
        assertEquals(0.0001, s.beta(0));
        assertEquals(0.00011991991991991993, s.beta(1));
        assertEquals(0.010059959959959959, s.beta(500));
        assertEquals(0.02, s.beta(999));
        assertEquals(0.9999, s.alphaBar(0));
        assertEquals(0.9997800920720721, s.alphaBar(1));
        assertEquals(0.07858724288177824, s.alphaBar(499));
        assertEquals(0.07779665836502389, s.alphaBar(500));
        assertEquals(4.035829765375676e-05, s.alphaBar(999));
    }

    @Test
    void scaledLinearScheduleMatchesNumpyBitForBit() {
        NoiseSchedule s = NoiseSchedule.scaledLinear(1000, 0.00085, 0.012);
        assertEquals(0.00085, s.beta(0), 1e-18);
        assertEquals(0.0008546986554056862, s.beta(1));
        assertEquals(0.00481495414171188, s.beta(500));
        assertEquals(0.012, s.beta(999), 1e-18);
        assertEquals(0.99915, s.alphaBar(0), 1e-16);
        assertEquals(0.9982960278384514, s.alphaBar(1));
        assertEquals(0.27766965045646763, s.alphaBar(499));
        assertEquals(0.2763326838229746, s.alphaBar(500));
        assertEquals(0.004660098513077238, s.alphaBar(999));
    }

    @Test
    void logAlphaIsHalfTheLogOfAlphaBar() {
        NoiseSchedule s = NoiseSchedule.linear(1000, 1e-4, 0.02);
        for (int t : new int[] {0, 1, 250, 999}) {
            assertEquals(0.5 * Math.log(s.alphaBar(t)), s.logAlpha(t), 1e-12);
        }
    }

    @Test
    void fromNameBuildsTheNamedSchedule() throws UsageException {
        assertEquals(NoiseSchedule.linear(1000, 1e-4, 0.02), NoiseSchedule.fromName("linear", 1000, 1e-4, 0.02));
        NoiseSchedule sd = NoiseSchedule.fromName("scaled_linear", 1000, 0.00085, 0.012);
        assertEquals(NoiseSchedule.scaledLinear(1000, 0.00085, 0.012), sd);
        assertEquals("scaled_linear", sd.name());
    }

    @Test
    void fromNameRejectsUnknownNamesListingTheValidOnes() {
        UsageException e = assertThrows(UsageException.class,
                () -> NoiseSchedule.fromName("cosine", 1000, 1e-4, 0.02));
        assertTrue(e.getMessage().contains("'cosine'") && e.getMessage().contains("linear, scaled_linear"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void fromNameRejectsBetasOutsideTheUnitInterval() {
        assertThrows(UsageException.class, () -> NoiseSchedule.fromName("linear", 1000, 0, 0.02));
        assertThrows(UsageException.class, () -> NoiseSchedule.fromName("linear", 1000, 1e-4, 1.5));
        assertThrows(UsageException.class, () -> NoiseSchedule.fromName("linear", 1, 1e-4, 0.02));
    }
}
