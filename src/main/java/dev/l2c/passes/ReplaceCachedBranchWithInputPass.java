package dev.l2c.passes;

import dev.l2c.ir.Graph;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cuts reused branches: each named branch value is replaced, for all its readers, by a new graph
 * input that carries the cached value from an earlier step. The nodes that computed it are left
 * for {@link RemoveUnusedNodesPass} to delete. Needs: each value exists and is not a graph output.
 */
public final class ReplaceCachedBranchWithInputPass implements GraphPass {
    /** What to cut and how the new input is called and typed. */
    public record Cut(String valueName, String inputName, TensorType type) {
    }

    private final Map<String, Cut> cuts = new LinkedHashMap<>();

    public ReplaceCachedBranchWithInputPass(Iterable<Cut> cuts) {
        for (Cut c : cuts) {
            this.cuts.put(c.valueName(), c);
        }
    }

    @Override
    public PassResult run(Graph graph) {
        if (cuts.isEmpty()) {
            return PassResult.unchanged("no branch is reused in this step");
        }
        for (Cut c : cuts.values()) {
            Value v = graph.value(c.valueName());
            if (v == null) {
                throw new PassPreconditionException(this, c.valueName(), "is not in this graph");
            }
            if (v.isGraphOutput()) {
                throw new PassPreconditionException(this, c.valueName(), "is a graph output and cannot be cut");
            }
            Value input = graph.addInput(c.inputName(), c.type());
            v.replaceAllUsesWith(input);
        }
        return PassResult.changed("replaced " + cuts.size() + " branches with cache inputs");
    }
}
