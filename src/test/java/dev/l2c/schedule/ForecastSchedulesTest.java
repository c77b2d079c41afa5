package dev.l2c.schedule;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForecastSchedulesTest {

    /** Applies a forecast to scalar history values, most recent first. */
    private static double apply(Forecast f, double... history) {
        double s = 0;
        for (int i = 0; i < f.history(); i++) {
            s += f.weight(i) * history[i];
        }
        return s;
    }

    @Test
    void polynomialForecastsReproduceAPolynomialOfTheirDegreeExactly() {
        // values of p(t) = 3 - 2t + 0.5t² at model times 900, 700, 500 (most recent last computed: 500)
        double[] times = {500, 700, 900};
        java.util.function.DoubleUnaryOperator p = t -> 3 - 2e-3 * t + 0.5e-6 * t * t;
        Forecast quadratic = Forecast.polynomial(times, 350);
        assertEquals(p.applyAsDouble(350), apply(quadratic, p.applyAsDouble(500), p.applyAsDouble(700), p.applyAsDouble(900)),
                1e-12);
        // a line through two points continues the line
        Forecast linear = Forecast.polynomial(new double[]{500, 700}, 350);
        assertArrayEquals(new double[]{1.75, -0.75}, linear.weights(), 1e-12);
        // weights of an extrapolation sum to 1: a constant stays constant
        assertEquals(1.0, quadratic.weight(0) + quadratic.weight(1) + quadratic.weight(2), 1e-12);
    }

    @Test
    void taylorSeerWeightsFollowItsFiniteDifferenceSeries() {
        // order 1, refreshes 3 apart, 2 steps after the last: F0 + 2·(F0 − F1)/3
        assertArrayEquals(new double[]{1 + 2 / 3.0, -2 / 3.0}, ForecastSchedules.taylorSeer(new int[]{6, 3}, 8, 1).weights(),
                1e-12);
        // order 2, uniform spacing N = 3, distance d = 1: w = (1 + d/N + d²/2N², −d/N − d²/N², d²/2N²)
        double n = 3;
        double d = 1;
        assertArrayEquals(new double[]{1 + d / n + d * d / (2 * n * n), -d / n - d * d / (n * n), d * d / (2 * n * n)},
                ForecastSchedules.taylorSeer(new int[]{6, 3, 0}, 7, 2).weights(), 1e-12);
        // with one value there is nothing to difference: reuse
        assertTrue(ForecastSchedules.taylorSeer(new int[]{0}, 1, 2).isReuse());
        // order 2 with only two values drops to order 1
        assertEquals(2, ForecastSchedules.taylorSeer(new int[]{3, 0}, 4, 2).history());
    }

    @Test
    void taylorSeerOrderOneEqualsLinearExtrapolationOnAUniformGrid() {
        double[] times = new double[10];
        for (int k = 0; k < 10; k++) {
            times[k] = 900 - 100 * k;
        }
        Forecast taylor = ForecastSchedules.taylorSeer(new int[]{6, 3}, 8, 1);
        Forecast poly = ForecastSchedules.polynomial(new int[]{6, 3}, 8, 1, times);
        assertArrayEquals(taylor.weights(), poly.weights(), 1e-12);
    }

    @Test
    void taylorSeerBaselineRefreshesLikeForaAndForecastsEveryOtherLayer() throws Exception {
        Schedule ts = BaselineSchedules.taylorSeer(10, 4, Schedule.DIT_DDIM, 3, 2, 1);
        Schedule fora = BaselineSchedules.fora(10, 4, Schedule.DIT_DDIM, 3);
        for (int k = 0; k < 10; k++) {
            assertEquals(fora.step(k).full(), ts.step(k).full(), "step " + k);
        }
        assertTrue(ts.step(1).forecast(0).isReuse(), "one value computed before step 1: reuse");
        assertEquals(2, ts.step(4).forecast(0).history(), "two refreshes before step 4");
        assertEquals(3, ts.step(7).forecast(2).history(), "three refreshes before step 7");
        assertEquals("taylorseer", ts.provenance().get("kind"));
        assertEquals(2, ts.provenance().get("order"));
        // warmup 2: evaluations 0 and 1 full, then every third from 4
        Schedule warm = BaselineSchedules.taylorSeer(10, 4, Schedule.DIT_DDIM, 3, 1, 2);
        boolean[] full = new boolean[10];
        for (int k = 0; k < 10; k++) {
            full[k] = warm.step(k).full();
        }
        assertArrayEquals(new boolean[]{true, true, false, false, true, false, false, true, false, false}, full);
    }

    @Test
    void matchedTaylorSeerHitsTheBudgetAsFora() throws Exception {
        Schedule ts = BaselineSchedules.matchTaylorSeer(20, 24, Schedule.DIT_DDIM, 0.65, 2, 1);
        assertEquals(0.65, (double) ts.provenance().get("achieved_remove"), 1e-9);
        assertEquals(3, ts.provenance().get("interval"));
    }

    @Test
    void aScheduleRefusesForecastsReadingHistoryItDoesNotHave() {
        ScheduleStep step = ScheduleStep.cache().withForecasts(java.util.Map.of(0, Forecast.of(2, -1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Schedule(1, Schedule.FREE, java.util.List.of(ScheduleStep.full(1), step), java.util.Map.of(),
                        java.util.List.of()));
        assertTrue(e.getMessage().contains("step 1: layer 0 is forecast from its last 2 computed values, but only 1"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Forecast.of(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Forecast.of(1, 1, 1, 1));
    }

    @Test
    void reuseForecastsAreTheSameStepAsNone() {
        ScheduleStep plain = ScheduleStep.cache(1);
        ScheduleStep reuse = plain.withForecasts(java.util.Map.of(0, Forecast.REUSE));
        assertEquals(plain, reuse);
        assertFalse(reuse.hasForecasts());
        assertEquals(0, Forecast.REUSE.macsPerElement());
        assertEquals(3, Forecast.of(1.5, -0.75, 0.25).macsPerElement());
    }
}
