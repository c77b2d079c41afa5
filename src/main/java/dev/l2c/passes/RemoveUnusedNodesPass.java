package dev.l2c.passes;

import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Value;

import java.util.List;

/**
 * Deletes every node none of whose outputs is read by another node or is a graph output, repeatedly
 * (one backward sweep in reverse topological order reaches the fixed point), then every initializer
 * nothing reads. Keeps graph inputs: they are the model's interface even when a step does not need
 * one of them.
 */
public final class RemoveUnusedNodesPass implements GraphPass {

    @Override
    public PassResult run(Graph graph) {
        List<Node> order = graph.topologicalOrder();
        int removedNodes = 0;
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            if (isDead(n)) {
                graph.removeNode(n);
                removedNodes++;
            }
        }
        int removedInitializers = 0;
        for (Value init : List.copyOf(graph.initializers())) {
            if (!init.hasUses() && !init.isGraphOutput()) {
                graph.removeInitializer(init);
                removedInitializers++;
            }
        }
        if (removedNodes == 0 && removedInitializers == 0) {
            return PassResult.unchanged("no unused nodes or initializers");
        }
        return PassResult.changed("removed " + removedNodes + " nodes and " + removedInitializers + " initializers");
    }

    private static boolean isDead(Node n) {
        for (Value out : n.outputs()) {
            if (out != null && (out.hasUses() || out.isGraphOutput())) {
                return false;
            }
        }
        return true;
    }
}
