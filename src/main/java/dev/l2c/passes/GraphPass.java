package dev.l2c.passes;

import dev.l2c.ir.Graph;

/**
 * One rewrite of a graph with one job. A pass is stateless between graphs (its constructor takes
 * what it needs to know), says whether it changed anything, and when it cannot apply says why in its
 * {@link PassResult} instead of failing deep inside. A value it needs but cannot find or rewrite is a
 * {@link PassPreconditionException} naming the pass and the value; other broken invariants are
 * IllegalStateExceptions, which {@link PassManager} reports with the pass's name.
 */
public interface GraphPass {

    /** A verb phrase naming what the pass does; by default the class name. */
    default String name() {
        return getClass().getSimpleName();
    }

    PassResult run(Graph graph);
}
