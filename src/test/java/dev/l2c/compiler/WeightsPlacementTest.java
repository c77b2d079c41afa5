package dev.l2c.compiler;

import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.modelbuild.DitConfig;
import dev.l2c.modelbuild.ModelBuilder;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.PackageExecutor;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.sampler.Ddim;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Weights are written once however many graphs reference them, at aligned offsets, or linked in place. */
class WeightsPlacementTest {

    static Sampler spec(int nfe) {
        return new Ddim(NoiseSchedule.linear(1000, 1e-4, 0.02), nfe, true);
    }

    @Test
    void copiedWeightsHoldEachTensorOnceAtAlignedOffsets(@TempDir Path tmp) throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        Path pkg = tmp.resolve("pkg");
        ScheduleCompiler.Result r = ScheduleCompiler.compile(m, ReferenceSchedules.referenceAlternating(6, 24),
                Path.of("s"), spec(6), pkg);
        assertTrue(r.graphs() > 1);
        long sourceBytes = m.onnx().graph().initializers().stream()
                .mapToLong(v -> v.initializer().data().byteSize()).sum();
        // every graph references the file, which is no bigger than the source weights plus alignment padding
        assertTrue(r.weightBytes() < sourceBytes + 4096L * m.onnx().graph().initializers().size());
        Set<Long> offsets = new HashSet<>();
        for (String g : CompiledPackage.open(pkg).manifest().onnxFiles()) {
            var graph = dev.l2c.ir.serde.OnnxReader.read(pkg.resolve(g)).graph();
            for (var init : graph.initializers()) {
                var data = init.initializer().data();
                if (data.byteSize() < WeightsSink.EMBED_BELOW_BYTES) {
                    assertFalse(data instanceof dev.l2c.ir.ExternalTensorData, init.name() + " is small: embedded");
                    continue;
                }
                var ext = (dev.l2c.ir.ExternalTensorData) data;
                assertEquals(0, ext.offset() % 4096, init.name());
                offsets.add(ext.offset());
            }
        }
        assertTrue(offsets.size() <= m.onnx().graph().initializers().size(), "no tensor is written twice");
    }

    @Test
    void linkedWeightsReferenceTheSourceFileInPlaceAndComputeTheSame(@TempDir Path tmp) throws Exception {
        Path modelDir = tmp.resolve("model");
        ModelBuilder.write(DitConfig.TINY, 5, "tiny", modelDir, false, false);
        LoadedModel m = LoadedModel.load(modelDir.resolve(ModelBuilder.MODEL_FILE), null, null);
        Schedule s = ReferenceSchedules.referenceAlternating(4, m.layers().size());
        Path copied = tmp.resolve("copied");
        Path linked = tmp.resolve("linked");
        assertEquals("copied", ScheduleCompiler.compile(m, s, Path.of("s"), spec(4), copied).weightsMode());
        ScheduleCompiler.Result r = ScheduleCompiler.compile(m, s, Path.of("s"), spec(4), linked,
                ScheduleCompiler.Options.stepwise().withLinkedWeights(true));
        assertEquals("linked", r.weightsMode());
        assertTrue(Files.isSameFile(linked.resolve("weights.bin"), modelDir.resolve(ModelBuilder.WEIGHTS_FILE)));
        assertFalse(Files.isSameFile(copied.resolve("weights.bin"), modelDir.resolve(ModelBuilder.WEIGHTS_FILE)));
        float[] a = run(copied);
        float[] b = run(linked);
        assertArrayEquals(a, b);
    }

    /**
     * A model whose Reshape shapes are initializers (as constant-folded exports have them): ONNX
     * Runtime's shape inference cannot read those from external data, so they stay in the graph and
     * the package loads and computes what the source model does.
     */
    @Test
    void shapeInitializersStayEmbeddedSoThePackageLoads(@TempDir Path tmp) throws Exception {
        LoadedModel m = LoadedModel.load(dev.l2c.testing.TinyModels.writeTinyDiffusionDit(tmp, 2), null, null);
        assertTrue(m.onnx().graph().initializers().stream()
                        .anyMatch(v -> v.initializer().type() == dev.l2c.ir.DataType.INT64),
                "the tiny DiT has shape initializers");
        Path pkg = tmp.resolve("pkg");
        ScheduleCompiler.compile(m, ReferenceSchedules.referenceAlternating(4, m.layers().size()), Path.of("s"), spec(4), pkg);
        for (String g : CompiledPackage.open(pkg).manifest().onnxFiles()) {
            for (var init : dev.l2c.ir.serde.OnnxReader.read(pkg.resolve(g)).graph().initializers()) {
                if (init.initializer().type() == dev.l2c.ir.DataType.INT64) {
                    assertFalse(init.initializer().data() instanceof dev.l2c.ir.ExternalTensorData, init.name());
                }
            }
        }
        float[] x = OrtTesting.randomFloats(3, 2, 1, 4, 8).data();
        float[] full;
        try (dev.l2c.runtime.PlainModelExecutor plain = new dev.l2c.runtime.PlainModelExecutor(m.file(), m.card(),
                OrtRuntime.Options.cpu())) {
            full = plain.evaluate(0, x, 2, 999, new long[]{1, 0});
        }
        try (PackageExecutor e = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            assertArrayEquals(full, e.evaluate(0, x, 2, 999, new long[]{1, 0}), 1e-5f);
        }
    }

    static float[] run(Path pkg) throws Exception {
        try (PackageExecutor e = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            float[] x = OrtTesting.randomFloats(1, 2, 1, 8, 8).data();
            e.evaluate(0, x, 2, 999, new long[]{1, 10});
            return e.evaluate(1, x, 2, 998, new long[]{1, 10});
        }
    }
}
