package dev.l2c.runtime;

import dev.l2c.analysis.CacheableLayer;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Shape;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.Value;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.passes.ExposeBranchOutputsPass;
import dev.l2c.sampler.Ddim;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleStep;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cached step of a compiled package equals an independent computation of the same thing: the
 * ORIGINAL, unpruned graph in which the reused branch values are swapped for the ones computed at the
 * earlier step (with a Where node, so nothing is cut or removed). Checks the compiler's cutting,
 * pruning and cache wiring against a construction that shares none of it.
 */
class CachedStepEquivalenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"dit_fmnist", "uvit_fmnist"})
    void aCachedStepEqualsTheOriginalGraphWithSubstitutedBranches(String name, @TempDir Path tmp) throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("onnx-models", name + ".onnx"), null, null);
        int layers = m.layers().size();
        int[] computed = {0, 3, layers / 2, layers - 1};
        Schedule schedule = new Schedule(layers, Schedule.FREE,
                List.of(ScheduleStep.full(layers), ScheduleStep.cache(computed)), Map.of(), List.of());
        Path pkg = tmp.resolve("pkg");
        ScheduleCompiler.compile(m, schedule, Path.of("two-steps.json"),
                new Ddim(NoiseSchedule.linear(1000, 1e-4, 0.02), 2, true), pkg);

        int batch = 4;
        long[] labels = {1, 4, 10, 7};
        float[] x0 = OrtTesting.randomFloats(21, batch, 1, 28, 28).data();
        float[] x1 = OrtTesting.randomFloats(22, batch, 1, 28, 28).data();
        float[] compiledStep1;
        try (PackageExecutor exec = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu())) {
            exec.evaluate(0, x0, batch, 700, labels);
            compiledStep1 = exec.evaluate(1, x1, batch, 650, labels);
        }

        // independent: branch values of step 0 from the original graph with every branch exposed
        Model probe = m.onnx().copy();
        List<ExposeBranchOutputsPass.Exposure> expose = new ArrayList<>();
        for (CacheableLayer l : m.layers().layers()) {
            expose.add(new ExposeBranchOutputsPass.Exposure(l.tensor(), "probe_" + l.index(), l.type()));
        }
        new ExposeBranchOutputsPass(expose).run(probe.graph());
        Map<String, float[]> step0 = OrtTesting.run(OrtTesting.write(probe, tmp.resolve("probe.onnx")),
                inputs(m, x0, 700, labels, batch));

        // the original graph at step 1, with the reused branches' readers switched to step 0's values
        Model substituted = m.onnx().copy();
        Graph g = substituted.graph();
        Value yes = g.addInitializer("always_true", new Tensor("always_true", DataType.BOOL, new long[0],
                dev.l2c.ir.TensorData.of(new byte[]{1})));
        Map<String, Object> in = new HashMap<>(inputs(m, x1, 650, labels, batch));
        List<Integer> reused = new ArrayList<>();
        for (int j = 0; j < layers; j++) {
            if (!schedule.step(1).computes(j)) {
                reused.add(j);
            }
        }
        for (int j : reused) {
            CacheableLayer l = m.layers().layer(j);
            Value branch = g.requireValue(l.tensor());
            Value cached = g.addInput("substitute_" + j, l.type());
            Value readers = g.addNode("Where", List.of(yes, cached, branch), List.of("where_" + j)).output(0);
            for (var use : branch.uses()) {
                if (use.node() != readers.producer()) {
                    use.node().setInput(use.inputIndex(), readers);
                }
            }
            Shape s = l.type().shape();
            in.put("substitute_" + j, new OrtTesting.Floats(step0.get("probe_" + j), s.evaluate(batch)));
        }
        float[] independent = OrtTesting.run(OrtTesting.write(substituted, tmp.resolve("sub.onnx")), in).get("out");
        float diff = OrtTesting.maxAbsDiff(compiledStep1, independent);
        System.out.printf("%s: cached step vs original graph with substituted branches: max|d| = %.3g%n", name, diff);
        assertTrue(diff <= 1e-5f, name + ": max |Δ| = " + diff);
        // and the substitution matters: the plain original at step 1 differs
        float[] plain = OrtTesting.run(Path.of("onnx-models", name + ".onnx"), inputs(m, x1, 650, labels, batch)).get("out");
        assertTrue(OrtTesting.maxAbsDiff(plain, compiledStep1) > 1e-3f);
    }

    static Map<String, Object> inputs(LoadedModel m, float[] x, double t, long[] labels, int batch) {
        Object tt = m.card().timestepType() == DataType.INT64
                ? new OrtTesting.Longs(new long[]{(long) t, (long) t, (long) t, (long) t}, batch)
                : new OrtTesting.Floats(new float[]{(float) t, (float) t, (float) t, (float) t}, batch);
        return Map.of("x", new OrtTesting.Floats(x, batch, 1, 28, 28), "t", tt, "y", new OrtTesting.Longs(labels, batch));
    }

}
