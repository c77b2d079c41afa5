package dev.l2c.runtime;

import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.sampler.DpmSolverPlusPlus;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The U-ViT family end to end with DPM-Solver++(2S): the same guarantees as for DiT. */
class UvitPackageTest {
    static final Path MODEL = Path.of("onnx-models/uvit_fmnist.onnx");
    static LoadedModel model;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() throws Exception {
        model = LoadedModel.load(MODEL, null, null);
    }

    static Sampler dpm2s(int nfe) {
        return DpmSolverPlusPlus.singlestep2(NoiseSchedule.scaledLinear(1000, 0.00085, 0.012), nfe, true);
    }

    static Path compile(Schedule s, String name, Sampler sampler) throws Exception {
        Path pkg = tmp.resolve(name);
        ScheduleCompiler.compile(model, s, Path.of(name + ".json"),
                sampler, pkg);
        return pkg;
    }

    static float[] sample(ModelExecutor exec, Sampler sampler) throws Exception {
        SampleRun.Request req = new SampleRun.Request(OrtTesting.randomFloats(9, 4, 1, 28, 28).data(),
                new long[]{2, 5, 8, 9}, 1.5f);
        try (Progress p = Progress.start("test", sampler.evaluations(), false)) {
            return SampleRun.run(exec, model.card(), sampler, req, p).samples();
        }
    }

    @Test
    void allFullPackageEqualsThePlainLoop() throws Exception {
        Sampler sampler = dpm2s(10);
        float[] plain;
        try (ModelExecutor e = new PlainModelExecutor(MODEL, model.card(), OrtRuntime.Options.cpu())) {
            plain = sample(e, sampler);
        }
        Path pkg = compile(Schedule.allFull(10, 26, Schedule.UVIT_DPM2S), "full", sampler);
        float[] compiled;
        try (ModelExecutor e = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            compiled = sample(e, sampler);
        }
        float diff = OrtTesting.maxAbsDiff(plain, compiled);
        assertTrue(diff <= 1e-5f, "max |Δ| = " + diff);
    }

    @Test
    void compiledFullStepGraphEqualsTheOriginal() throws Exception {
        Sampler sampler = dpm2s(10);
        Path pkg = compile(ReferenceSchedules.referenceMask(10, 26, Schedule.UVIT_DPM2S), "mask", sampler);
        PackageManifest manifest = CompiledPackage.open(pkg).manifest();
        PackageManifest.Step s1 = manifest.steps().get(1);
        assertTrue(s1.full() && !s1.cacheOutputs().isEmpty(), "s_0 is full and hands caches to t_1");
        assertEquals(1, manifest.steps().get(2).cacheInputs().get(0).fromStep(), "t_1 reuses s_0");
        Map<String, Object> in = Map.of("x", OrtTesting.randomFloats(4, 4, 1, 28, 28),
                "t", new OrtTesting.Floats(new float[]{812.25f, 812.25f, 812.25f, 812.25f}, 4),
                "y", new OrtTesting.Longs(new long[]{0, 1, 10, 10}, 4));
        float diff = OrtTesting.maxAbsDiff(OrtTesting.run(MODEL, in).get("out"),
                OrtTesting.run(pkg.resolve(s1.graph()), in).get("out"));
        assertTrue(diff <= 1e-5f, "max |Δ| = " + diff);
    }

    @Test
    void aDitPatternScheduleIsRefusedForDpm2s() {
        Sampler sampler = dpm2s(10);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.l2c.error.MismatchException.class,
                () -> compile(ReferenceSchedules.referenceAlternating(10, 26), "wrong", sampler));
        assertTrue(e.getMessage().contains("schedule follows the dit-ddim step pattern")
                && e.getMessage().contains("use --sampler ddim or dpm2m"), e.getMessage());
    }
}
