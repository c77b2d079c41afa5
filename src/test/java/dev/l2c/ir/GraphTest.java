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

    @Test
    void aCopyIsTheSameGraphWithItsOwnValuesEvenWhenNodesAreOutOfOrder() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 4);
        Value w = b.weight("w", 0.1f, 4, 4);
        // the consumer first: copy must create it before its producer and patch its input afterwards
        Value m = b.op("MatMul", x, w);
        Value s = b.op("Sigmoid", x);
        m.producer().setInput(0, s);
        b.output(m);
        Graph g = b.graph();
        ProtoExtras doc = new ProtoExtras("doc", java.util.Map.of("k", "v"), new byte[0]);
        g.setExtras(doc);
        g.opaqueFields().add(new byte[] {1, 2});
        x.setInfoExtras(doc);
        w.setInfoExtras(doc);
        s.setInfoExtras(doc);
        s.setType(TensorType.of(DataType.FLOAT, GraphBuilder.shape("batch", 4)));
        assertEquals(List.of(m.producer(), s.producer()), g.nodes());

        Graph c = g.copy();
        assertEquals("g", c.name());
        assertEquals(doc, c.extras());
        assertEquals(1, c.opaqueFields().size());
        Value cs = c.value(s.name());
        Value cm = c.value(m.name());
        assertSame(cs, cm.producer().input(0), "the consumer reads the copy's own producer output");
        assertEquals(List.of(new Use(cm.producer(), 0)), cs.uses());
        assertEquals(s.type(), cs.type());
        assertEquals(doc, cs.infoExtras());
        assertEquals(doc, c.value("x").infoExtras());
        assertEquals(doc, c.value("w").infoExtras());
        assertSame(w.initializer(), c.value("w").initializer(), "weights are shared, not copied");
        assertEquals(List.of(cm), c.outputs());
        assertEquals(List.of("x"), c.inputs().stream().map(Value::name).toList());
        // independent: rewiring the copy leaves the original alone
        cm.producer().setInput(0, c.value("x"));
        assertSame(s, m.producer().input(0));
        assertEquals(1, s.uses().size());
    }

    @Test
    void nodeInputsKeepUseListsExactAndARemovedNodeRefusesRewiring() {
        GraphBuilder b = new GraphBuilder("g", 1);
        Value x = b.input("x", DataType.FLOAT, 4);
        Value y = b.input("y", DataType.FLOAT, 4);
        Value sum = b.op("Add", x, x);
        Node add = sum.producer();
        assertEquals(List.of(new Use(add, 0), new Use(add, 1)), x.uses());
        add.setInput(1, y);
        assertEquals(List.of(new Use(add, 0)), x.uses());
        assertEquals(List.of(new Use(add, 1)), y.uses());
        add.setInput(1, y); // no change: no second use
        assertEquals(1, y.uses().size());
        add.setInput(0, null);
        assertTrue(x.uses().isEmpty());
        assertEquals(null, add.input(0));
        assertEquals(add.name() + "(Add)", add.toString());
        assertFalse(add.isRemoved());
        b.graph().removeNode(add);
        assertTrue(add.isRemoved());
        assertTrue(y.uses().isEmpty(), "a removed node no longer uses its inputs");
        assertEquals(null, sum.producer());
        assertThrows(IllegalStateException.class, () -> add.setInput(0, x));
        Graph other = new GraphBuilder("h", 1).graph();
        Value foreign = other.addInput("z", TensorType.of(DataType.FLOAT, GraphBuilder.shape(4)));
        Node tanh = b.op("Tanh", y).producer();
        assertThrows(IllegalArgumentException.class, () -> tanh.setInput(0, foreign));
        assertEquals("", tanh.domain());
        assertEquals("", tanh.overload());
        assertTrue(tanh.name().startsWith("Tanh_"), tanh.name());
    }
}
