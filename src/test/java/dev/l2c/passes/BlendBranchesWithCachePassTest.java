package dev.l2c.passes;

import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerDetector;
import dev.l2c.analysis.LayerMap;
import dev.l2c.analysis.ShapeInference;
import dev.l2c.pkg.CacheNames;
import dev.l2c.compiler.CacheStepGraph;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Use;
import dev.l2c.ir.Value;
import dev.l2c.learn.RoutingGraphs;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.testing.OrtTesting;
import dev.l2c.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Before → BlendBranchesWithCachePass → expected, and the blended graph's numbers under ONNX Runtime. */
class BlendBranchesWithCachePassTest {

    private static BlendBranchesWithCachePass.Blend blend(LayerMap map, int j) {
        CacheableLayer l = map.layer(j);
        return new BlendBranchesWithCachePass.Blend(l.tensor(), CacheNames.of(j), l.type(), j);
    }

    @Test
    void aBlendedBranchFeedsItsOldReadersThroughSubMulAddWithTheMaskEntry() throws Exception {
        Model m = TinyModels.gatedTransformer(1);
        Graph g = m.graph();
        LayerMap map = LayerDetector.detect(g, ShapeInference.infer(g, 17));
        Value branch = g.value("attn_out_0");
        List<Node> readersBefore = branch.uses().stream().map(Use::node).toList();
        assertEquals(List.of("Mul"), readersBefore.stream().map(Node::opType).toList(), "before: the gate reads the branch");

        PassResult r = new BlendBranchesWithCachePass("mask", 2, List.of(blend(map, 0))).run(g);

        assertTrue(r.changed(), r.note());
        assertEquals(List.of("x", "c", "mask", "cache_layer_0"), g.inputs().stream().map(Value::name).toList());
        assertEquals("[2]", g.value("mask").type().shape().toString().replace(" ", ""));
        assertEquals(map.layer(0).type(), g.value("cache_layer_0").type());
        // the gate now reads b + m[0]·(c − b)
        Node gate = readersBefore.get(0);
        Value blended = gate.inputs().stream().filter(v -> v.producer() != null && v.producer().opType().equals("Add"))
                .findFirst().orElseThrow();
        Node add = blended.producer();
        assertEquals(branch, add.input(0));
        Node mul = add.input(1).producer();
        assertEquals("Mul", mul.opType());
        Node gather = mul.input(0).producer();
        assertEquals("Gather", gather.opType());
        assertEquals(g.value("mask"), gather.input(0));
        assertEquals(0L, gather.input(1).initializer().toLongs()[0]);
        Node sub = mul.input(1).producer();
        assertEquals("Sub", sub.opType());
        assertEquals(List.of(g.value("cache_layer_0"), branch), sub.inputs());
        // the branch itself is only read by the blend now, so it is still computed and can be exposed
        assertEquals(List.of("Add", "Sub"), branch.uses().stream().map(u -> u.node().opType()).sorted().toList());
        assertEquals(1, count(g, "Softmax"), "nothing is removed");
    }

    @Test
    void withNoBranchItDoesNothing() {
        Model m = TinyModels.plainTransformer(1);
        int nodes = m.graph().nodeCount();
        PassResult r = new BlendBranchesWithCachePass("mask", 2, List.of()).run(m.graph());
        assertFalse(r.changed());
        assertEquals("no branch to blend", r.note());
        assertEquals(nodes, m.graph().nodeCount());
        assertEquals(1, m.graph().inputs().size());
    }

    @Test
    void refusesABranchThatIsAGraphOutputOrMissing() throws Exception {
        Model m = TinyModels.plainTransformer(1);
        Graph g = m.graph();
        LayerMap map = LayerDetector.detect(g, ShapeInference.infer(g, 17));
        g.addOutput(g.value("mlp_out_0"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new BlendBranchesWithCachePass("mask", 2, List.of(blend(map, 1))).run(g));
        assertTrue(e.getMessage().contains("mlp_out_0") && e.getMessage().contains("graph output"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> new BlendBranchesWithCachePass("mask", 2, List.of(
                new BlendBranchesWithCachePass.Blend("no_such_value", "c", map.layer(0).type(), 0))).run(g));
        assertThrows(IllegalArgumentException.class, () -> new BlendBranchesWithCachePass("mask", 2, List.of(
                new BlendBranchesWithCachePass.Blend("attn_out_0", "c", map.layer(0).type(), 2))));
    }

    /** Mask 0 reproduces the original bit for bit; mask e_j reproduces the compiled graph that reads layer j from a cache. */
    @Test
    void numericsMatchTheOriginalAndThePrunedCachedGraphs(@TempDir Path tmp) throws Exception {
        for (Model source : List.of(TinyModels.gatedTransformer(2), TinyModels.plainTransformer(2))) {
            Graph g0 = source.graph();
            LayerMap map = LayerDetector.detect(g0, ShapeInference.infer(g0, 17));
            List<BlendBranchesWithCachePass.Blend> blends = new ArrayList<>();
            for (int j = 0; j < map.size(); j++) {
                blends.add(blend(map, j));
            }
            Model blended = source.copy();
            new BlendBranchesWithCachePass("mask", map.size(), blends).run(blended.graph());
            Path blendFile = OrtTesting.write(blended, tmp.resolve(g0.name() + "_blend.onnx"));
            Path originalFile = OrtTesting.write(source, tmp.resolve(g0.name() + ".onnx"));

            int batch = 3;
            Map<String, Object> plain = new HashMap<>();
            plain.put("x", OrtTesting.randomFloats(1, batch, TinyModels.TOKENS, TinyModels.WIDTH));
            if (g0.value("c") != null) {
                plain.put("c", OrtTesting.randomFloats(2, batch, TinyModels.WIDTH));
            }
            Map<String, Object> withCaches = new HashMap<>(plain);
            for (int j = 0; j < map.size(); j++) {
                withCaches.put(CacheNames.of(j), OrtTesting.randomFloats(10 + j, batch, TinyModels.TOKENS, TinyModels.WIDTH));
            }
            float[] original = OrtTesting.run(originalFile, plain).get("out");

            withCaches.put("mask", new OrtTesting.Floats(new float[map.size()], map.size()));
            float[] none = OrtTesting.run(blendFile, withCaches).get("out");
            assertEquals(0f, OrtTesting.maxAbsDiff(original, none), g0.name() + ": mask 0 must give the original output exactly");

            for (int j = 0; j < map.size(); j++) {
                float[] mask = new float[map.size()];
                mask[j] = 1;
                withCaches.put("mask", new OrtTesting.Floats(mask, map.size()));
                float[] reusedJ = OrtTesting.run(blendFile, withCaches).get("out");
                Model pruned = CacheStepGraph.build(source, map, new int[]{j}, new int[0]).model();
                Map<String, Object> prunedInputs = new HashMap<>(plain);
                prunedInputs.put(CacheNames.of(j), withCaches.get(CacheNames.of(j)));
                float[] compiled = OrtTesting.run(OrtTesting.write(pruned, tmp.resolve(g0.name() + "_p" + j + ".onnx")),
                        prunedInputs).get("out");
                float diff = OrtTesting.maxAbsDiff(compiled, reusedJ);
                assertTrue(diff <= 1e-5f, g0.name() + " layer " + j + ": max |Δ| = " + diff);
                assertTrue(OrtTesting.maxAbsDiff(original, reusedJ) > 1e-4f, "reusing layer " + j + " must matter");
            }
        }
    }

    /** The same on the demo DiT, through the learner's blend graph (which also exposes the fresh branch values). */
    @Test
    void theDemoDitBlendGraphMatchesItsCompiledCachedStep(@TempDir Path tmp) throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        LayerMap map = m.layers();
        Path blendFile = OrtTesting.write(RoutingGraphs.blend(m.onnx(), map), tmp.resolve("blend.onnx"));
        int batch = 2;
        Map<String, Object> plain = new HashMap<>();
        plain.put("x", OrtTesting.randomFloats(3, batch, 1, 28, 28));
        plain.put("t", new OrtTesting.Longs(new long[]{500, 500}, batch));
        plain.put("y", new OrtTesting.Longs(new long[]{3, 10}, batch));
        Map<String, Object> in = new HashMap<>(plain);
        for (int j = 0; j < map.size(); j++) {
            in.put(CacheNames.of(j), OrtTesting.randomFloats(100 + j, map.layer(j).type().shape().evaluate(batch)));
        }
        in.put(RoutingGraphs.MASK, new OrtTesting.Floats(new float[map.size()], map.size()));
        Map<String, float[]> none = OrtTesting.run(blendFile, in);
        float[] original = OrtTesting.run(Path.of("onnx-models/dit_fmnist.onnx"), plain).get("out");
        assertEquals(0f, OrtTesting.maxAbsDiff(original, none.get("out")));
        assertTrue(none.containsKey(RoutingGraphs.freshName(5)));

        int j = 5;
        float[] mask = new float[map.size()];
        mask[j] = 1;
        in.put(RoutingGraphs.MASK, new OrtTesting.Floats(mask, map.size()));
        float[] reused = OrtTesting.run(blendFile, in).get("out");
        Map<String, Object> prunedInputs = new HashMap<>(plain);
        prunedInputs.put(CacheNames.of(j), in.get(CacheNames.of(j)));
        float[] compiled = OrtTesting.run(OrtTesting.write(CacheStepGraph.build(m.onnx(), map, new int[]{j}, new int[0]).model(),
                tmp.resolve("pruned.onnx")), prunedInputs).get("out");
        float diff = OrtTesting.maxAbsDiff(compiled, reused);
        assertTrue(diff <= 1e-5f, "max |Δ| = " + diff);
    }

    private static int count(Graph g, String op) {
        return (int) g.nodes().stream().filter(n -> n.opType().equals(op)).count();
    }
}
