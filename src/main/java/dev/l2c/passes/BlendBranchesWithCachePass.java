package dev.l2c.passes;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Shape;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Use;
import dev.l2c.ir.Value;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lets one graph evaluate every routing of its branches: each named branch value b_j is replaced,
 * for all of its readers, by {@code b_j + m[j]·(c_j − b_j)}, where c_j is a new graph input holding
 * a cached value of the same type and m is one new float32 graph input of shape [L], the mask
 * (1 = take the cached value, 0 = keep the computed one). The schedule learner runs this graph with
 * 0/1 masks to measure what reusing any set of layers does to the model output, without compiling a
 * pruned graph per candidate set.
 *
 * <p>Keeps everything: the branch computations stay (their results are simply ignored where m[j] =
 * 1), and b_j itself is still available to name as an output. With m[j] = 0 the readers see b_j bit
 * for bit ({@code b + 0·(c − b) = b} for finite values); with m[j] = 1 they see c_j up to one
 * rounding of {@code b + (c − b)}. Needs: each named value exists, is computed by a node and is not
 * a graph output; the mask and cache input names are free.
 */
public final class BlendBranchesWithCachePass implements GraphPass {
    /**
     * One branch to blend.
     *
     * @param valueName      the branch value b_j
     * @param cacheInputName the new graph input c_j
     * @param type           its element type and shape (that of b_j)
     * @param maskIndex      j, the mask entry that routes it
     */
    public record Blend(String valueName, String cacheInputName, TensorType type, int maskIndex) {
    }

    private final String maskInputName;
    private final int maskLength;
    private final Map<String, Blend> blends = new LinkedHashMap<>();

    /**
     * @param maskInputName name of the new mask input
     * @param maskLength    its length L; every {@link Blend#maskIndex()} lies in 0..L−1
     */
    public BlendBranchesWithCachePass(String maskInputName, int maskLength, Iterable<Blend> blends) {
        this.maskInputName = maskInputName;
        this.maskLength = maskLength;
        for (Blend b : blends) {
            if (b.maskIndex() < 0 || b.maskIndex() >= maskLength) {
                throw new IllegalArgumentException("mask index " + b.maskIndex() + " of " + b.valueName()
                        + " is outside 0.." + (maskLength - 1));
            }
            if (this.blends.put(b.valueName(), b) != null) {
                throw new IllegalArgumentException("branch value " + b.valueName() + " is listed twice");
            }
        }
    }

    @Override
    public PassResult run(Graph graph) {
        if (blends.isEmpty()) {
            return PassResult.unchanged("no branch to blend");
        }
        for (Blend b : blends.values()) {
            Value v = graph.value(b.valueName());
            if (v == null || v.producer() == null) {
                throw new PassPreconditionException(this, b.valueName(), "is not computed in this graph");
            }
            if (v.isGraphOutput()) {
                throw new PassPreconditionException(this, b.valueName(), "is a graph output; its readers outside the graph "
                        + "could not be blended");
            }
        }
        Value mask = graph.addInput(maskInputName, TensorType.of(DataType.FLOAT, Shape.of(maskLength)));
        for (Blend b : blends.values()) {
            Value branch = graph.value(b.valueName());
            // The readers before the blend nodes exist: exactly the uses to rewire.
            List<Use> readers = branch.uses();
            Value cached = graph.addInput(b.cacheInputName(), b.type());
            String base = "blend_" + b.maskIndex();
            Value index = graph.addInitializer(graph.freshName(base + "_index"),
                    Tensor.ofLongs("index", new long[0], b.maskIndex()));
            Value weight = single(graph, "Gather", List.of(mask, index), base + "_weight");
            Value difference = single(graph, "Sub", List.of(cached, branch), base + "_difference");
            Value shift = single(graph, "Mul", List.of(weight, difference), base + "_shift");
            Value blended = single(graph, "Add", List.of(branch, shift), base + "_value");
            blended.setType(b.type());
            for (Use u : readers) {
                u.node().setInput(u.inputIndex(), blended);
            }
        }
        return PassResult.changed("blended " + blends.size() + " branches with cache inputs under mask "
                + maskInputName + "[" + maskLength + "]");
    }

    private static Value single(Graph graph, String op, List<Value> inputs, String outputBase) {
        Node n = graph.addNode(op, "", new ArrayList<>(inputs), List.of(graph.freshName(outputBase)), Map.of(),
                graph.freshName(outputBase + "_node"));
        return n.output(0);
    }
}
