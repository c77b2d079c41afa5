package dev.l2c.runtime;

import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.Progress;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Model;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.ir.serde.OnnxWriter;
import dev.l2c.learn.ForecastKind;
import dev.l2c.learn.ForecastLearner;
import dev.l2c.learn.LearnOptions;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DiT whose class-label input is int32 (the demo DiT with only that input retyped: its embedding
 * Gather takes int32 indices as well) runs everywhere the int64 original runs, with the same result:
 * the plain model, a stepwise package, a linked package and the learner all pack their inputs with
 * {@link ModelInputs}, in the types the graphs declare.
 */
class Int32LabelsTest {
    @TempDir
    static Path tmp;
    static LoadedModel int64;
    static LoadedModel int32;

    @BeforeAll
    static void retype() throws Exception {
        int64 = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        Model m = OnnxReader.read(Path.of("onnx-models/dit_fmnist.onnx"));
        Value label = m.graph().value(int64.card().labelInput());
        label.setType(TensorType.of(DataType.INT32, label.type().shape()));
        Path file = tmp.resolve("dit_int32.onnx");
        try (OutputStream out = Files.newOutputStream(file)) {
            OnnxWriter.write(m, OnnxWriter.TensorPlacement.EMBED_ALL, out);
        }
        Files.copy(Path.of("onnx-models/dit_fmnist.card.json"), tmp.resolve("dit_int32.card.json"));
        int32 = LoadedModel.load(file, null, null);
        assertEquals(DataType.INT32, int32.onnx().graph().value(int32.card().labelInput()).type().elementType());
    }

    private static SampleRun.Request request() {
        return new SampleRun.Request(OrtTesting.randomFloats(3, 2, 1, 28, 28).data(), new long[]{7, 2}, 1.5f);
    }

    private static float[] plain(LoadedModel m, Sampler sampler) throws Exception {
        try (SampleGenerator g = SampleGenerators.plain(m.file(), m.card(), sampler, OrtRuntime.Options.cpu());
             Progress p = Progress.start("test", g.evaluations(), false)) {
            return g.generate(request(), p).samples();
        }
    }

    private static float[] compiled(LoadedModel m, Schedule s, Sampler sampler, String name,
                                    ScheduleCompiler.Options options) throws Exception {
        Path pkg = tmp.resolve(name);
        ScheduleCompiler.compile(m, s, Path.of("schedule.json"), sampler, pkg, options);
        try (SampleGenerator g = SampleGenerators.open(CompiledPackage.open(pkg), OrtRuntime.Options.cpu());
             Progress p = Progress.start("test", g.evaluations(), false)) {
            return g.generate(request(), p).samples();
        }
    }

    @Test
    void theInt32ModelSamplesWhatTheInt64ModelSamplesPlainStepwiseAndLinked() throws Exception {
        Schedule s = ScheduleJson.read(Path.of("schedules/dit_fmnist_ddim20_learned_r35.json"));
        Sampler sampler = int64.card().sampler("ddim", 20, true);
        float[] reference = plain(int64, sampler);
        assertArrayEquals(reference, plain(int32, sampler), "plain model");
        assertArrayEquals(compiled(int64, s, sampler, "stepwise64", ScheduleCompiler.Options.stepwise()),
                compiled(int32, s, sampler, "stepwise32", ScheduleCompiler.Options.stepwise()), "stepwise package");
        assertArrayEquals(compiled(int64, s, sampler, "linked64", ScheduleCompiler.Options.linked(true)),
                compiled(int32, s, sampler, "linked32", ScheduleCompiler.Options.linked(true)), "linked package");
    }

    @Test
    void theLearnerRunsTheInt32Model() throws Exception {
        LearnOptions options = LearnOptions.budget("ddim", 6, 0.5).withImages(1);
        ForecastLearner.Result a = ForecastLearner.learn(int64, options, ForecastKind.TAYLOR2);
        ForecastLearner.Result b = ForecastLearner.learn(int32, options, ForecastKind.TAYLOR2);
        assertEquals(a.calibrationMse(), b.calibrationMse(), "the same model, so the same measured error");
        assertTrue(b.schedule().hasForecasts());
    }
}
