package dev.l2c.passes;

import dev.l2c.ir.Graph;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs passes in a fixed, visible order and keeps a log of what each did. A pass that breaks an
 * invariant fails with an IllegalStateException whose message names the pass and the graph.
 */
public final class PassManager {
    /** One entry of the log. */
    public record Entry(String pass, PassResult result) {
    }

    private final List<GraphPass> pipeline;

    public PassManager(List<GraphPass> pipeline) {
        this.pipeline = List.copyOf(pipeline);
    }

    public List<GraphPass> pipeline() {
        return pipeline;
    }

    /** Runs every pass once, in order, and returns the log. */
    public List<Entry> run(Graph graph) {
        List<Entry> log = new ArrayList<>();
        for (GraphPass pass : pipeline) {
            PassResult r;
            try {
                r = pass.run(graph);
            } catch (PassPreconditionException e) {
                throw e; // names the pass and the value already
            } catch (RuntimeException e) {
                throw new IllegalStateException("pass " + pass.name() + " failed on graph '" + graph.name() + "': "
                        + e.getMessage(), e);
            }
            log.add(new Entry(pass.name(), r));
        }
        return log;
    }
}
