package dev.l2c.passes;

import dev.l2c.ir.Graph;
import dev.l2c.ir.Value;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Makes branch values graph outputs under stable names, so a later step can reuse them. The value
 * is renamed in place (no Identity node, no copy at run time); its readers inside the graph keep
 * reading it. Needs: each named value exists and is computed by a node of this graph.
 */
public final class ExposeBranchOutputsPass implements GraphPass {
    private final Map<String, String> outputNameByValue;

    /** @param outputNameByValue value name in the source graph → graph output name to give it */
    public ExposeBranchOutputsPass(Map<String, String> outputNameByValue) {
        this.outputNameByValue = new LinkedHashMap<>(outputNameByValue);
    }

    @Override
    public PassResult run(Graph graph) {
        if (outputNameByValue.isEmpty()) {
            return PassResult.unchanged("no branch value is reused later");
        }
        for (Map.Entry<String, String> e : outputNameByValue.entrySet()) {
            Value v = graph.value(e.getKey());
            if (v == null || v.producer() == null) {
                throw new IllegalStateException("branch value '" + e.getKey() + "' is not computed in this graph");
            }
            graph.renameValue(v, e.getValue());
            graph.addOutput(v);
        }
        return PassResult.changed("exposed " + outputNameByValue.size() + " branch values");
    }
}
