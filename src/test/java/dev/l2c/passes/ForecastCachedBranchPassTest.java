package dev.l2c.passes;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.testing.GraphBuilder;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Before → pass → expected for forecasting a branch from its history: Σ w_i·h_i in front of its readers. */
class ForecastCachedBranchPassTest {
    private static final TensorType TOKENS = TensorType.of(DataType.FLOAT, Shape.of(2, 4));

    /** x → Tanh → "branch" → Add(x, branch) → y. */
    private static Graph residualBlock() {
        GraphBuilder b = new GraphBuilder("block", 1);
        Value x = b.input("x", DataType.FLOAT, 2, 4);
        Value branch = b.named("branch", b.op("Tanh", x));
        b.output(b.named("y", b.op("Add", x, branch)));
        return b.graph();
    }

    private static ForecastCachedBranchPass forecast(String value, double... weights) {
        List<String> inputs = List.of("cache_layer_0", "cache_layer_0_h1", "cache_layer_0_h2").subList(0, weights.length);
        return new ForecastCachedBranchPass(List.of(new ForecastCachedBranchPass.Combination(value, inputs, weights, TOKENS)));
    }

    @Test
    void theReadersOfTheBranchReadTheWeightedSumOfItsHistory() {
        Graph g = residualBlock();
        PassResult r = forecast("branch", 1.5, -0.75, 0.25).run(g);
        assertTrue(r.changed(), r.note());
        // inputs: x and the three history values, typed like the branch
        assertEquals(List.of("x", "cache_layer_0", "cache_layer_0_h1", "cache_layer_0_h2"),
                g.inputs().stream().map(Value::name).toList());
        for (Value in : g.inputs().subList(1, 4)) {
            assertEquals(TOKENS, in.type());
        }
        Value added = g.value("y").producer().input(1);
        assertEquals("Add", added.producer().opType(), "the last term is added");
        assertEquals(List.of("Tanh", "Add", "Mul", "Mul", "Add", "Mul", "Add"),
                g.nodes().stream().map(n -> n.opType()).toList());
        assertFalse(g.value("branch").hasUses(), "nothing reads the branch any more: left for pruning");
    }

    @Test
    void underOnnxRuntimeTheGraphComputesTheForecastInFloat32(@TempDir Path tmp) throws Exception {
        double[] w = {1.9, -1.1, 0.2};
        GraphBuilder b = new GraphBuilder("block", 1);
        Value x = b.input("x", DataType.FLOAT, 2, 4);
        Value branch = b.named("branch", b.op("Tanh", x));
        b.output(b.named("y", b.op("Add", x, branch)));
        Model m = b.model();
        new PassManager(List.of(forecast("branch", w), new RemoveUnusedNodesPass())).run(m.graph());
        OrtTesting.Floats xs = OrtTesting.randomFloats(1, 2, 4);
        OrtTesting.Floats h0 = OrtTesting.randomFloats(2, 2, 4);
        OrtTesting.Floats h1 = OrtTesting.randomFloats(3, 2, 4);
        OrtTesting.Floats h2 = OrtTesting.randomFloats(4, 2, 4);
        float[] y = OrtTesting.run(OrtTesting.write(m, tmp.resolve("f.onnx")), Map.of("x", xs, "cache_layer_0", h0,
                "cache_layer_0_h1", h1, "cache_layer_0_h2", h2)).get("y");
        float[] expected = new float[8];
        for (int e = 0; e < 8; e++) {
            float f = (float) w[0] * h0.data()[e];
            f = f + (float) w[1] * h1.data()[e];
            f = f + (float) w[2] * h2.data()[e];
            expected[e] = xs.data()[e] + f;
        }
        assertArrayEquals(expected, y, 0f, "the same float32 operations in the same order: the same bits");
    }

    /** x, c → g = Sigmoid(c) (the gate, [2, 1, 4]); branch = Tanh(x); res = x + g·branch; y = Relu(res). The adaLN-Zero shape. */
    private static Model gatedBlock(boolean branchAlsoOutput) {
        GraphBuilder b = new GraphBuilder("gated", 1);
        Value x = b.input("x", DataType.FLOAT, 2, 3, 4);
        Value c = b.input("c", DataType.FLOAT, 2, 1, 4);
        Value gate = b.named("gate", b.op("Sigmoid", c));
        Value branch = b.named("branch", b.op("Tanh", x));
        Value res = b.named("res", b.op("Add", x, b.named("gated", b.op("Mul", gate, branch))));
        b.output(b.named("y", b.op("Relu", res)));
        if (branchAlsoOutput) {
            b.output(b.named("branch_sq", b.op("Mul", branch, branch)));
        }
        return b.model();
    }

    private static ForecastCachedBranchPass gatedForecast(String residualAdd, double... weights) {
        List<String> inputs = List.of("cache_layer_0", "cache_layer_0_h1", "cache_layer_0_h2").subList(0, weights.length);
        return new ForecastCachedBranchPass(List.of(new ForecastCachedBranchPass.Combination("branch", inputs, weights,
                TensorType.of(DataType.FLOAT, Shape.of(2, 3, 4)), residualAdd, residualAdd == null ? null : "gate")));
    }

    @Test
    void aGatedBranchThatOnlyFeedsItsResidualAddIsSummedIntoTheStream() {
        Model m = gatedBlock(false);
        PassResult r = gatedForecast("res", 1.5, -0.75, 0.25).run(m.graph());
        assertTrue(r.changed() && r.note().contains("1 summed into the residual stream"), r.note());
        new RemoveUnusedNodesPass().run(m.graph());
        Value sum = m.graph().outputs().get(0).producer().input(0);
        assertEquals("Sum", sum.producer().opType(), "the residual Add became one Sum");
        assertEquals("x", sum.producer().input(0).name(), "the stream is the first term");
        assertEquals(4, sum.producer().inputCount(), "stream + three weighted history values");
        // the weights multiply the small gate, the history is multiplied once: 3 + 3 Mul, 1 Sum, the gate's Sigmoid
        assertEquals(Map.of("Sigmoid", 1L, "Mul", 6L, "Sum", 1L, "Relu", 1L), m.graph().nodes().stream().collect(
                java.util.stream.Collectors.groupingBy(n -> n.opType(), java.util.stream.Collectors.counting())));
        assertEquals(null, m.graph().value("branch"), "the branch, its gate Mul and the residual Add are pruned");
    }

    @Test
    void theResidualFormComputesWhatThePlainFormComputesUnderOnnxRuntime(@TempDir Path tmp) throws Exception {
        double[] w = {1.9, -1.1, 0.2};
        Model fused = gatedBlock(false);
        new PassManager(List.of(gatedForecast("res", w), new RemoveUnusedNodesPass())).run(fused.graph());
        Model plain = gatedBlock(false);
        new PassManager(List.of(gatedForecast(null, w), new RemoveUnusedNodesPass())).run(plain.graph());
        assertTrue(plain.graph().nodes().stream().noneMatch(n -> n.opType().equals("Sum")), "no residual Add named: plain form");
        Map<String, Object> in = Map.of("x", OrtTesting.randomFloats(1, 2, 3, 4), "c", OrtTesting.randomFloats(5, 2, 1, 4),
                "cache_layer_0", OrtTesting.randomFloats(2, 2, 3, 4), "cache_layer_0_h1", OrtTesting.randomFloats(3, 2, 3, 4),
                "cache_layer_0_h2", OrtTesting.randomFloats(4, 2, 3, 4));
        float[] a = OrtTesting.run(OrtTesting.write(fused, tmp.resolve("fused.onnx")), in).get("y");
        float[] b = OrtTesting.run(OrtTesting.write(plain, tmp.resolve("plain.onnx")), in).get("y");
        float d = OrtTesting.maxAbsDiff(a, b);
        assertTrue(d <= 1e-6f, "the same sum, only rounded in another order: max |Δ| = " + d);
    }

    @Test
    void aBranchWithAnotherReaderKeepsThePlainForm() {
        Model m = gatedBlock(true);
        new PassManager(List.of(gatedForecast("res", 2, -1), new RemoveUnusedNodesPass())).run(m.graph());
        assertTrue(m.graph().nodes().stream().noneMatch(n -> n.opType().equals("Sum")),
                "the branch is read by more than the gate's Mul: the forecast replaces the branch itself");
        assertEquals("Add", m.graph().value("res").producer().opType());
    }

    @Test
    void withNothingToForecastTheGraphIsUntouched() {
        Graph g = residualBlock();
        PassResult r = new ForecastCachedBranchPass(List.of()).run(g);
        assertFalse(r.changed());
        assertEquals("no branch is forecast in this step", r.note());
    }

    @Test
    void aMissingBranchAGraphOutputOrAnIntegerBranchIsRefusedNamingThePass() {
        PassPreconditionException missing = assertThrows(PassPreconditionException.class,
                () -> new PassManager(List.of(forecast("nope", 2, -1))).run(residualBlock()));
        assertEquals("ForecastCachedBranchPass", missing.pass());
        assertTrue(missing.getMessage().contains("is not in this graph"), missing.getMessage());
        PassPreconditionException output = assertThrows(PassPreconditionException.class,
                () -> forecast("y", 2, -1).run(residualBlock()));
        assertTrue(output.getMessage().contains("is a graph output"), output.getMessage());
        ForecastCachedBranchPass ints = new ForecastCachedBranchPass(List.of(new ForecastCachedBranchPass.Combination(
                "branch", List.of("a", "b"), new double[]{2, -1}, TensorType.of(DataType.INT64, Shape.of(2, 4)))));
        PassPreconditionException integer = assertThrows(PassPreconditionException.class, () -> ints.run(residualBlock()));
        assertTrue(integer.getMessage().contains("float32 and float64"), integer.getMessage());
    }
}
