package dev.l2c.passes;

import dev.l2c.ir.Graph;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes branch values graph outputs under stable names, so a later step can reuse them. The value
 * is renamed in place (no Identity node, no copy at run time); its readers inside the graph keep
 * reading it. Each output is declared with the type it is given (element type and shape, batch
 * symbolic): ONNX requires every graph output to carry a type. Needs: each named value exists and is
 * computed by a node of this graph.
 */
public final class ExposeBranchOutputsPass implements GraphPass {
    /** One value to expose: its name in the source graph, the output name to give it, and its type. */
    public record Exposure(String valueName, String outputName, TensorType type) {
        public Exposure {
            if (type == null) {
                throw new IllegalArgumentException("graph output " + outputName + " needs a type");
            }
        }
    }

    private final List<Exposure> exposures;

    public ExposeBranchOutputsPass(List<Exposure> exposures) {
        this.exposures = List.copyOf(exposures);
    }

    @Override
    public PassResult run(Graph graph) {
        if (exposures.isEmpty()) {
            return PassResult.unchanged("no branch value is reused later");
        }
        List<Value> found = new ArrayList<>();
        for (Exposure e : exposures) {
            Value v = graph.value(e.valueName());
            if (v == null || v.producer() == null) {
                throw new PassPreconditionException(this, e.valueName(), "is not computed in this graph");
            }
            found.add(v);
        }
        for (int i = 0; i < exposures.size(); i++) {
            Exposure e = exposures.get(i);
            Value v = found.get(i);
            graph.renameValue(v, e.outputName());
            v.setType(e.type());
            graph.addOutput(v);
        }
        return PassResult.changed("exposed " + exposures.size() + " branch values");
    }
}
