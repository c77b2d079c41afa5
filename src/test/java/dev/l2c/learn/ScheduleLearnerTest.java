package dev.l2c.learn;

import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.PackageExecutor;
import dev.l2c.runtime.PlainModelExecutor;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.sampler.Samplers;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import dev.l2c.schedule.ScheduleStep;
import dev.l2c.io.Progress;
import dev.l2c.testing.TinyModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The learner on a tiny DiT (3 blocks, 6 layers) where every reuse set can be measured, and on the
 * demo DiT where the result must compile and sample.
 */
class ScheduleLearnerTest {
    private static final int BLOCKS = 3;
    private static final int LAYERS = 2 * BLOCKS;
    /** NFE 4 with the dit-ddim pattern: steps 1 and 3 are cache steps, each reusing from the full step before. */
    private static final int NFE = 4;
    private static final int[] CACHE_STEPS = {1, 3};

    @TempDir
    static Path dir;
    static LoadedModel tiny;
    /** errors[mask][k]: measured error at step k when the layers in mask are reused at both cache steps. */
    static double[][] errors;

    @BeforeAll
    static void measureEverySet() throws Exception {
        tiny = LoadedModel.load(TinyModels.writeTinyDiffusionDit(dir, BLOCKS), null, null);
        assertEquals(LAYERS, tiny.layers().size());
        List<Schedule> all = new ArrayList<>();
        for (int mask = 0; mask < 1 << LAYERS; mask++) {
            all.add(withAtCacheSteps(computedOf(mask), computedOf(mask)));
        }
        errors = ScheduleLearner.stepErrors(tiny, all, options(0.25));
    }

    static LearnOptions options(double budget) {
        // the brute-force optima below are of L2C's per-step objective
        return LearnOptions.budget("ddim", NFE, budget).withImages(4).withWeighting(LearnOptions.OUTPUT);
    }

    static int[] computedOf(int reusedMask) {
        return java.util.stream.IntStream.range(0, LAYERS).filter(j -> (reusedMask >> j & 1) == 0).toArray();
    }

    static Schedule withAtCacheSteps(int[] computed1, int[] computed3) {
        List<ScheduleStep> steps = new ArrayList<>(Collections.nCopies(NFE, ScheduleStep.full(LAYERS)));
        steps.set(1, ScheduleStep.cache(computed1));
        steps.set(3, ScheduleStep.cache(computed3));
        return new Schedule(LAYERS, Schedule.DIT_DDIM, steps, Map.of(), List.of());
    }

    static int reusedMask(ScheduleStep step) {
        int mask = (1 << LAYERS) - 1;
        for (int j : step.computed()) {
            mask &= ~(1 << j);
        }
        return mask;
    }

    @Test
    void withABudgetTheLearnedScheduleIsAtOrNearTheBruteForceOptimum() throws Exception {
        // reuse 3 of the 12 layer evaluations at the two cache steps, any split between them
        for (int reuse : new int[]{3, 6, 9}) {
            double budget = reuse / (double) (NFE * LAYERS);
            LearnedSchedule learned = ScheduleLearner.learn(tiny, options(budget));
            Schedule s = learned.schedule();
            int m1 = reusedMask(s.step(1));
            int m3 = reusedMask(s.step(3));
            assertTrue(Integer.bitCount(m1) + Integer.bitCount(m3) >= reuse, "budget not met: " + s);
            assertTrue(learned.achievedRemove() >= budget - 1e-12);
            double optimum = Double.POSITIVE_INFINITY;
            int better = 0;
            double achieved = errors[m1][1] + errors[m3][3];
            for (int a = 0; a < 1 << LAYERS; a++) {
                for (int b = 0; b < 1 << LAYERS; b++) {
                    if (Integer.bitCount(a) + Integer.bitCount(b) == reuse) {
                        double e = errors[a][1] + errors[b][3];
                        optimum = Math.min(optimum, e);
                        better += e < achieved * (1 - 1e-9) ? 1 : 0;
                    }
                }
            }
            System.out.printf("reuse %d: learned %.5g (learner measured %.5g), brute-force optimum %.5g, ratio %.4f,"
                    + " %d better sets%n", reuse, achieved, learned.totalMse(), optimum, achieved / optimum, better);
            // the learner's own measurements agree with the independent ones
            assertEquals(achieved, learned.totalMse(), 1e-6 * achieved);
            assertTrue(achieved <= 1.05 * optimum, "learned " + achieved + " vs optimum " + optimum);
        }
    }

    @Test
    void withLambdaTheLearnedStepsAreAtOrNearTheBruteForceOptimum() throws Exception {
        // a λ at which the optimum is neither "reuse everything" nor "reuse nothing"
        double lambda = errors[(1 << LAYERS) - 1][1] / LAYERS;
        LearnedSchedule learned = ScheduleLearner.learn(tiny, LearnOptions.lambda("ddim", NFE, lambda).withImages(4)
                .withWeighting(LearnOptions.OUTPUT));
        double total = 0;
        double optimum = 0;
        for (int k : CACHE_STEPS) {
            int m = reusedMask(learned.schedule().step(k));
            total += errors[m][k] + lambda * (LAYERS - Integer.bitCount(m));
            double best = Double.POSITIVE_INFINITY;
            for (int a = 0; a < 1 << LAYERS; a++) {
                best = Math.min(best, errors[a][k] + lambda * (LAYERS - Integer.bitCount(a)));
            }
            optimum += best;
        }
        System.out.printf("lambda %.4g: learned objective %.5g (learner %.5g), brute-force optimum %.5g, ratio %.4f%n",
                lambda, total, learned.objective(), optimum, total / optimum);
        assertEquals(total, learned.objective(), 1e-6 * total);
        assertTrue(total <= 1.05 * optimum, "learned " + total + " vs optimum " + optimum);
    }

    @Test
    void theSameSeedLearnsTheSameScheduleAndTheProvenanceSaysHow() throws Exception {
        LearnedSchedule a = ScheduleLearner.learn(tiny, options(0.25).withSeed(7));
        LearnedSchedule b = ScheduleLearner.learn(tiny, options(0.25).withSeed(7));
        assertEquals(a.schedule().steps(), b.schedule().steps());
        for (int k = 0; k < NFE; k++) {
            assertArrayEquals(a.schedule().scores().get(k), b.schedule().scores().get(k));
        }
        assertEquals(a.objective(), b.objective());
        Map<String, Object> p = a.schedule().provenance();
        assertEquals("learned", p.get("source"));
        assertEquals(ScheduleLearner.METHOD, p.get("method"));
        assertEquals(0.25, p.get("budget"));
        assertEquals(7, p.get("seed"));
        assertEquals(4, ((Map<?, ?>) p.get("calibration")).get("images"));
        assertEquals(CACHE_STEPS.length, ((List<?>) p.get("objective_per_step")).size());
        assertTrue(p.containsKey("seconds"));
        List<float[]> scores = a.schedule().scores();
        assertNull(scores.get(0));
        assertNull(scores.get(2));
        assertEquals(LAYERS, scores.get(1).length);
        // the schedule survives its file format
        Path file = dir.resolve("learned.json");
        ScheduleJson.write(a.schedule(), file);
        assertEquals(a.schedule(), ScheduleJson.read(file));
    }

    @Test
    void aBudgetInMacsIsMetInMacs() throws Exception {
        LearnedSchedule learned = ScheduleLearner.learn(tiny, options(0.3).withBudgetUnit(BaselineSchedules.UNIT_MACS));
        long[] macs = tiny.layers().layers().stream().mapToLong(l -> l.macsPerSample()).toArray();
        double removed = BaselineSchedules.removedMacFraction(learned.schedule(), macs, tiny.layers().macsPerSampleFull(), NFE);
        assertEquals(removed, learned.achievedRemove(), 1e-9);
        assertTrue(removed >= 0.3 - 1e-9, "removed " + removed);
        assertEquals(BaselineSchedules.UNIT_MACS, learned.schedule().provenance().get("budget_unit"));
    }

    @Test
    void sampleWeightsAreTheMeasuredGainOfEachCacheStepIntoTheFinalSamples(@TempDir Path tmp) throws Exception {
        LearnOptions o = options(0.25).withWeighting(LearnOptions.SAMPLE);
        LearnedSchedule learned = ScheduleLearner.learn(tiny, o);
        assertEquals(LearnOptions.SAMPLE, learned.schedule().provenance().get("weighting"));
        Map<Integer, Double> weight = new java.util.HashMap<>();
        for (Object entry : (List<?>) learned.schedule().provenance().get("objective_per_step")) {
            Map<?, ?> m = (Map<?, ?>) entry;
            weight.put(((Number) m.get("step")).intValue(), ((Number) m.get("weight")).doubleValue());
        }
        int all = (1 << LAYERS) - 1;
        Sampler sampler = Samplers.create("ddim", NoiseSchedule.fromName(tiny.card().betaSchedule(), tiny.card().trainSteps(),
                tiny.card().betaStart(), tiny.card().betaEnd()), NFE, tiny.card().clipX0());
        int images = o.images();
        long[] labels = new long[images];
        for (int i = 0; i < images; i++) {
            labels[i] = i % tiny.card().classes();
        }
        SampleRun.Request request = new SampleRun.Request(ScheduleLearner.gaussian(o.seed(), images * tiny.card().sampleElements()),
                labels, tiny.card().defaultCfg());
        float[] full;
        try (PlainModelExecutor exec = new PlainModelExecutor(tiny.file(), tiny.card(), OrtRuntime.Options.cpu());
             Progress none = Progress.start("", 1, false)) {
            full = SampleRun.run(exec, tiny.card(), sampler, request, none).samples();
        }
        for (int k : CACHE_STEPS) {
            double sampled = sampledError(tmp, sampler, request, full, k == 1 ? new int[0] : null, k == 3 ? new int[0] : null);
            double predicted = weight.get(k) * errors[all][k];
            assertTrue(sampled > 0, "reusing every layer at step " + k + " changes the samples");
            assertEquals(sampled, predicted, 0.02 * sampled, "step " + k + ": gain " + weight.get(k) + " × output error "
                    + errors[all][k]);
        }
        // both steps at once: the changes add up as vectors (cross term from the measured correlation)
        double rho = ((Number) ((List<?>) ((Map<?, ?>) learned.schedule().provenance().get("sample_error_model"))
                .get("neighbour_correlation")).get(0)).doubleValue();
        double d1 = weight.get(1) * errors[all][1];
        double d3 = weight.get(3) * errors[all][3];
        double predictedBoth = d1 + d3 + 2 * rho * Math.sqrt(d1 * d3);
        double sampledBoth = sampledError(tmp, sampler, request, full, new int[0], new int[0]);
        System.out.printf("tiny DiT, every layer reused at steps 1 and 3: final MSE %.4g, predicted %.4g (without the"
                + " cross term %.4g, correlation %.3f)%n", sampledBoth, predictedBoth, d1 + d3, rho);
        assertEquals(sampledBoth, predictedBoth, 0.1 * sampledBoth);
    }

    /** The final samples' MSE against {@code full} with the given computed layers at steps 1 and 3 (null: full step). */
    static double sampledError(Path tmp, Sampler sampler, SampleRun.Request request, float[] full, int[] at1, int[] at3)
            throws Exception {
        List<ScheduleStep> steps = new ArrayList<>(Collections.nCopies(NFE, ScheduleStep.full(LAYERS)));
        if (at1 != null) {
            steps.set(1, ScheduleStep.cache(at1));
        }
        if (at3 != null) {
            steps.set(3, ScheduleStep.cache(at3));
        }
        Schedule schedule = new Schedule(LAYERS, Schedule.DIT_DDIM, steps, Map.of(), List.of());
        Path pkg = Files.createTempDirectory(tmp, "pkg").resolve("p");
        ScheduleCompiler.compile(tiny, schedule, Path.of("s.json"),
                sampler, pkg);
        try (PackageExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu());
             Progress none = Progress.start("", 1, false)) {
            return LearnMath.mse(SampleRun.run(exec, tiny.card(), sampler, request, none).samples(), full);
        }
    }

    /** On the demo DiT: the budget is met, the schedule compiles, and sampling with it stays close to the full samples. */
    @Test
    void aLearnedDemoDitScheduleCompilesAndSamples(@TempDir Path tmp) throws Exception {
        LoadedModel dit = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        LearnOptions o = LearnOptions.budget("ddim", 4, 0.2).withImages(2).withSearch(1, 2);
        LearnedSchedule learned = ScheduleLearner.learn(dit, o);
        Schedule s = learned.schedule();
        assertTrue(BaselineSchedules.removedFraction(s, 4) >= 0.2 - 1e-12, s.toString());
        for (LearnedSchedule.StepReport r : learned.steps()) {
            assertTrue(r.mse() <= r.allocatedMse(), "swaps never make a step worse");
        }
        NoiseSchedule ns = NoiseSchedule.linear(1000, 1e-4, 0.02);
        Sampler sampler = Samplers.create("ddim", ns, 4, true);
        Path pkg = tmp.resolve("pkg");
        ScheduleCompiler.compile(dit, s, Path.of("learned.json"),
                sampler, pkg);
        float[] xT = ScheduleLearner.gaussian(11, 2 * 784);
        SampleRun.Request request = new SampleRun.Request(xT, new long[]{3, 8}, 1.5f);
        float[] cached;
        try (PackageExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu());
             Progress none = Progress.start("", 1, false)) {
            cached = SampleRun.run(exec, dit.card(), sampler, request, none).samples();
        }
        float[] full;
        try (PlainModelExecutor exec = new PlainModelExecutor(dit.file(), dit.card(), OrtRuntime.Options.cpu());
             Progress none = Progress.start("", 1, false)) {
            full = SampleRun.run(exec, dit.card(), sampler, request, none).samples();
        }
        double mse = LearnMath.mse(cached, full);
        double psnr = 10 * Math.log10(4 / mse);
        System.out.printf("demo DiT, DDIM-4, 20%% removed: %s, PSNR vs full %.1f dB, %.1f s%n",
                Arrays.toString(learned.steps().stream().mapToInt(LearnedSchedule.StepReport::computed).toArray()), psnr,
                learned.seconds());
        for (float v : cached) {
            assertTrue(Float.isFinite(v));
        }
        assertTrue(psnr > 20, "PSNR " + psnr);
        assertTrue(Files.exists(pkg.resolve("manifest.json")));
    }
}
