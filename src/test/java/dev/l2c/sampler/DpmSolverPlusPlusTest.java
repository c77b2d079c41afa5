package dev.l2c.sampler;

import dev.l2c.error.L2cException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DpmSolverPlusPlusTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000, 1e-4, 0.02);
    private static final NoiseSchedule SCALED = NoiseSchedule.scaledLinear(1000, 0.00085, 0.012);
    private static final float[] X_T = {0.5f, -1.2f, 2.0f, 0.1f};

    /** A model that depends on x and on the model time, so that both must be passed right. */
    private static final NoisePredictor TOY = (evaluation, x, modelTime) -> {
        float[] eps = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            eps[i] = (float) (0.3 * x[i] + 0.1 * (modelTime / 1000.0) - 0.05);
        }
        return eps;
    };

    @Test
    void singlestepModelTimesAlternateOuterAndIntermediatePoints() {
        DpmSolverPlusPlus s = DpmSolverPlusPlus.singlestep2(LINEAR, 4, false);
        double[] m = s.modelTimes();
        assertEquals(4, m.length);
        // outer times 1, 0.5005 (and 0.001, never evaluated) → model times 999 and 499.5
        assertEquals(999.0, m[0], 1e-9);
        assertEquals(499.5, m[2], 1e-9);
        // intermediate points at the λ midpoint; values from an independent numpy re-derivation
        assertEquals(787.3495799706, m[1], 1e-6);
        assertEquals(52.863462126, m[3], 1e-6);
        ContinuousTimeSchedule time = new ContinuousTimeSchedule(LINEAR);
        double[] t = s.evaluationTimes();
        double[] steps = s.stepTimes();
        for (int i = 0; i < 2; i++) {
            double mid = 0.5 * (time.lambda(steps[i]) + time.lambda(steps[i + 1]));
            assertEquals(mid, time.lambda(t[2 * i + 1]), 1e-10);
        }
        assertEquals("dpm2s", s.name());
        assertEquals("uvit-dpm2s", s.schedulePattern());
    }

    @Test
    void multistepModelTimesAreUniformInTimeWithoutTheEnd() {
        DpmSolverPlusPlus s = DpmSolverPlusPlus.multistep2(LINEAR, 12, false);
        double[] expected = {999, 915.75, 832.5, 749.25, 666, 582.75, 499.5, 416.25, 333, 249.75, 166.5, 83.25};
        assertArrayEquals(expected, s.modelTimes(), 1e-9);
        assertEquals("dpm2m", s.name());
        assertEquals("dit-ddim", s.schedulePattern());
    }

    // Expected samples from an independent float64 numpy implementation of the DPM-Solver++ formulas
    // (np.interp for the schedule, x rounded to float32 between evaluations like here).
    @Test
    void singlestepMatchesIndependentImplementation() throws L2cException {
        assertSample(new double[] {25.21599578857422, -72.7564697265625, 111.66228485107422, 2.1636509895324707},
                DpmSolverPlusPlus.singlestep2(LINEAR, 4, false));
        assertSample(new double[] {1.0048866271972656, -1.011886715888977, 1.01988685131073, 0.9184597730636597},
                DpmSolverPlusPlus.singlestep2(LINEAR, 4, true));
        assertSample(new double[] {2.9907402992248535, -8.219560623168945, 12.882182121276855, 0.35302290320396423},
                DpmSolverPlusPlus.singlestep2(SCALED, 4, false));
        assertSample(new double[] {1.0121914148330688, -1.0326474905014038, 1.0560258626937866, 0.35302290320396423},
                DpmSolverPlusPlus.singlestep2(SCALED, 4, true));
    }

    @Test
    void multistepMatchesIndependentImplementation() throws L2cException {
        // nfe 3 < 10: first and last steps first order
        assertSample(new double[] {24.87991714477539, -72.30023956298828, 110.62711334228516, 2.0139966011047363},
                DpmSolverPlusPlus.multistep2(LINEAR, 3, false));
        assertSample(new double[] {1.0048866271972656, -1.011886715888977, 1.01988685131073, 0.8815342783927917},
                DpmSolverPlusPlus.multistep2(LINEAR, 3, true));
        // nfe 12 ≥ 10: every step after the first is second order
        assertSample(new double[] {12.816874504089355, -35.5065803527832, 55.455223083496094, 1.4466534852981567},
                DpmSolverPlusPlus.multistep2(LINEAR, 12, false));
        assertSample(new double[] {2.525527000427246, -6.6464080810546875, 10.61841106414795, 0.36742478609085083},
                DpmSolverPlusPlus.multistep2(SCALED, 12, false));
        assertSample(new double[] {1.0121914148330688, -1.0326474905014038, 1.0560258626937866, 0.36742478609085083},
                DpmSolverPlusPlus.multistep2(SCALED, 12, true));
    }

    private static void assertSample(double[] expected, Sampler sampler) throws L2cException {
        float[] got = sampler.sample(X_T, TOY, StepObserver.NONE);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 2e-6 * Math.max(1, Math.abs(expected[i])), sampler + " element " + i);
        }
    }

    @Test
    void evaluatesInOrderWithTheAdvertisedModelTimesAndReportsProgress() throws L2cException {
        for (Sampler s : List.of(DpmSolverPlusPlus.singlestep2(SCALED, 6, true),
                DpmSolverPlusPlus.multistep2(SCALED, 5, true))) {
            List<Integer> evaluations = new ArrayList<>();
            List<Double> times = new ArrayList<>();
            List<String> progress = new ArrayList<>();
            s.sample(X_T, (e, x, t) -> {
                evaluations.add(e);
                times.add(t);
                return TOY.predictNoise(e, x, t);
            }, (e, total) -> progress.add(e + "/" + total));
            int n = s.evaluations();
            assertEquals(n, evaluations.size());
            for (int i = 0; i < n; i++) {
                assertEquals(i, evaluations.get(i));
                assertEquals(s.modelTimes()[i], times.get(i), 0.0);
                assertEquals(i + "/" + n, progress.get(i));
            }
        }
    }

    @Test
    void modelTimesStayInsideTheTrainingRange() {
        for (Sampler s : List.of(DpmSolverPlusPlus.singlestep2(LINEAR, 50, false),
                DpmSolverPlusPlus.multistep2(SCALED, 20, false))) {
            double previous = Double.POSITIVE_INFINITY;
            for (double m : s.modelTimes()) {
                assertTrue(m >= 0 && m <= 999, s + " model time " + m);
                assertTrue(m < previous, s + " model times must decrease");
                previous = m;
            }
        }
    }

    @Test
    void rejectsEvaluationCountsTheSolverCannotUse() {
        assertThrows(IllegalArgumentException.class, () -> DpmSolverPlusPlus.singlestep2(LINEAR, 5, false));
        assertThrows(IllegalArgumentException.class, () -> DpmSolverPlusPlus.singlestep2(LINEAR, 0, false));
        assertThrows(IllegalArgumentException.class, () -> DpmSolverPlusPlus.multistep2(LINEAR, 0, false));
    }
}
