package dev.l2c.runtime;

import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelbuild.ArchitectureConfig;
import dev.l2c.modelbuild.DitConfig;
import dev.l2c.modelbuild.ModelBuilder;
import dev.l2c.modelbuild.UvitConfig;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.sampler.Samplers;
import dev.l2c.schedule.RouterCheckpoint;
import dev.l2c.schedule.RouterSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.OrtTesting;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The four routers published with L2C compiled against graphs of their models' depth (DiT-XL/2: 28
 * blocks, U-ViT-H/2: 29 blocks, latents 4 channels, learned sigma for DiT) built narrow so CI stays fast:
 * every package loads, and a full step and the first cache step run. (The full-width models are
 * benchmarks: `benchmarks/`.)
 */
class PublishedRoutersTest {
    static final DitConfig DIT_XL_DEPTH = new DitConfig(8, 2, 4, 32, 28, 2, 4.0, 10, true);
    static final UvitConfig UVIT_H_DEPTH = new UvitConfig(8, 2, 4, 32, 29, 2, 4.0, false, 10, false, true);

    @ParameterizedTest
    @CsvSource({"DDIM20_router.pt, dit, ddim, 872", "DDIM50_router.pt, dit, ddim, 2136",
            "dpm20_router.pth, uvit, dpm2s, 827", "dpm50_router.pth, uvit, dpm2s, 1596"})
    void routerPackagesLoadAndRunAFullAndACacheStep(String router, String family, String samplerName,
                                                     long layerEvaluations, @TempDir Path tmp) throws Exception {
        Path routerFile = SharedData.require("routers/" + router);
        ArchitectureConfig config = family.equals("dit") ? DIT_XL_DEPTH : UVIT_H_DEPTH;
        Path modelDir = tmp.resolve("model");
        ModelBuilder.write(config, 1, family + "-deep", modelDir, false, false);
        LoadedModel m = LoadedModel.load(modelDir.resolve(ModelBuilder.MODEL_FILE), null, null);
        assertEquals(family.equals("dit") ? 56 : 58, m.layers().size());

        Schedule schedule = RouterSchedules.fromRouter(RouterCheckpoint.read(routerFile));
        assertEquals(layerEvaluations, schedule.layerEvaluations());
        var card = m.card();
        Sampler sampler = Samplers.create(samplerName, NoiseSchedule.fromName(card.betaSchedule(), card.trainSteps(),
                card.betaStart(), card.betaEnd()), schedule.nfe(), card.clipX0());
        Path pkg = tmp.resolve("pkg");
        ScheduleCompiler.Result r = ScheduleCompiler.compile(m, schedule, routerFile,
                sampler, pkg);
        assertEquals(layerEvaluations, r.layerEvaluations());
        assertTrue(r.idealSpeedup() > 1.0);

        PackageManifest manifest = CompiledPackage.open(pkg).manifest();
        int firstCache = 0;
        while (manifest.steps().get(firstCache).full()) {
            firstCache++;
        }
        int batch = 2;
        int elements = card.sampleElements();
        try (PackageExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            for (int k = 0; k <= firstCache; k++) {
                float[] x = OrtTesting.randomFloats(k, batch, card.channels(), card.height(), card.width()).data();
                float[] out = exec.evaluate(k, x, batch, manifest.steps().get(k).modelTime(), new long[]{3, card.nullLabel()});
                assertEquals(batch * elements * (card.learnedSigma() ? 2 : 1), out.length, "step " + k);
                for (float v : out) {
                    assertTrue(Float.isFinite(v), "step " + k + " output is finite");
                }
            }
        }
        assertTrue(manifest.steps().get(firstCache).macsPerSample() < manifest.steps().get(0).macsPerSample());
    }
}
