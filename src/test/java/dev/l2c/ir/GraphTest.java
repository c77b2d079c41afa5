package dev.l2c.ir;

import dev.l2c.testing.GraphBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GraphTest {

    @Test
    void useListsFollowRewiring() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 4);
        Value y = b.input("y", DataType.FLOAT, "batch", 4);
        Value s = b.op("Sigmoid", x);
        Value sum = b.op("Add", s, x);
        b.output(sum);

        assertEquals(2, x.uses().size());
        s.replaceAllUsesWith(y);
        assertFalse(s.hasUses());
        assertEquals(List.of(new Use(sum.producer(), 0)), y.uses());
        assertSame(y, sum.producer().input(0));
    }

    @Test
    void replaceAllUsesWithAlsoRewiresGraphOutputs() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 4);
        Value s = b.op("Sigmoid", x);
        Value t = b.op("Tanh", x);
        b.output(s);
        s.replaceAllUsesWith(t);
        assertEquals(List.of(t), b.graph().outputs());
    }

    @Test
    void removingANodeWhoseOutputIsStillReadFailsAndNamesTheReader() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 4);
        Value s = b.op("Sigmoid", x);
        Value t = b.op("Tanh", s);
        b.output(t);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.graph().removeNode(s.producer()));
        assertTrue(e.getMessage().contains(t.producer().toString()), e.getMessage());
        IllegalStateException out = assertThrows(IllegalStateException.class, () -> b.graph().removeNode(t.producer()));
        assertTrue(out.getMessage().contains("graph outputs"), out.getMessage());
    }

    @Test
    void removingANodeDropsItsUses() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 4);
        Value s = b.op("Sigmoid", x);
        b.output(b.op("Tanh", x));
        b.graph().removeNode(s.producer());
        assertEquals(1, x.uses().size());
        assertEquals(null, b.graph().value(s.name()));
    }

    @Test
    void topologicalOrderPutsProducersFirstAndDetectsCycles() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 4);
        Value a = b.op("Sigmoid", x);
        Value c = b.op("Tanh", a);
        b.output(c);
        // rewire a to read c: a cycle a -> c -> a
        a.producer().setInput(0, c);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.graph().topologicalOrder());
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    }

    @Test
    void copyIsIndependentButSharesTensorBytes() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 4);
        Value w = b.weight("w", 1f, 4);
        b.output(b.op("Mul", x, w));
        Graph copy = b.graph().copy();
        assertSame(w.initializer().data(), copy.value("w").initializer().data());
        copy.value("x").replaceAllUsesWith(copy.value("w"));
        assertEquals(1, x.uses().size(), "rewiring the copy must not touch the original");
        assertEquals(b.graph().nodeCount(), copy.nodeCount());
    }

    @Test
    void renameKeepsIdentityAndLookup() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 4);
        Value s = b.op("Sigmoid", x);
        b.graph().renameValue(s, "cache_layer_0");
        assertSame(s, b.graph().value("cache_layer_0"));
        assertThrows(IllegalArgumentException.class, () -> b.graph().renameValue(s, "x"));
    }
}
