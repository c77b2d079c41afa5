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

/** Before → pass → expected for cutting a cached branch: its readers take a new cache input instead. */
class ReplaceCachedBranchWithInputPassTest {
    private static final TensorType TOKENS = TensorType.of(DataType.FLOAT, Shape.of(2, 4));

    /** x → Tanh → "branch" → Add(x, branch) → y: a residual block with one branch. */
    private static Graph residualBlock() {
        GraphBuilder b = new GraphBuilder("block", 1);
        Value x = b.input("x", DataType.FLOAT, 2, 4);
        Value branch = b.named("branch", b.op("Tanh", x));
        b.output(b.named("y", b.op("Add", x, branch)));
        return b.graph();
    }

    private static ReplaceCachedBranchWithInputPass cut(String value) {
        return new ReplaceCachedBranchWithInputPass(List.of(new ReplaceCachedBranchWithInputPass.Cut(value,
                "cache_layer_0", TOKENS)));
    }

    @Test
    void theReadersOfTheBranchReadTheCacheInputAndTheBranchIsLeftForPruning() {
        Graph g = residualBlock();
        PassResult r = cut("branch").run(g);
        assertTrue(r.changed(), r.note());

        GraphBuilder e = new GraphBuilder("block", 1);
        Value x = e.input("x", DataType.FLOAT, 2, 4);
        e.named("branch", e.op("Tanh", x));
        Value cache = e.graph().addInput("cache_layer_0", TOKENS);
        e.output(e.named("y", e.op("Add", x, cache)));
        assertSameStructure(e.graph(), g);
        assertEquals(TOKENS, g.value("cache_layer_0").type(), "the cache input is typed");
        assertFalse(g.value("branch").hasUses(), "nothing reads the branch any more");
    }

    @Test
    void withNothingToCutTheGraphIsUntouched() {
        Graph g = residualBlock();
        Graph before = residualBlock();
        PassResult r = new ReplaceCachedBranchWithInputPass(List.of()).run(g);
        assertFalse(r.changed());
        assertEquals("no branch is reused in this step", r.note());
        assertSameStructure(before, g);
    }

    @Test
    void aMissingBranchOrAGraphOutputIsRefusedNamingThePassAndTheValue() {
        PassPreconditionException missing = assertThrows(PassPreconditionException.class,
                () -> new PassManager(List.of(cut("nope"))).run(residualBlock()));
        assertEquals("ReplaceCachedBranchWithInputPass", missing.pass());
        assertEquals("nope", missing.value());
        assertTrue(missing.getMessage().contains("is not in this graph"), missing.getMessage());

        PassPreconditionException output = assertThrows(PassPreconditionException.class,
                () -> cut("y").run(residualBlock()));
        assertEquals("y", output.value());
        assertTrue(output.getMessage().contains("is a graph output"), output.getMessage());
    }
}
