package dev.l2c.passes;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
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
 * last K computed values from earlier steps and the w_i are constants of the graph. The nodes that
 * computed the branch are left for {@link RemoveUnusedNodesPass} to delete. Plain reuse (one value,
 * weight 1) is {@link ReplaceCachedBranchWithInputPass}'s job.
 *
 * <p>Two forms, the same sum up to rounding:
 * <ul>
 * <li><b>Into the residual</b>, when the combination names its residual Add and the branch feeds
 * nothing but that Add (through its gate's Mul, if it has a gate): the residual Add's result becomes
 * one {@code Sum(x, h_0·(w_0·g), h_1·(w_1·g), …)}, the weights folded into the small gate tensor g
 * (or, without a gate, into the scalars). A forecast step is memory-bound elementwise work over
 * every layer's history; this form reads each history tensor once and writes K + 1 full-size
 * tensors per layer, where the plain form's separate weighting, gating and residual Add write
 * 2K + 1 (benchmarks/forecast/README.md, "Speed").</li>
 * <li><b>Plain</b> otherwise: {@code ((w_0·h_0 + w_1·h_1) + w_2·h_2)}, one Mul per history value and
 * one Add per further term, in the branch's element type, so a runner that computes the same sum in
 * that type gets the same bits.</li>
 * </ul>
 * Needs: each value exists, is not a graph output, and is float32 or float64.
 */
public final class ForecastCachedBranchPass implements GraphPass {
    /**
     * One branch to forecast: its value in the source graph, the names of the history inputs (most
     * recent first), their weights, the branch's type, and (both may be null) the value its residual
     * Add produces and the gate the branch is multiplied by on the way there.
     */
    public record Combination(String valueName, List<String> inputNames, double[] weights, TensorType type,
                              String residualAdd, String gate) {
        public Combination {
            inputNames = List.copyOf(inputNames);
            weights = weights.clone();
            if (inputNames.isEmpty() || inputNames.size() != weights.length) {
                throw new IllegalArgumentException(valueName + ": " + inputNames.size() + " history inputs for "
                        + weights.length + " weights");
            }
        }

        /** A combination written in the plain form (no residual Add known). */
        public Combination(String valueName, List<String> inputNames, double[] weights, TensorType type) {
            this(valueName, inputNames, weights, type, null, null);
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
        int intoResidual = 0;
        for (Combination f : forecasts) {
            Node residual = residualAddFedOnlyBy(graph, f);
            if (residual != null) {
                writeIntoResidual(graph, f, residual);
                intoResidual++;
            } else {
                writePlain(graph, f);
            }
        }
        if (intoResidual > 0) {
            return PassResult.changed("replaced " + forecasts.size() + " branches with forecasts from their history ("
                    + intoResidual + " summed into the residual stream)");
        }
        return PassResult.changed("replaced " + forecasts.size() + " branches with forecasts from their history");
    }

    private static void writePlain(Graph graph, Combination f) {
        Value sum = null;
        String base = f.inputNames().get(0) + "/forecast";
        for (int i = 0; i < f.weights().length; i++) {
            Value history = graph.addInput(f.inputNames().get(i), f.type());
            Value weight = weight(graph, f, base, i);
            Value term = add(graph, "Mul", base + "_term" + i, f.type(), history, weight);
            sum = sum == null ? term : add(graph, "Add", base + "_sum" + i, f.type(), sum, term);
        }
        graph.value(f.valueName()).replaceAllUsesWith(sum);
    }

    /** {@code Sum(x, h_0·(w_0·g), …)} in place of the residual Add {@code x + g·branch} (or {@code x + branch}). */
    private static void writeIntoResidual(Graph graph, Combination f, Node residual) {
        Value branch = graph.value(f.valueName());
        Node gateMul = f.gate() == null ? null : branch.uses().get(0).node();
        Value fed = gateMul == null ? branch : gateMul.output(0);
        Value stream = residual.input(0) == fed ? residual.input(1) : residual.input(0);
        Value gate = f.gate() == null ? null : graph.value(f.gate());
        String base = f.inputNames().get(0) + "/forecast";
        List<Value> terms = new ArrayList<>();
        terms.add(stream);
        for (int i = 0; i < f.weights().length; i++) {
            Value history = graph.addInput(f.inputNames().get(i), f.type());
            Value weight = weight(graph, f, base, i);
            Value scale = gate == null ? weight : add(graph, "Mul", base + "_gate" + i, gate.type(), gate, weight);
            terms.add(add(graph, "Mul", base + "_term" + i, f.type(), history, scale));
        }
        String name = graph.freshName(base + "_residual");
        Value sum = graph.addNode("Sum", "", terms, List.of(name), java.util.Map.of(), name).output(0);
        sum.setType(residual.output(0).type() != null ? residual.output(0).type() : f.type());
        residual.output(0).replaceAllUsesWith(sum);
    }

    /**
     * The residual Add that reads the branch (through the gate's Mul, if any) and nothing else does, or
     * null when the graph is not shaped so: then the sum cannot move into the residual stream.
     */
    private static Node residualAddFedOnlyBy(Graph graph, Combination f) {
        if (f.residualAdd() == null) {
            return null;
        }
        Value fed = graph.value(f.valueName());
        if (f.gate() != null) {
            Node mul = soleReader(fed);
            Value gate = graph.value(f.gate());
            if (mul == null || gate == null || !mul.isStandardOp("Mul") || mul.inputCount() != 2
                    || !(mul.input(0) == gate || mul.input(1) == gate) || mul.input(0) == mul.input(1)) {
                return null;
            }
            fed = mul.output(0);
        }
        Node add = soleReader(fed);
        if (add == null || !add.isStandardOp("Add") || add.inputCount() != 2 || add.input(0) == add.input(1)
                || !add.output(0).name().equals(f.residualAdd()) || add.output(0).isGraphOutput()) {
            return null;
        }
        return add;
    }

    private static Node soleReader(Value v) {
        if (v.isGraphOutput() || v.uses().size() != 1) {
            return null;
        }
        return v.uses().get(0).node();
    }

    private static Value weight(Graph graph, Combination f, String base, int i) {
        return graph.addInitializer(graph.freshName(base + "_weight" + i),
                scalar(base + "_weight" + i, f.type().elementType(), f.weights()[i]));
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
