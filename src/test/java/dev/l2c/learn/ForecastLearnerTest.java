package dev.l2c.learn;

import dev.l2c.error.UsageException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.schedule.Forecast;
import dev.l2c.schedule.Schedule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forecast learner on the demo DiT with a short sampler, and the least-squares fit on data with a known answer. */
class ForecastLearnerTest {
    static LoadedModel dit;

    @BeforeAll
    static void load() throws Exception {
        dit = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
    }

    @Test
    void aLearnedScheduleMeetsItsBudgetAndItsReportedErrorIsTheRolloutOfTheScheduleItWrote() throws Exception {
        LearnOptions options = LearnOptions.budget("ddim", 8, 0.5).withImages(2);
        ForecastLearner.Result r = ForecastLearner.learn(dit, options, ForecastKind.TAYLOR2);
        Schedule s = r.schedule();
        assertEquals(8, s.nfe());
        assertEquals(0.5, r.achievedRemove(), 1e-9, "4 of 8 evaluations full");
        assertEquals(96L, s.layerEvaluations());
        assertTrue(s.step(0).full());
        assertTrue(s.hasForecasts(), "taylor2 forecasts what it does not compute");
        assertEquals("learned", s.provenance().get("source"));
        assertEquals("taylor2", s.provenance().get("forecast"));
        // what the learner reports is what the schedule does: run it again from its own forecasts
        LearningSetup setup = LearningSetup.of(dit, options);
        try (ForecastRollout rollout = new ForecastRollout(dit, setup, options.runtime())) {
            float[] full = rollout.full();
            float[] again = rollout.run(dev.l2c.compiler.ScheduleCompiler.computeTable(s),
                    dev.l2c.compiler.ScheduleCompiler.forecastTable(s), ForecastRollout.Mode.FIXED).samples();
            assertEquals(r.calibrationMse(), LearnMath.mse(again, full), 1e-9 * r.calibrationMse() + 1e-12);
            // and the search did not pick something worse than spacing the refreshes evenly (FORA's pattern)
            boolean[][] even = new boolean[8][24];
            for (int k = 0; k < 8; k += 2) {
                java.util.Arrays.fill(even[k], true);
            }
            double evenMse = LearnMath.mse(rollout.run(even, (h, k) -> dev.l2c.schedule.ForecastSchedules.polynomial(h, k, 2,
                    setup.sampler().modelTimes()), ForecastRollout.Mode.FIXED).samples(), full);
            assertTrue(r.calibrationMse() <= evenMse * (1 + 1e-9), r.calibrationMse() + " > " + evenMse);
        }
    }

    @Test
    void aBudgetTheFirstFullEvaluationAloneExceedsIsRefused() {
        UsageException e = assertThrows(UsageException.class,
                () -> ForecastLearner.learn(dit, LearnOptions.budget("ddim", 4, 0.9).withImages(1), ForecastKind.TAYLOR1));
        assertTrue(e.getMessage().contains("cannot be met"), e.getMessage());
        assertThrows(UsageException.class,
                () -> ForecastLearner.learn(dit, LearnOptions.lambda("ddim", 4, 0.1).withImages(1), ForecastKind.LEARNED));
    }

    @Test
    void placementsStartAtZeroAreDistinctAndIncreasing() {
        for (int[] p : ForecastLearner.placements(20, 7)) {
            assertEquals(7, p.length);
            assertEquals(0, p[0]);
            for (int i = 1; i < p.length; i++) {
                assertTrue(p[i] > p[i - 1] && p[i] < 20, java.util.Arrays.toString(p));
            }
        }
        assertArrayEquals(new int[]{0, 2, 5, 8, 11, 14, 17}, ForecastLearner.placements(20, 7).get(3), "γ = 1: even");
    }

    @Test
    void leastSquaresRecoversTheWeightsThatMadeTheTarget() {
        java.util.Random r = new java.util.Random(1);
        int n = 1000;
        float[][] h = new float[3][n];
        float[] y = new float[n];
        for (int e = 0; e < n; e++) {
            for (int i = 0; i < 3; i++) {
                h[i][e] = (float) r.nextGaussian();
            }
            y[e] = (float) (1.7 * h[0][e] - 0.9 * h[1][e] + 0.2 * h[2][e]);
        }
        ForecastFit.Normal fit = new ForecastFit.Normal(3);
        fit.add(h, y, 0, n);
        double[] w = fit.solve();
        assertArrayEquals(new double[]{1.7, -0.9, 0.2}, w, 1e-5);
        assertEquals(0, fit.squaredError(w), 1e-6);
        assertTrue(fit.squaredError(new double[]{1, 0, 0}) > 100, "reuse is far off here");
        float[] out = new float[n];
        ForecastFit.apply(new Forecast(w), h, out);
        assertEquals(0, LearnMath.mse(out, y), 1e-9);
    }
}
