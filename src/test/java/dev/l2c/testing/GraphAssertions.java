package dev.l2c.testing;

import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Value;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Structural comparison of graphs for before → pass → expected tests. */
public final class GraphAssertions {
    private GraphAssertions() {
    }

    /**
     * Asserts that {@code actual} has the nodes of {@code expected} in topological order (op type,
     * domain, input and output value names, attributes) and the same graph inputs, outputs and
     * initializers by name. Node names are not compared: builders number them differently.
     */
    public static void assertSameStructure(Graph expected, Graph actual) {
        List<Node> ne = expected.topologicalOrder();
        List<Node> na = actual.topologicalOrder();
        assertEquals(describe(ne), describe(na), "nodes in topological order");
        assertEquals(names(expected.inputs()), names(actual.inputs()), "graph inputs");
        assertEquals(names(expected.outputs()), names(actual.outputs()), "graph outputs");
        assertEquals(names(expected.initializers()), names(actual.initializers()), "initializers");
    }

    private static List<String> describe(List<Node> nodes) {
        return nodes.stream().map(n -> n.domain() + ":" + n.opType() + names(n.inputs()) + "->" + names(n.outputs())
                + n.attributes().values()).toList();
    }

    public static List<String> names(List<Value> values) {
        return values.stream().map(v -> v == null ? "" : v.name()).toList();
    }
}
