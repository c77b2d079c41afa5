package dev.l2c.passes;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Value;
import dev.l2c.testing.GraphBuilder;
import org.junit.jupiter.api.Test;

import static dev.l2c.testing.GraphAssertions.assertSameStructure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Before → pass → expected for removing what no graph output depends on. */
class RemoveUnusedNodesPassTest {

    /** y = x + 1, and a dead chain Mul(x, w) → Tanh that nothing reads. */
    private static Graph withDeadChain() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 2, 4);
        Value one = b.weight("one", 0.1f, 2, 4);
        b.op("Tanh", b.op("Mul", x, b.weight("w", 0.1f, 2, 4)));
        b.output(b.named("y", b.op("Add", x, one)));
        return b.graph();
    }

    @Test
    void deadNodesAndTheInitializersOnlyTheyReadAreRemoved() {
        Graph g = withDeadChain();
        PassResult r = new RemoveUnusedNodesPass().run(g);
        assertTrue(r.changed());
        assertEquals("removed 2 nodes and 1 initializers", r.note());

        GraphBuilder e = new GraphBuilder("g", 1);
        Value x = e.input("x", DataType.FLOAT, 2, 4);
        e.output(e.named("y", e.op("Add", x, e.weight("one", 0.1f, 2, 4))));
        assertSameStructure(e.graph(), g);
    }

    @Test
    void aGraphWithoutDeadNodesIsUntouched() {
        Graph g = withDeadChain();
        new RemoveUnusedNodesPass().run(g);
        int nodes = g.nodeCount();
        PassResult again = new RemoveUnusedNodesPass().run(g);
        assertFalse(again.changed());
        assertEquals("no unused nodes or initializers", again.note());
        assertEquals(nodes, g.nodeCount());
    }
}
