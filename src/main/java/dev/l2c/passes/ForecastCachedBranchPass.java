package dev.l2c.passes;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorData;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Replaces branch values by forecasts from their history: each named branch value is replaced, for
 * all its readers, by {@code Σ_i w_i · h_i}, where the h_i are new graph inputs carrying the layer's
 * last K computed values from earlier steps and the w_i are constants of the graph. The arithmetic is
 * one Mul per history value and one Add per further term, in the order {@code ((w_0·h_0 + w_1·h_1) +
 * w_2·h_2)}, in the branch's element type, so a runner that computes the same sum in that type gets
 * the same bits. The nodes that computed the branch are left for {@link RemoveUnusedNodesPass} to
 * delete. Plain reuse (one value, weight 1) is {@link ReplaceCachedBranchWithInputPass}'s job.
 * Needs: each value exists, is not a graph output, and is float32 or float64.
 */
public final class ForecastCachedBranchPass implements GraphPass {
    /**
     * One branch to forecast: its value in the source graph, the names of the history inputs (most
     * recent first), their weights, and the branch's type.
     */
    public record Combination(String valueName, List<String> inputNames, double[] weights, TensorType type) {
        public Combination {
            inputNames = List.copyOf(inputNames);
            weights = weights.clone();
            if (inputNames.isEmpty() || inputNames.size() != weights.length) {
                throw new IllegalArgumentException(valueName + ": " + inputNames.size() + " history inputs for "
                        + weights.length + " weights");
            }
        }
    }

    private final List<Combination> forecasts;

    public ForecastCachedBranchPass(List<Combination> forecasts) {
        this.forecasts = List.copyOf(forecasts);
    }

    @Override
    public PassResult run(Graph graph) {
        if (forecasts.isEmpty()) {
            return PassResult.unchanged("no branch is forecast in this step");
        }
        for (Combination f : forecasts) {
            Value v = graph.value(f.valueName());
            if (v == null) {
                throw new PassPreconditionException(this, f.valueName(), "is not in this graph");
            }
            if (v.isGraphOutput()) {
                throw new PassPreconditionException(this, f.valueName(), "is a graph output and cannot be forecast");
            }
            DataType type = f.type().elementType();
            if (type != DataType.FLOAT && type != DataType.DOUBLE) {
                throw new PassPreconditionException(this, f.valueName(), "is " + type.shortName
                        + "; forecasts are built for float32 and float64 branches");
            }
        }
        for (Combination f : forecasts) {
            Value sum = null;
            for (int i = 0; i < f.weights().length; i++) {
                Value history = graph.addInput(f.inputNames().get(i), f.type());
                String base = f.inputNames().get(0) + "/forecast";
                Value weight = graph.addInitializer(graph.freshName(base + "_weight" + i),
                        scalar(base + "_weight" + i, f.type().elementType(), f.weights()[i]));
                Value term = add(graph, "Mul", base + "_term" + i, f.type(), history, weight);
                sum = sum == null ? term : add(graph, "Add", base + "_sum" + i, f.type(), sum, term);
            }
            graph.value(f.valueName()).replaceAllUsesWith(sum);
        }
        return PassResult.changed("replaced " + forecasts.size() + " branches with forecasts from their history");
    }

    private static Value add(Graph graph, String op, String name, TensorType type, Value a, Value b) {
        String fresh = graph.freshName(name);
        Value out = graph.addNode(op, "", new ArrayList<>(List.of(a, b)), List.of(fresh), java.util.Map.of(), fresh)
                .output(0);
        out.setType(type);
        return out;
    }

    /** A scalar constant of the branch's element type (small: it stays embedded in the graph). */
    private static Tensor scalar(String name, DataType type, double value) {
        if (type == DataType.FLOAT) {
            return Tensor.ofFloats(name, new long[0], (float) value);
        }
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value);
        b.flip();
        return new Tensor(name, DataType.DOUBLE, new long[0], TensorData.of(b));
    }
}
