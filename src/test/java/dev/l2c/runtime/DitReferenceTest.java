package dev.l2c.runtime;

import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npz;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.sampler.Ddim;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.OrtTesting;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compiled sampling loop reproduces the PyTorch fp32 reference of ../shared/models: the
 * embedded DiT, DDIM-20, CFG 1.5, x0 clipping, from the reference's own x_T, with every step full and
 * with the README's L2C-style cache mask.
 */
class DitReferenceTest {
    static final Path MODEL = Path.of("onnx-models/dit_fmnist.onnx");
    static LoadedModel model;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() throws Exception {
        model = LoadedModel.load(MODEL, null, null);
    }

    static Sampler ddim20() {
        return new Ddim(NoiseSchedule.linear(1000, 1e-4, 0.02), 20, true);
    }

    static Path compile(Schedule schedule, String name) throws Exception {
        Path pkg = tmp.resolve(name);
        ScheduleCompiler.compile(model, schedule, Path.of(name + ".json"), ddim20(), pkg);
        return pkg;
    }

    record Run(float[] finalSamples, float[] step1Output) {
    }

    static Run run(ModelExecutor executor, Map<String, NdArray> ref) throws Exception {
        RecordingExecutor rec = new RecordingExecutor(executor);
        SampleRun.Request req = new SampleRun.Request(ref.get("x_T").asFloats(), ref.get("y").asLongs(),
                (float) ref.get("cfg").doubleValue());
        try (Progress p = Progress.start("test", 20, false)) {
            SampleRun.Output out = SampleRun.run(rec, model.card(), ddim20(), req, p);
            return new Run(out.samples(), rec.outputs.get(1));
        }
    }

    @Test
    void plainModelAndAllFullPackageReproduceTheFullReference() throws Exception {
        Map<String, NdArray> ref = Npz.read(SharedData.require("models/dit_reference_l2c_ddim20.npz"));
        assertArrayEquals(ref.get("timesteps").asLongs(), java.util.Arrays.stream(ddim20().modelTimes())
                .mapToLong(Math::round).sorted().toArray());
        Run plain;
        try (ModelExecutor exec = new PlainModelExecutor(MODEL, model.card(), OrtRuntime.Options.cpu())) {
            plain = run(exec, ref);
        }
        System.out.printf("DiT DDIM-20 full vs reference: final max|d| = %.3g, step-1 output max|d| = %.3g%n",
                OrtTesting.maxAbsDiff(plain.finalSamples(), ref.get("final_full").asFloats()),
                OrtTesting.maxAbsDiff(plain.step1Output(), ref.get("model_out_step1_full").asFloats()));
        assertTrue(OrtTesting.maxAbsDiff(plain.finalSamples(), ref.get("final_full").asFloats()) <= 1e-3f,
                "final_full max |Δ| = " + OrtTesting.maxAbsDiff(plain.finalSamples(), ref.get("final_full").asFloats()));
        assertTrue(OrtTesting.maxAbsDiff(plain.step1Output(), ref.get("model_out_step1_full").asFloats()) <= 1e-4f,
                "step-1 output max |Δ| = " + OrtTesting.maxAbsDiff(plain.step1Output(), ref.get("model_out_step1_full").asFloats()));

        Path pkg = compile(Schedule.allFull(20, 24, Schedule.DIT_DDIM), "all-full");
        PackageManifest manifest = CompiledPackage.open(pkg).manifest();
        assertEquals(1, manifest.graphs().size(), "twenty identical full steps share one graph");
        Run compiled;
        try (ModelExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            compiled = run(exec, ref);
        }
        assertTrue(OrtTesting.maxAbsDiff(compiled.finalSamples(), plain.finalSamples()) <= 1e-5f,
                "all-full package vs plain loop max |Δ| = " + OrtTesting.maxAbsDiff(compiled.finalSamples(), plain.finalSamples()));
    }

    @Test
    void cachedPackageReproducesTheCachedReference() throws Exception {
        Map<String, NdArray> ref = Npz.read(SharedData.require("models/dit_reference_l2c_ddim20.npz"));
        Path pkg = compile(ReferenceSchedules.referenceAlternating(20, 24), "reference");
        PackageManifest manifest = CompiledPackage.open(pkg).manifest();
        Run cached;
        try (PackageExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            cached = run(exec, ref);
            assertEquals(0, exec.liveCacheTensors(), "every cache is freed after its last reader");
        }
        float finalDiff = OrtTesting.maxAbsDiff(cached.finalSamples(), ref.get("final_cached").asFloats());
        float stepDiff = OrtTesting.maxAbsDiff(cached.step1Output(), ref.get("model_out_step1_cached").asFloats());
        System.out.printf("DiT DDIM-20 cached vs reference: final max|d| = %.3g, step-1 output max|d| = %.3g%n", finalDiff, stepDiff);
        assertTrue(finalDiff <= 1e-3f, "final_cached max |Δ| = " + finalDiff);
        assertTrue(stepDiff <= 1e-4f, "step-1 cached output max |Δ| = " + stepDiff);
        // and the cache really changed the result: it is not the full trajectory
        assertTrue(OrtTesting.maxAbsDiff(cached.finalSamples(), ref.get("final_full").asFloats()) > 1e-2f);
    }

    @Test
    void theCompiledFullStepGraphComputesWhatTheOriginalDoes() throws Exception {
        Path pkg = compile(ReferenceSchedules.referenceAlternating(20, 24), "full-step");
        PackageManifest manifest = CompiledPackage.open(pkg).manifest();
        PackageManifest.Step first = manifest.steps().get(0);
        assertTrue(first.full() && !first.cacheOutputs().isEmpty(), "step 0 is full and hands caches on");
        Map<String, Object> inputs = Map.of("x", OrtTesting.randomFloats(11, 8, 1, 28, 28),
                "t", new OrtTesting.Longs(new long[]{999, 999, 999, 999, 946, 946, 946, 946}, 8),
                "y", new OrtTesting.Longs(new long[]{0, 3, 7, 9, 10, 10, 10, 10}, 8));
        float[] original = OrtTesting.run(MODEL, inputs).get("out");
        float[] compiled = OrtTesting.run(pkg.resolve(first.graph()), inputs).get("out");
        float diff = OrtTesting.maxAbsDiff(original, compiled);
        assertTrue(diff <= 1e-5f, "max |Δ| = " + diff);
    }
}
