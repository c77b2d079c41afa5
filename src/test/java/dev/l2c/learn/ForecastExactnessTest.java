package dev.l2c.learn;

import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.SampleGenerator;
import dev.l2c.runtime.SampleGenerators;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.ForecastSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleStep;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compiled forecast schedule computes what the same forecasts compute directly: the model run step
 * by step, each forecast formed in Java from the branch values the run computed earlier and fed to
 * the step's reuse graph (a step computing some layers runs the plain model's blend graph).
 *
 * <p>Tolerance 2e-5 on the final samples: one forecast step is bit-identical to its Java form
 * (compiler/ForecastStepGraphTest), but over 20 steps the rounding of different kernels (and, for
 * the linked model, the sampler's arithmetic in float32 instead of double) is carried on, and an
 * extrapolation multiplies a difference in its history by up to Σ|w| (about 2.5 for order 2):
 * measured 1.0e-5 (stepwise vs direct) and 1.3e-5 (linked vs stepwise) here, against 0.6–1.0e-5 for
 * reuse-only schedules. A mis-wired history moves the samples by more than 1e-2. On the demo DiT with
 * DDIM-20 and TaylorSeer's order-2 forecasts, stepwise and linked packages, and on the U-ViT with
 * DPM-Solver-2S and the forecasts of a learned schedule.
 */
class ForecastExactnessTest {
    /**
     * Rounding only: measured 6e-6 to 9e-6 on an idle machine, but up to 1.9e-5 with another process
     * busy on the same two cores (ONNX Runtime's CPU results are then not bit-reproducible, and an
     * order-2 extrapolation amplifies what differs). A mis-wired history moves the samples by > 1e-2.
     */
    private static final float TOLERANCE = 5e-5f;
    static LoadedModel dit;
    static LoadedModel uvit;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() throws Exception {
        dit = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        uvit = LoadedModel.load(Path.of("onnx-models/uvit_fmnist.onnx"), null, null);
    }

    /**
     * The final samples of the schedule computed directly, each forecast formed in Java from the branch
     * values the run computed earlier.
     */
    private static float[] direct(LoadedModel m, LearningSetup setup, Schedule s) throws Exception {
        boolean[][] computes = ScheduleCompiler.computeTable(s);
        try (ForecastRollout rollout = new ForecastRollout(m, setup, OrtRuntime.Options.cpu())) {
            return rollout.run(computes, ScheduleCompiler.forecastTable(s), ForecastRollout.Mode.FIXED).samples();
        }
    }

    private static float[] compiled(LoadedModel m, LearningSetup setup, Schedule s, Sampler sampler, String name,
                                    ScheduleCompiler.Options options) throws Exception {
        Path pkg = tmp.resolve(name);
        ScheduleCompiler.compile(m, s, Path.of(name + ".json"), sampler, pkg, options);
        try (SampleGenerator g = SampleGenerators.open(CompiledPackage.open(pkg), OrtRuntime.Options.cpu());
             Progress p = Progress.start("test", g.evaluations(), false)) {
            return g.generate(new SampleRun.Request(setup.xT(), setup.conditions(), setup.unconditional(), setup.cfg()), p).samples();
        }
    }

    @Test
    void taylorSeerOnTheDemoDitMatchesTheDirectComputationStepwiseAndLinked() throws Exception {
        LearningSetup setup = LearningSetup.of(dit, LearnOptions.budget("ddim", 20, 0.5).withImages(2));
        Schedule ts = BaselineSchedules.taylorSeer(20, 24, Schedule.DIT_DDIM, 3, 2, 1);
        float[] direct = direct(dit, setup, ts);
        float[] stepwise = compiled(dit, setup, ts, setup.sampler(), "ts-stepwise", ScheduleCompiler.Options.stepwise());
        float[] linked = compiled(dit, setup, ts, setup.sampler(), "ts-linked", ScheduleCompiler.Options.linked(true));
        float stepwiseDiff = OrtTesting.maxAbsDiff(direct, stepwise);
        float linkedDiff = OrtTesting.maxAbsDiff(stepwise, linked);
        System.out.printf("TaylorSeer DDIM-20 samples: compiled stepwise vs direct max|d| = %.3g, linked vs stepwise %.3g%n",
                stepwiseDiff, linkedDiff);
        assertTrue(stepwiseDiff <= TOLERANCE, "compiled forecasts vs direct: max |Δ| = " + stepwiseDiff);
        assertTrue(linkedDiff <= TOLERANCE, "linked vs stepwise: max |Δ| = " + linkedDiff);
        // and the forecasts matter: plain reuse at the same refreshes lands elsewhere
        Schedule fora = BaselineSchedules.fora(20, 24, Schedule.DIT_DDIM, 3);
        float[] reuse = compiled(dit, setup, fora, setup.sampler(), "fora", ScheduleCompiler.Options.stepwise());
        float[] reuseLinked = compiled(dit, setup, fora, setup.sampler(), "fora-linked", ScheduleCompiler.Options.linked(true));
        float reuseLinkedDiff = OrtTesting.maxAbsDiff(reuse, reuseLinked);
        System.out.printf("FORA-3 (reuse at the same refreshes): linked vs stepwise max|d| = %.3g%n", reuseLinkedDiff);
        assertTrue(reuseLinkedDiff <= TOLERANCE, "reuse, linked vs stepwise: max |Δ| = " + reuseLinkedDiff);
        assertTrue(OrtTesting.maxAbsDiff(reuse, stepwise) > 1e-2f, "a forecast that changes nothing would pass too easily");
    }

    @Test
    void polynomialForecastsOnTheUvitMatchTheDirectComputation() throws Exception {
        LearningSetup setup = LearningSetup.of(uvit, LearnOptions.budget("dpm2s", 20, 0.5).withImages(2));
        Schedule refresh = BaselineSchedules.fora(20, 26, Schedule.UVIT_DPM2S, 2);
        Schedule poly = ForecastSchedules.polynomial(refresh, 2, setup.sampler().modelTimes());
        assertTrue(poly.step(5).forecast(0).history() == 3 && !poly.step(5).forecast(0).isReuse());
        float[] direct = direct(uvit, setup, poly);
        float[] stepwise = compiled(uvit, setup, poly, setup.sampler(), "uvit-poly", ScheduleCompiler.Options.stepwise());
        float diff = OrtTesting.maxAbsDiff(direct, stepwise);
        assertTrue(diff <= TOLERANCE, "compiled forecasts vs direct: max |Δ| = " + diff);
    }

    @Test
    void aForecastStepWithComputedLayersReadsTheirFreshValuesLater() throws Exception {
        // step 2 computes layers 0..5 and forecasts the rest; step 4 forecasts layer 0 from steps 2 and 0
        LearningSetup setup = LearningSetup.of(dit, LearnOptions.budget("ddim", 6, 0.5).withImages(2));
        java.util.List<ScheduleStep> steps = new java.util.ArrayList<>();
        steps.add(ScheduleStep.full(24));
        steps.add(ScheduleStep.full(24));
        steps.add(ScheduleStep.cache(0, 1, 2, 3, 4, 5));
        steps.add(ScheduleStep.full(24));
        steps.add(ScheduleStep.cache());
        steps.add(ScheduleStep.cache());
        Schedule refresh = new Schedule(24, Schedule.DIT_DDIM, steps, java.util.Map.of(), java.util.List.of());
        Schedule poly = ForecastSchedules.taylorSeer(refresh, 2);
        float[] direct = direct(dit, setup, poly);
        float[] stepwise = compiled(dit, setup, poly, setup.sampler(), "partial", ScheduleCompiler.Options.stepwise());
        float diff = OrtTesting.maxAbsDiff(direct, stepwise);
        assertTrue(diff <= TOLERANCE, "compiled forecasts vs direct: max |Δ| = " + diff);
    }
}
