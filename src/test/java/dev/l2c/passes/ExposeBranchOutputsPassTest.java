package dev.l2c.passes;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.testing.GraphBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.l2c.testing.GraphAssertions.assertSameStructure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Before → pass → expected for exposing a branch value as a typed cache output. */
class ExposeBranchOutputsPassTest {
    private static final TensorType TOKENS = TensorType.of(DataType.FLOAT, Shape.of(2, 4));

    private static Graph residualBlock(String branchName) {
        GraphBuilder b = new GraphBuilder("block", 1);
        Value x = b.input("x", DataType.FLOAT, 2, 4);
        Value branch = b.named(branchName, b.op("Tanh", x));
        b.output(b.named("y", b.op("Add", x, branch)));
        return b.graph();
    }

    private static ExposeBranchOutputsPass expose(String value) {
        return new ExposeBranchOutputsPass(List.of(new ExposeBranchOutputsPass.Exposure(value, "cache_layer_0", TOKENS)));
    }

    @Test
    void theBranchBecomesATypedGraphOutputUnderItsCacheNameAndKeepsItsReaders() {
        Graph g = residualBlock("branch");
        assertTrue(expose("branch").run(g).changed());

        Graph expected = residualBlock("cache_layer_0");
        expected.addOutput(expected.value("cache_layer_0"));
        assertSameStructure(expected, g);
        assertEquals(TOKENS, g.value("cache_layer_0").type(), "ONNX requires a typed output");
        assertEquals(1, g.value("cache_layer_0").uses().size(), "the Add still reads it");
    }

    @Test
    void withNothingToExposeTheGraphIsUntouched() {
        Graph g = residualBlock("branch");
        PassResult r = new ExposeBranchOutputsPass(List.of()).run(g);
        assertFalse(r.changed());
        assertEquals("no branch value is reused later", r.note());
        assertSameStructure(residualBlock("branch"), g);
    }

    @Test
    void aGraphInputIsNotABranchItCanExpose() {
        PassPreconditionException e = assertThrows(PassPreconditionException.class,
                () -> expose("x").run(residualBlock("branch")));
        assertEquals("x", e.value());
        assertTrue(e.getMessage().contains("is not computed in this graph"), e.getMessage());
    }
}
