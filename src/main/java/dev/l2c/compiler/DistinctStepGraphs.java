package dev.l2c.compiler;

import java.util.ArrayList;
import java.util.List;

/**
 * Which steps of a {@link CachePlan} share a graph: steps with the same cache reads and writes compute
 * the same thing from their inputs (the timestep is an input, not a constant), so they run one graph.
 * Graphs are numbered in order of first use. Immutable.
 */
public final class DistinctStepGraphs {
    private final List<CachePlan.Step> firstUse;
    private final int[] graphOfStep;

    private DistinctStepGraphs(List<CachePlan.Step> firstUse, int[] graphOfStep) {
        this.firstUse = List.copyOf(firstUse);
        this.graphOfStep = graphOfStep;
    }

    public static DistinctStepGraphs of(CachePlan plan) {
        List<CachePlan.Step> first = new ArrayList<>();
        int[] graphOf = new int[plan.steps().size()];
        for (CachePlan.Step step : plan.steps()) {
            int found = -1;
            for (int g = 0; g < first.size() && found < 0; g++) {
                if (first.get(g).sameGraphAs(step)) {
                    found = g;
                }
            }
            if (found < 0) {
                first.add(step);
                found = first.size() - 1;
            }
            graphOf[step.step()] = found;
        }
        return new DistinctStepGraphs(first, graphOf);
    }

    /** Number of distinct graphs. */
    public int count() {
        return firstUse.size();
    }

    /** The first step that runs graph {@code g}: its reads and writes define the graph. */
    public CachePlan.Step firstUse(int g) {
        return firstUse.get(g);
    }

    /** The graph step {@code k} runs. */
    public int graphOf(int k) {
        return graphOfStep[k];
    }
}
