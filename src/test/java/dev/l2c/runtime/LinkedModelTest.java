package dev.l2c.runtime;

import dev.l2c.compiler.LinkedModelGraph;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npz;
import dev.l2c.io.Progress;
import dev.l2c.ir.DataType;
import dev.l2c.ir.ExternalTensorData;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import dev.l2c.testing.OrtTesting;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The linked model (the whole sampling run as one ONNX model) computes what the stepwise package
 * computes, from the same noise and labels: DiT with DDIM (the reference mask and a learned schedule),
 * U-ViT with DPM-Solver++(2S), DiT with DPM-Solver++(2M), guided and unguided; and the linked DiT with
 * the reference mask reproduces the PyTorch reference. Its interface holds no cache tensor, and each
 * weight is one initializer in the shared weights file.
 */
class LinkedModelTest {
    static final Path DIT = Path.of("onnx-models/dit_fmnist.onnx");
    static final Path UVIT = Path.of("onnx-models/uvit_fmnist.onnx");
    static LoadedModel dit;
    static LoadedModel uvit;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() throws Exception {
        dit = LoadedModel.load(DIT, null, null);
        uvit = LoadedModel.load(UVIT, null, null);
    }

    static CompiledPackage compile(LoadedModel m, Schedule s, Sampler sampler, String name,
                                   ScheduleCompiler.Options options) throws Exception {
        Path pkg = tmp.resolve(name);
        ScheduleCompiler.compile(m, s, Path.of(name + ".json"), sampler, pkg, options);
        return CompiledPackage.open(pkg);
    }

    static float[] generate(CompiledPackage pkg, SampleRun.Request request) throws Exception {
        try (SampleGenerator g = SampleGenerators.open(pkg, OrtRuntime.Options.cpu());
             Progress p = Progress.start("test", g.evaluations(), false)) {
            return g.generate(request, p).samples();
        }
    }

    static SampleRun.Request request(LoadedModel m, int n, float cfg) {
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (3L * i + 1) % m.card().classes();
        }
        return new SampleRun.Request(OrtTesting.randomFloats(17, n, 1, 28, 28).data(), labels, cfg);
    }

    /** Linked and stepwise from the same request; returns max |Δ| after checking it is within 1e-5. */
    static float assertLinkedEqualsStepwise(LoadedModel m, Schedule s, Sampler sampler, String name,
                                            SampleRun.Request request) throws Exception {
        float[] stepwise = generate(compile(m, s, sampler, name + "-stepwise", ScheduleCompiler.Options.stepwise()), request);
        float[] linked = generate(compile(m, s, sampler, name + "-linked",
                ScheduleCompiler.Options.linked(request.cfg() != 1f)), request);
        float diff = OrtTesting.maxAbsDiff(stepwise, linked);
        System.out.printf("%s: linked vs stepwise max|d| = %.3g%n", name, diff);
        assertTrue(diff <= 1e-5f, name + ": linked vs stepwise max |Δ| = " + diff);
        return diff;
    }

    @Test
    void ditReferenceMaskAndLearnedScheduleMatchTheStepwisePackage() throws Exception {
        Sampler ddim = dit.card().sampler("ddim", 20, true);
        assertLinkedEqualsStepwise(dit, ReferenceSchedules.referenceAlternating(20, 24), ddim, "dit-ddim20-reference",
                request(dit, 4, 1.5f));
        Schedule learned = ScheduleJson.read(Path.of("schedules/dit_fmnist_ddim20_learned_r35.json"));
        assertLinkedEqualsStepwise(dit, learned, ddim, "dit-ddim20-learned", request(dit, 3, 1.5f));
    }

    @Test
    void uvitDpmSolver2sLearnedScheduleMatchesTheStepwisePackage() throws Exception {
        Schedule learned = ScheduleJson.read(Path.of("schedules/uvit_fmnist_dpm2s20_learned_r35.json"));
        assertLinkedEqualsStepwise(uvit, learned, uvit.card().sampler("dpm2s", 20, true), "uvit-dpm2s20-learned",
                request(uvit, 4, 1.5f));
    }

    @Test
    void multistepSolverAndAnUnguidedModelMatchTheStepwisePackage() throws Exception {
        Sampler dpm2m = dit.card().sampler("dpm2m", 8, true);
        assertLinkedEqualsStepwise(dit, ReferenceSchedules.referenceAlternating(8, 24), dpm2m, "dit-dpm2m8-reference",
                request(dit, 2, 2.0f));
        assertLinkedEqualsStepwise(dit, ReferenceSchedules.referenceAlternating(8, 24), dpm2m, "dit-dpm2m8-unguided",
                request(dit, 2, 1f));
    }

    @Test
    void linkedDitWithTheReferenceMaskReproducesThePyTorchReference() throws Exception {
        Map<String, NdArray> ref = Npz.read(SharedData.require("models/dit_reference_l2c_ddim20.npz"));
        CompiledPackage pkg = compile(dit, ReferenceSchedules.referenceAlternating(20, 24), dit.card().sampler("ddim", 20, true),
                "dit-reference-vs-pytorch", ScheduleCompiler.Options.linked(true));
        float[] samples = generate(pkg, new SampleRun.Request(ref.get("x_T").asFloats(), ref.get("y").asLongs(),
                (float) ref.get("cfg").doubleValue()));
        float diff = OrtTesting.maxAbsDiff(samples, ref.get("final_cached").asFloats());
        System.out.printf("linked DiT DDIM-20 reference mask vs PyTorch: final max|d| = %.3g%n", diff);
        assertTrue(diff <= 1e-3f, "final_cached max |Δ| = " + diff);
        assertTrue(OrtTesting.maxAbsDiff(samples, ref.get("final_full").asFloats()) > 1e-2f, "the caches are used");
    }

    @Test
    void theInterfaceIsNoiseLabelsAndScaleInSamplesOutAndEachWeightIsStoredOnce() throws Exception {
        CompiledPackage pkg = compile(dit, ReferenceSchedules.referenceAlternating(6, 24), dit.card().sampler("ddim", 6, true),
                "interface", ScheduleCompiler.Options.linked(true));
        PackageManifest m = pkg.manifest();
        assertTrue(m.isLinked());
        assertEquals(List.of(PackageFiles.LINKED_MODEL), m.onnxFiles());
        assertTrue(m.graphs().isEmpty());
        Model model = OnnxReader.read(pkg.file(PackageFiles.LINKED_MODEL));
        Graph g = model.graph();
        assertEquals(List.of(LinkedModelGraph.NOISE, LinkedModelGraph.LABELS, LinkedModelGraph.GUIDANCE_SCALE),
                g.inputs().stream().map(Value::name).toList());
        assertEquals(List.of(LinkedModelGraph.SAMPLES, LinkedModelGraph.STEP_CHECK), g.outputs().stream().map(Value::name).toList());
        assertEquals(DataType.INT64, g.value(LinkedModelGraph.LABELS).type().elementType());
        assertEquals(0, g.value(LinkedModelGraph.GUIDANCE_SCALE).type().shape().rank(), "the scale is a scalar");
        assertEquals("[batch, 1, 28, 28]", g.value(LinkedModelGraph.SAMPLES).type().shape().toString());
        assertEquals("l2c", model.producerName());

        // weights: one initializer per source tensor, all in weights.bin, none written twice
        Set<Long> offsets = new HashSet<>();
        int external = 0;
        for (Value init : g.initializers()) {
            if (init.initializer().data() instanceof ExternalTensorData ext) {
                assertEquals(PackageFiles.WEIGHTS, ext.file().getFileName().toString());
                assertTrue(offsets.add(ext.offset()), init.name() + " shares an offset with another initializer");
                external++;
            }
        }
        long sourceExternal = dit.onnx().graph().initializers().stream()
                .filter(v -> v.initializer().data().byteSize() >= 1024).count();
        assertEquals(sourceExternal, external, "every large source weight exactly once");

        // step-independent work is shared: the label embedding table is read by one Gather for all steps
        Value table = g.initializers().stream().filter(v -> v.initializer().dims().length == 2
                && v.initializer().dims()[0] == 11).findFirst().orElseThrow();
        assertEquals(1, table.uses().size(), "the label embedding is computed once, not per step");
        // and every step's timestep is a constant of its own
        long expands = g.nodes().stream().filter(n -> n.opType().equals("Expand")).map(Node::name)
                .filter(n -> n.endsWith("/timestep")).count();
        assertEquals(6, expands);
    }

    @Test
    void theOptimizedModelCacheIsWrittenOnceReusedAndRebuiltWhenDamaged() throws Exception {
        CompiledPackage pkg = compile(dit, ReferenceSchedules.referenceAlternating(4, 24), dit.card().sampler("ddim", 4, true),
                "cached", ScheduleCompiler.Options.linked(true));
        Path cache = tmp.resolve("ort-cache");
        OrtRuntime.Options options = new OrtRuntime.Options(OrtRuntime.Provider.CPU, 0, MemoryPolicy.AUTO, 0, cache);
        SampleRun.Request request = request(dit, 2, 1.5f);
        float[] uncached = generate(pkg, request);
        float[] first;
        try (LinkedModelRun run = new LinkedModelRun(pkg, options); Progress p = Progress.start("t", 4, false)) {
            first = run.generate(request, p).samples();
        }
        List<Path> entries;
        try (var files = java.nio.file.Files.list(cache)) {
            entries = files.toList();
        }
        assertEquals(1, entries.size(), "one entry, no temporary folder left: " + entries);
        Path entry = entries.get(0);
        assertTrue(java.nio.file.Files.isRegularFile(entry.resolve(OptimizedModelCache.RECORD)), "the record is written");
        long savedAt = java.nio.file.Files.getLastModifiedTime(entry.resolve("optimized.onnx")).toMillis();
        float[] second;
        try (LinkedModelRun run = new LinkedModelRun(pkg, options); Progress p = Progress.start("t", 4, false)) {
            second = run.generate(request, p).samples();
        }
        assertEquals(savedAt, java.nio.file.Files.getLastModifiedTime(entry.resolve("optimized.onnx")).toMillis(),
                "the second run reads the entry, it does not write it again");
        assertEquals(0f, OrtTesting.maxAbsDiff(uncached, first));
        assertTrue(OrtTesting.maxAbsDiff(uncached, second) <= 1e-6f, "cached optimized model: same samples");

        java.nio.file.Files.write(entry.resolve("optimized.onnx"), new byte[]{1, 2, 3}); // damaged
        float[] rebuilt;
        try (LinkedModelRun run = new LinkedModelRun(pkg, options); Progress p = Progress.start("t", 4, false)) {
            rebuilt = run.generate(request, p).samples();
        }
        assertTrue(java.nio.file.Files.size(entry.resolve("optimized.onnx")) > 1000, "the damaged entry was rebuilt");
        assertEquals(0f, OrtTesting.maxAbsDiff(uncached, rebuilt));
    }

    @Test
    void anUnguidedLinkedModelHasNoScaleInputAndRefusesGuidance() throws Exception {
        CompiledPackage pkg = compile(dit, ReferenceSchedules.referenceAlternating(4, 24), dit.card().sampler("ddim", 4, true),
                "unguided", ScheduleCompiler.Options.linked(false));
        assertNull(pkg.manifest().linkedModel().guidanceScale());
        Graph g = OnnxReader.read(pkg.file(PackageFiles.LINKED_MODEL)).graph();
        assertFalse(g.inputs().stream().anyMatch(v -> v.name().equals(LinkedModelGraph.GUIDANCE_SCALE)));
        var e = assertThrows(dev.l2c.error.MismatchException.class, () -> generate(pkg, request(dit, 2, 1.5f)));
        assertTrue(e.getMessage().contains("linked with --no-guidance") && e.getMessage().contains("--link alone"),
                e.getMessage());
    }
}
