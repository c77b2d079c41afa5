package dev.l2c.compiler;

import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.SampleGenerator;
import dev.l2c.runtime.SampleGenerators;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The linked model of a short run computes what the stepwise package of the same schedule computes,
 * for each sampler family and with and without guidance: small cases (3 and 4 evaluations) so that
 * a broken linking step fails in seconds (the full-length cases are in runtime/LinkedModelTest).
 */
class LinkedModelGraphTest {
    static LoadedModel dit;
    static LoadedModel uvit;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() throws Exception {
        dit = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        uvit = LoadedModel.load(Path.of("onnx-models/uvit_fmnist.onnx"), null, null);
    }

    private static float[] generate(LoadedModel m, Schedule s, Sampler sampler, String name,
                                    ScheduleCompiler.Options options, SampleRun.Request request) throws Exception {
        Path pkg = tmp.resolve(name);
        ScheduleCompiler.compile(m, s, Path.of(name + ".json"), sampler, pkg, options);
        try (SampleGenerator g = SampleGenerators.open(CompiledPackage.open(pkg), OrtRuntime.Options.cpu());
             Progress p = Progress.start("test", g.evaluations(), false)) {
            return g.generate(request, p).samples();
        }
    }

    private static void assertLinkedEqualsStepwise(LoadedModel m, Schedule s, Sampler sampler, String name, float cfg)
            throws Exception {
        int n = 2;
        long[] labels = {3, 8};
        SampleRun.Request request = new SampleRun.Request(OrtTesting.randomFloats(5, n, 1, 28, 28).data(), labels, cfg);
        float[] stepwise = generate(m, s, sampler, name + "-stepwise", ScheduleCompiler.Options.stepwise(), request);
        float[] linked = generate(m, s, sampler, name + "-linked", ScheduleCompiler.Options.linked(cfg != 1f), request);
        float diff = OrtTesting.maxAbsDiff(stepwise, linked);
        // The linked model does the sampler's arithmetic in float32 inside the graph, the stepwise run in
        // Java doubles; over 20 steps they agree to 1e-5, but with 3 or 4 large steps the first step's
        // 1/√ᾱ (about 160) is barely damped by the later ones: 2e-4 measured. A wrong coefficient, a
        // missing guidance term or a mis-wired cache moves the samples by 1e-2 or more.
        assertTrue(diff <= 1e-3f, name + ": linked vs stepwise max |Δ| = " + diff);
    }

    @Test
    void ddimGuidedWithReusedLayers() throws Exception {
        assertLinkedEqualsStepwise(dit, ReferenceSchedules.referenceAlternating(3, 24), dit.card().sampler("ddim", 3, true),
                "ddim3", 1.5f);
    }

    @Test
    void multistepUnguided() throws Exception {
        assertLinkedEqualsStepwise(dit, ReferenceSchedules.referenceAlternating(4, 24), dit.card().sampler("dpm2m", 4, true),
                "dpm2m4", 1f);
    }

    @Test
    void singlestepSecondOrderOnUvit() throws Exception {
        Sampler dpm2s = uvit.card().sampler("dpm2s", 4, true);
        assertLinkedEqualsStepwise(uvit, ReferenceSchedules.referenceMask(4, uvit.layers().size(), Schedule.UVIT_DPM2S), dpm2s,
                "dpm2s4", 2f);
    }

    @Test
    void everyTypeTheLinkedModelDeclaresIsTheShapeOnnxRuntimeComputes() throws Exception {
        // guided DDIM over 3 steps with reused layers: the doubled batch, the caches and the sampler arithmetic
        Path pkg = tmp.resolve("declared");
        ScheduleCompiler.compile(dit, ReferenceSchedules.referenceAlternating(3, 24), Path.of("declared.json"),
                dit.card().sampler("ddim", 3, true), pkg, ScheduleCompiler.Options.linked(true));
        dev.l2c.ir.Model linked = dev.l2c.ir.serde.OnnxReader.read(pkg.resolve(dev.l2c.pkg.PackageFiles.LINKED_MODEL));
        java.util.List<String> declared = new java.util.ArrayList<>();
        for (dev.l2c.ir.Node n : linked.graph().nodes()) {
            for (dev.l2c.ir.Value v : n.outputs()) {
                if (v != null && v.type() != null && v.type().shape() != null && !linked.graph().outputs().contains(v)) {
                    declared.add(v.name());
                    linked.graph().addOutput(v);
                }
            }
        }
        java.util.List<String> undeclared = new java.util.ArrayList<>();
        for (dev.l2c.ir.Node n : linked.graph().nodes()) {
            for (dev.l2c.ir.Value v : n.outputs()) {
                if (v != null && (v.type() == null || v.type().shape() == null)) {
                    undeclared.add(v.name());
                }
            }
        }
        // every value is declared (ONNX Runtime plans its buffers from them) but the three small shape
        // vectors, the batch size and the per-step products of the finite check (0·ε)
        assertEquals(java.util.List.of("labels_shape", "model_batch_shape", "noise_shape", "batch_size",
                "s0/eps_times_zero", "s1/eps_times_zero", "s2/eps_times_zero"), undeclared);
        assertTrue(declared.size() > 100, declared.size() + " declared values");
        Path exposed = tmp.resolve("declared-exposed.onnx");
        try (WeightsFileWriter w = new WeightsFileWriter(tmp.resolve("declared-weights.bin"));
             java.io.OutputStream out = java.nio.file.Files.newOutputStream(exposed)) {
            dev.l2c.ir.serde.OnnxWriter.write(linked, w, out);
        }
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        long n = 2;
        try (ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions();
             ai.onnxruntime.OrtSession session = env.createSession(exposed.toString(), so);
             ai.onnxruntime.OnnxTensor noise = ai.onnxruntime.OnnxTensor.createTensor(env,
                     java.nio.FloatBuffer.wrap(OrtTesting.randomFloats(1, n, 1, 28, 28).data()), new long[] {n, 1, 28, 28});
             ai.onnxruntime.OnnxTensor labels = ai.onnxruntime.OnnxTensor.createTensor(env,
                     java.nio.LongBuffer.wrap(new long[] {1, 2}), new long[] {n});
             ai.onnxruntime.OnnxTensor scale = ai.onnxruntime.OnnxTensor.createTensor(env,
                     java.nio.FloatBuffer.wrap(new float[] {1.5f}), new long[0]);
             ai.onnxruntime.OrtSession.Result result = session.run(java.util.Map.of("noise", noise, "labels", labels,
                     "guidance_scale", scale))) {
            for (String name : declared) {
                dev.l2c.ir.TensorType t = linked.graph().value(name).type();
                long[] actual = ((ai.onnxruntime.TensorInfo) result.get(name).orElseThrow().getInfo()).getShape();
                assertEquals(t.shape().rank(), actual.length, name);
                for (int i = 0; i < actual.length; i++) {
                    dev.l2c.ir.Dim d = t.shape().dim(i);
                    if (!d.isUnknown()) {
                        assertEquals(declared(d, n), actual[i], name + " dimension " + i + " declared " + t.shape()
                                + ", ONNX Runtime " + java.util.Arrays.toString(actual));
                    }
                }
            }
        }
    }

    /** A declared dimension read back from the file: a size, "batch" or "K*batch" (ONNX's dim_param is a string). */
    private static long declared(dev.l2c.ir.Dim d, long batch) {
        String text = d.toString();
        if (text.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(text);
        }
        assertTrue(text.equals(LinkedModelGraph.BATCH) || text.endsWith("*" + LinkedModelGraph.BATCH), text);
        return text.contains("*") ? Long.parseLong(text.substring(0, text.indexOf('*'))) * batch : batch;
    }
}
