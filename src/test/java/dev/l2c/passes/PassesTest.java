package dev.l2c.passes;

import dev.l2c.analysis.LayerMap;
import dev.l2c.analysis.ShapeInference;
import dev.l2c.analysis.LayerDetector;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Value;
import dev.l2c.testing.GraphBuilder;
import dev.l2c.testing.OrtTesting;
import dev.l2c.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Before → pass → expected, on tiny graphs; and numbers under ONNX Runtime. */
class PassesTest {
    /** The token-stream type of the tiny transformers: [batch, 4, 8] float32. */
    static final TensorType TYPE = TensorType.of(DataType.FLOAT, Shape.of(Dim.symbolic("batch"), Dim.of(TinyModels.TOKENS), Dim.of(TinyModels.WIDTH)));

    @Test
    void removeUnusedNodesDeletesADeadChainAndItsWeights() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 4);
        Value dead = b.op("Tanh", b.op("Mul", x, b.weight("w_dead", 1f, 4)));
        b.output(b.op("Sigmoid", x));
        PassResult r = new RemoveUnusedNodesPass().run(b.graph());
        assertTrue(r.changed());
        assertEquals(List.of("Sigmoid"), b.graph().nodes().stream().map(Node::opType).toList());
        assertNull(b.graph().value("w_dead"));
        assertNull(b.graph().value(dead.name()));
        assertEquals(List.of("x"), b.graph().inputs().stream().map(Value::name).toList());
    }

    @Test
    void removeUnusedNodesDoesNothingOnALiveGraph() {
        Model m = TinyModels.plainTransformer(1);
        int before = m.graph().nodeCount();
        PassResult r = new RemoveUnusedNodesPass().run(m.graph());
        assertFalse(r.changed());
        assertEquals("no unused nodes or initializers", r.note());
        assertEquals(before, m.graph().nodeCount());
    }

    @Test
    void cuttingABranchTurnsItIntoAnInputAndPrunesWhatOnlyItNeeded() throws Exception {
        Model m = TinyModels.gatedTransformer(1);
        Graph g = m.graph();
        LayerMap map = LayerDetector.detect(g, ShapeInference.infer(g, 17));
        int softmaxBefore = count(g, "Softmax");
        new PassManager(List.of(
                new ReplaceCachedBranchWithInputPass(List.of(new ReplaceCachedBranchWithInputPass.Cut(
                        "attn_out_0", "cache_layer_0", map.layer(0).type()))),
                new RemoveUnusedNodesPass())).run(g);
        assertEquals(1, softmaxBefore);
        assertEquals(0, count(g, "Softmax"), "the attention branch is gone");
        assertEquals(List.of("x", "c", "cache_layer_0"), g.inputs().stream().map(Value::name).toList());
        Value cache = g.value("cache_layer_0");
        assertEquals(1, cache.uses().size());
        assertEquals("Mul", cache.uses().get(0).node().opType(), "the gate still scales the reused value");
        assertNull(g.value("wq_1"), "the branch weights are dropped");
        assertEquals(1, count(g, "Tanh"), "the MLP branch is untouched");
    }

    @Test
    void exposeMakesABranchAnOutputWithoutChangingItsReaders() {
        Model m = TinyModels.plainTransformer(1);
        Graph g = m.graph();
        Value v = g.value("mlp_out_0");
        int uses = v.uses().size();
        new ExposeBranchOutputsPass(List.of(new ExposeBranchOutputsPass.Exposure("mlp_out_0", "cache_layer_1", TYPE))).run(g);
        assertEquals(List.of("out", "cache_layer_1"), g.outputs().stream().map(Value::name).toList());
        assertEquals(uses, v.uses().size());
        assertEquals("cache_layer_1", v.name());
    }

    @Test
    void aFailingPassIsNamed() {
        Model m = TinyModels.plainTransformer(1);
        PassPreconditionException e = assertThrows(PassPreconditionException.class, () -> new PassManager(List.of(
                new ExposeBranchOutputsPass(List.of(new ExposeBranchOutputsPass.Exposure("no_such_value", "cache_layer_0",
                        TYPE))))).run(m.graph()));
        assertEquals("ExposeBranchOutputsPass", e.pass());
        assertEquals("no_such_value", e.value());
        assertTrue(e.getMessage().startsWith("ExposeBranchOutputsPass: value 'no_such_value'"), e.getMessage());
    }

    /**
     * The cut graph, fed the branch value the original graph computed, gives the original output:
     * the pass changes where the value comes from, not what is computed from it.
     */
    @Test
    void aCutGraphFedTheOriginalBranchValueComputesTheOriginalOutput(@TempDir Path tmp) throws Exception {
        Model original = TinyModels.gatedTransformer(2);
        LayerMap map = LayerDetector.detect(original.graph(), ShapeInference.infer(original.graph(), 17));

        Model probe = original.copy();
        new ExposeBranchOutputsPass(List.of(new ExposeBranchOutputsPass.Exposure("mlp_out_0", "mlp_out_0_exposed", TYPE))).run(probe.graph());
        Map<String, Object> inputs = new HashMap<>();
        inputs.put("x", OrtTesting.randomFloats(1, 3, 4, 8));
        inputs.put("c", OrtTesting.randomFloats(2, 3, 8));
        Map<String, float[]> full = OrtTesting.run(OrtTesting.write(probe, tmp.resolve("probe.onnx")), inputs);

        Model cut = original.copy();
        new PassManager(List.of(
                new ReplaceCachedBranchWithInputPass(List.of(new ReplaceCachedBranchWithInputPass.Cut(
                        "mlp_out_0", "cache_layer_1", map.layer(1).type()))),
                new RemoveUnusedNodesPass())).run(cut.graph());
        inputs.put("cache_layer_1", new OrtTesting.Floats(full.get("mlp_out_0_exposed"), 3, 4, 8));
        Map<String, float[]> fromCache = OrtTesting.run(OrtTesting.write(cut, tmp.resolve("cut.onnx")), inputs);
        assertTrue(OrtTesting.maxAbsDiff(full.get("out"), fromCache.get("out")) <= 1e-6f);
        assertTrue(cut.graph().nodeCount() < original.graph().nodeCount());
    }

    private static int count(Graph g, String op) {
        return (int) g.nodes().stream().filter(n -> n.opType().equals(op)).count();
    }
}
