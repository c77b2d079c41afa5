package dev.l2c.modelbuild;

import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.runtime.ModelExecutor;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.PackageExecutor;
import dev.l2c.runtime.PlainModelExecutor;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.Ddim;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compiler and the runtime treat built models like the demo exports: a tiny built DiT (and
 * U-ViT) compiles with an all-full and with the reference cache schedule, the all-full package
 * samples exactly what the plain model samples, and the cached one really differs (the adaLN gates
 * are not zero).
 */
class BuiltModelCompileTest {
    static final int NFE = 20;

    @TempDir
    Path tmp;

    @Test
    void tinyDitCompilesAndSamplesLikeThePlainModel() throws Exception {
        LoadedModel model = build(DitConfig.TINY, "dit");
        NoiseSchedule betas = NoiseSchedule.linear(1000, 1e-4, 0.02);
        checkCompiledSampling(model, new Ddim(betas, NFE, true));
    }

    @Test
    void tinyUvitCompilesAndSamplesLikeThePlainModel() throws Exception {
        LoadedModel model = build(UvitConfig.TINY, "uvit");
        NoiseSchedule betas = NoiseSchedule.linear(1000, 1e-4, 0.02);
        checkCompiledSampling(model, new Ddim(betas, NFE, true));
    }

    private LoadedModel build(ArchitectureConfig config, String name) throws Exception {
        BuiltModel built = ModelBuilder.write(config, 11, name, tmp.resolve(name), false, false);
        LoadedModel model = LoadedModel.load(built.model(), null, null);
        assertEquals(2 * config.blocks(), model.layers().size());
        return model;
    }

    private void checkCompiledSampling(LoadedModel model, Sampler sampler) throws Exception {
        int layers = model.layers().size();
        ModelCard card = model.card();
        SampleRun.Request request = new SampleRun.Request(
                OrtTesting.randomFloats(21, 3L * card.sampleElements()).data(), new long[]{1, 4, 9}, 1.5f);
        float[] plain;
        try (ModelExecutor exec = new PlainModelExecutor(model.file(), card, OrtRuntime.Options.cpu())) {
            plain = sample(exec, card, sampler, request);
        }
        float[] full = sample(compile(model, sampler, Schedule.allFull(NFE, layers, Schedule.DIT_DDIM), "full"),
                card, sampler, request);
        float[] cached;
        Path pkg = compile(model, sampler, ReferenceSchedules.referenceAlternating(NFE, layers), "cached");
        try (PackageExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            cached = sample(exec, card, sampler, request);
            assertEquals(0, exec.liveCacheTensors(), "every cache is freed after its last reader");
        }
        float fullDiff = OrtTesting.maxAbsDiff(full, plain);
        assertTrue(fullDiff <= 1e-5f, "all-full package vs plain model max |Δ| = " + fullDiff);
        float cacheDiff = OrtTesting.maxAbsDiff(cached, plain);
        System.out.printf("%s: all-full package vs plain max|d| = %.3g, reference-cached vs plain max|d| = %.3g%n",
                card.name(), fullDiff, cacheDiff);
        assertTrue(cacheDiff > 1e-3f, "reusing branches changed the samples by only " + cacheDiff);
        for (float v : cached) {
            assertTrue(Float.isFinite(v));
        }
    }

    private Path compile(LoadedModel model, Sampler sampler, Schedule schedule, String name) throws Exception {
        Path pkg = tmp.resolve(model.card().name() + "-" + name);
        ScheduleCompiler.compile(model, schedule, Path.of(name + ".json"),
                sampler, pkg);
        return pkg;
    }

    private static float[] sample(Path pkg, ModelCard card, Sampler sampler, SampleRun.Request request) throws Exception {
        try (ModelExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            return sample(exec, card, sampler, request);
        }
    }

    private static float[] sample(ModelExecutor exec, ModelCard card, Sampler sampler, SampleRun.Request request)
            throws Exception {
        try (Progress p = Progress.start("test", NFE, false)) {
            return SampleRun.run(exec, card, sampler, request, p).samples();
        }
    }
}
