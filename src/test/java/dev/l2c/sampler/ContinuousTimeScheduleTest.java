package dev.l2c.sampler;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContinuousTimeScheduleTest {
    private final NoiseSchedule linear = NoiseSchedule.linear(1000, 1e-4, 0.02);
    private final ContinuousTimeSchedule time = new ContinuousTimeSchedule(linear);

    @Test
    void discreteStepNSitsAtTimeNPlusOneOverT() {
        for (int n : new int[] {0, 1, 499, 998, 999}) {
            double t = (n + 1) / 1000.0;
            assertEquals(0.5 * Math.log(linear.alphaBar(n)), time.logAlpha(t), 1e-12, "n=" + n);
            assertEquals(Math.sqrt(linear.alphaBar(n)), time.alpha(t), 1e-12);
            assertEquals(Math.sqrt(1 - linear.alphaBar(n)), time.sigma(t), 1e-12);
            assertEquals(n, time.modelTime(t), 1e-9);
            assertEquals(t, time.timeOfModelTime(n), 1e-15);
        }
        assertEquals(0.001, time.startTime());
        assertEquals(1.0, time.endTime());
    }

    @Test
    void logAlphaIsLinearBetweenKnots() {
        double t = (499 + 1 + 0.25) / 1000.0; // a quarter of the way from step 499 to step 500
        double expected = 0.75 * linear.logAlpha(499) + 0.25 * linear.logAlpha(500);
        assertEquals(expected, time.logAlpha(t), 1e-12);
        assertEquals(499.25, time.modelTime(t), 1e-9);
    }

    @Test
    void lambdaIsHalfLogSnrAndInvertsExactly() {
        double t0 = 0.37;
        double a = time.alpha(t0);
        double s = time.sigma(t0);
        assertEquals(1.0, a * a + s * s, 1e-14);
        assertEquals(Math.log(a / s), time.lambda(t0), 1e-12);
        for (double t = 0.001; t <= 1.0; t += 0.0137) {
            assertEquals(t, time.timeOfLambda(time.lambda(t)), 1e-10, "t=" + t);
        }
        assertEquals(1.0, time.timeOfLambda(time.lambda(1.0)), 1e-10);
        assertEquals(0.001, time.timeOfLambda(time.lambda(0.001)), 1e-10);
    }

    @Test
    void lambdaDecreasesFromStartToEnd() {
        double previous = Double.POSITIVE_INFINITY;
        for (double t = 0.001; t <= 1.0; t += 0.001) {
            double l = time.lambda(t);
            assertTrue(l < previous, "lambda must decrease, t=" + t);
            previous = l;
        }
    }

    @Test
    void uniformTimesRunFromOneToOneOverT() {
        double[] ts = time.uniformTimesDescending(4);
        assertEquals(5, ts.length);
        assertEquals(1.0, ts[0]);
        assertEquals(0.75025, ts[1], 1e-15);
        assertEquals(0.5005, ts[2], 1e-15);
        assertEquals(0.001, ts[4]);
    }
}
