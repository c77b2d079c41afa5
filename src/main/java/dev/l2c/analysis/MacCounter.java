package dev.l2c.analysis;

import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Multiply-accumulates of the operators that dominate a transformer's cost (MatMul, Gemm, Conv,
 * contracting Einsum), from inferred shapes with the symbolic batch bound to a value. Elementwise
 * work, normalisation and softmax are not counted: they are a few percent of a DiT's time and vary by
 * kernel, so counting them would not make the ideal speedup more honest.
 */
public final class MacCounter {
    private MacCounter() {
    }

    /** MACs of one node for batch {@code batch}; 0 for operators that do not multiply-accumulate. */
    public static long macs(Node n, ValueShapes shapes, long batch) {
        try {
            return switch (n.opType()) {
                case "MatMul" -> {
                    Shape a = shapes.requireType(n.input(0)).shape();
                    Shape out = shapes.requireType(n.output(0)).shape();
                    yield out.elementCount(batch) * a.dim(a.rank() - 1).evaluate(batch);
                }
                case "Gemm" -> {
                    Shape a = shapes.requireType(n.input(0)).shape();
                    Shape out = shapes.requireType(n.output(0)).shape();
                    long k = (n.intAttribute("transA", 0) != 0 ? a.dim(0) : a.dim(1)).evaluate(batch);
                    yield out.elementCount(batch) * k;
                }
                case "Conv" -> {
                    Shape w = shapes.requireType(n.input(1)).shape();
                    Shape out = shapes.requireType(n.output(0)).shape();
                    long perOutput = 1;
                    for (int i = 1; i < w.rank(); i++) {
                        perOutput *= w.dim(i).evaluate(batch);
                    }
                    yield out.elementCount(batch) * perOutput;
                }
                case "Einsum" -> einsumMacs(n, shapes, batch);
                default -> 0L;
            };
        } catch (IllegalStateException e) {
            return 0L;
        }
    }

    private static long einsumMacs(Node n, ValueShapes shapes, long batch) {
        String eq = n.attribute("equation").asString().replace(" ", "");
        String[] sides = eq.split("->");
        String[] operands = sides[0].split(",");
        String output = sides.length > 1 ? sides[1] : ShapeInference.implicitEinsumOutput(operands);
        if (operands.length < 2) {
            return 0; // a transpose or reduction, no multiply-accumulate
        }
        Map<Character, Long> sizes = new HashMap<>();
        for (int i = 0; i < operands.length; i++) {
            TensorType t = shapes.requireType(n.input(i));
            for (int k = 0; k < operands[i].length(); k++) {
                sizes.merge(operands[i].charAt(k), t.shape().dim(k).evaluate(batch), Math::max);
            }
        }
        Set<Character> letters = new HashSet<>(sizes.keySet());
        long product = 1;
        for (char c : letters) {
            product *= sizes.get(c);
        }
        return output.isEmpty() && letters.isEmpty() ? 0 : product;
    }

    /** Total MACs of a graph for batch {@code batch}. */
    public static long total(Graph g, ValueShapes shapes, long batch) {
        long sum = 0;
        for (Node n : g.nodes()) {
            sum += macs(n, shapes, batch);
        }
        return sum;
    }
}
