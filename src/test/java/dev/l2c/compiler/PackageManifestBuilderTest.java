package dev.l2c.compiler;

import dev.l2c.analysis.CacheableLayer;
import dev.l2c.ir.DataType;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CacheNames;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import dev.l2c.schedule.ScheduleStep;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifest of a compiled package against the same facts worked out here from the schedule
 * alone: which cached values each step reads and from which step, which it writes and until when,
 * which it frees, the bytes alive during each step, the totals, timesteps and the model interface.
 */
class PackageManifestBuilderTest {
    @TempDir
    Path tmp;

    /** A cached value: layer j as computed at step p. */
    private record Cache(int layer, int producedAt) {
    }

    @ParameterizedTest
    @CsvSource({"dit_fmnist,ddim,dit_fmnist_ddim20_learned_r35", "uvit_fmnist,dpm2s,uvit_fmnist_dpm2s20_learned_r35"})
    void theManifestSaysWhatTheScheduleImplies(String modelName, String samplerName, String scheduleName) throws Exception {
        LoadedModel model = LoadedModel.load(Path.of("onnx-models", modelName + ".onnx"), null, null);
        Path scheduleFile = Path.of("schedules", scheduleName + ".json");
        Schedule schedule = ScheduleJson.read(scheduleFile);
        Sampler sampler = model.card().sampler(samplerName, schedule.nfe(), true);
        Path pkg = tmp.resolve(scheduleName);
        ScheduleCompiler.Result result = ScheduleCompiler.compile(model, schedule, scheduleFile, sampler, pkg,
                ScheduleCompiler.Options.stepwise());
        PackageManifest manifest = CompiledPackage.open(pkg).manifest();
        assertEquals(manifest, result.manifest());
        assertEquals(schedule.nfe(), result.steps());
        assertEquals(manifest.graphs().size(), result.graphs());
        assertEquals(manifest.graphs().stream().mapToLong(PackageManifest.StepGraph::nodes).sum(), result.nodes());
        assertEquals(java.nio.file.Files.size(pkg.resolve("weights.bin")), result.weightBytes());
        assertEquals("copied", result.weightsMode());
        assertTrue(result.seconds() >= result.weightSeconds() && result.weightSeconds() >= 0);
        assertTrue(manifest.createdBy().startsWith("l2c "), manifest.createdBy());
        // a schedule of another length does not fit the sampler: refused before anything is written
        Sampler shorter = model.card().sampler(samplerName, schedule.nfe() - 2, true);
        assertThrows(dev.l2c.error.MismatchException.class, () -> ScheduleCompiler.compile(model, schedule, scheduleFile,
                shorter, tmp.resolve("refused"), ScheduleCompiler.Options.stepwise()));
        assertFalse(java.nio.file.Files.exists(tmp.resolve("refused")));

        int n = schedule.nfe();
        int l = schedule.layers();
        // reads: at a cache step, every layer it does not compute, from the latest step that computed it
        int[] lastComputed = new int[l];
        Arrays.fill(lastComputed, -1);
        List<List<Cache>> reads = new ArrayList<>();
        Map<Cache, Integer> lastRead = new HashMap<>();
        long evaluations = 0;
        for (int k = 0; k < n; k++) {
            ScheduleStep s = schedule.step(k);
            List<Cache> here = new ArrayList<>();
            for (int j = 0; j < l; j++) {
                if (!s.computes(j)) {
                    Cache c = new Cache(j, lastComputed[j]);
                    here.add(c);
                    lastRead.put(c, k);
                }
            }
            reads.add(here);
            for (int j = 0; j < l; j++) {
                if (s.computes(j)) {
                    lastComputed[j] = k;
                    evaluations++;
                }
            }
        }
        long peak = 0;
        for (int k = 0; k < n; k++) {
            PackageManifest.Step step = manifest.steps().get(k);
            List<PackageManifest.CacheInput> expectedIn = new ArrayList<>();
            for (Cache c : reads.get(k)) {
                expectedIn.add(new PackageManifest.CacheInput(c.layer(), CacheNames.of(c.layer()), c.producedAt()));
            }
            assertEquals(expectedIn, step.cacheInputs(), "inputs of step " + k);
            List<PackageManifest.CacheOutput> expectedOut = new ArrayList<>();
            List<PackageManifest.CacheRelease> expectedFree = new ArrayList<>();
            long live = 0;
            for (int j = 0; j < l; j++) {
                for (Map.Entry<Cache, Integer> e : lastRead.entrySet()) {
                    Cache c = e.getKey();
                    if (c.layer() != j) {
                        continue;
                    }
                    if (c.producedAt() == k) {
                        expectedOut.add(new PackageManifest.CacheOutput(j, CacheNames.of(j), e.getValue()));
                    }
                    // resident while the step runs: written here, or written before and read here or later
                    if (c.producedAt() == k || (c.producedAt() < k && e.getValue() >= k)) {
                        live += model.layers().layer(j).bytes(1);
                    }
                }
            }
            for (Map.Entry<Cache, Integer> e : lastRead.entrySet()) {
                if (e.getValue() == k) {
                    expectedFree.add(new PackageManifest.CacheRelease(e.getKey().layer(), e.getKey().producedAt()));
                }
            }
            assertEquals(expectedOut, step.cacheOutputs(), "outputs of step " + k);
            assertEquals(new java.util.HashSet<>(expectedFree), new java.util.HashSet<>(step.freeAfter()),
                    "frees of step " + k);
            assertEquals(expectedFree.size(), step.freeAfter().size());
            assertEquals(live, step.liveCacheBytesPerSample(), "live bytes of step " + k);
            peak = Math.max(peak, live);
            // a cache step that computes every layer runs as a full step
            assertEquals(schedule.step(k).computedCount(l) == l, step.full());
            assertEquals(schedule.step(k).computedCount(l), step.layersComputed());
            double t = sampler.plan().evaluation(k).modelTime();
            assertEquals(model.card().timestepType() == DataType.FLOAT ? (float) t : Math.round(t), step.timestep(), 0,
                    "timestep of step " + k);
        }
        PackageManifest.Totals totals = manifest.totals();
        assertEquals(evaluations, totals.layerEvaluations());
        assertEquals((long) n * l, totals.layerEvaluationsFull());
        assertEquals(peak, totals.peakCacheBytesPerSample());
        assertEquals(manifest.steps().stream().mapToLong(PackageManifest.Step::macsPerSample).sum(), totals.macsPerSample());
        assertEquals(model.layers().macsPerSampleFull() * n, totals.macsFullPerSample());

        PackageManifest.ModelInterface io = manifest.model();
        assertEquals(model.card().sampleInput(), io.sample().name());
        assertEquals(DataType.FLOAT, io.sample().dtype());
        assertEquals(model.card().timestepType(), io.timestep().dtype());
        assertEquals(DataType.INT64, io.label().dtype());
        assertEquals(model.card().channels() * (model.card().learnedSigma() ? 2L : 1L), io.outputChannels());
        assertEquals(model.card().channels(), io.noiseChannels());
        List<PackageManifest.Layer> layers = manifest.layers().layers();
        assertEquals(l, layers.size());
        for (CacheableLayer c : model.layers().layers()) {
            PackageManifest.Layer m = layers.get(c.index());
            assertEquals(c.tensor(), m.tensor());
            assertEquals(c.macsPerSample(), m.macsPerSample());
            assertEquals(c.block(), m.block());
            // the manifest's shape strings ("batch", "4*batch", sizes) give the IR's bytes per sample
            assertEquals(c.bytes(1), m.bytesPerSample(), "bytes per sample of layer " + c.index());
        }
        assertEquals(model.layers().blocks(), layers.get(l - 1).block() + 1);
        boolean[] full = manifest.fullSteps();
        for (int k = 0; k < n; k++) {
            assertEquals(schedule.step(k).computedCount(l) == l, full[k]);
        }
        assertEquals((double) totals.macsFullPerSample() / totals.macsPerSample(), manifest.idealSpeedup(), 1e-12);
        assertEquals(sampler.plan(), manifest.samplingPlan(), "the sampler's plan, rebuilt from the steps");
        assertTrue(CompiledPackage.isPackage(pkg));
        assertFalse(CompiledPackage.isPackage(tmp), "a folder without a manifest");
        assertFalse(CompiledPackage.isPackage(pkg.resolve("manifest.json")), "a file");
        assertEquals(sampler.name(), manifest.sampler().name());
        assertEquals(n, manifest.sampler().nfe());
        assertEquals(schedule.pattern(), manifest.schedule().pattern());
    }
}
