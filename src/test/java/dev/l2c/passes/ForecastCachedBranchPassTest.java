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
