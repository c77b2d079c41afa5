package dev.l2c.testing;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Shape;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A compact builder for the tiny graphs of pass and analysis tests, so each test states its
 * "before" graph in a few lines instead of repeating protobuf plumbing. Dimensions given as strings
 * are symbolic ("batch").
 */
public final class GraphBuilder {
    private final Graph graph;
    private final Random random;
    private int counter;

    public GraphBuilder(String name, long seed) {
        this.graph = new Graph(name);
        this.random = new Random(seed);
    }

    public Graph graph() {
        return graph;
    }

    public static Shape shape(Object... dims) {
        List<Dim> d = new ArrayList<>();
        for (Object o : dims) {
            d.add(o instanceof String s ? Dim.symbolic(s) : Dim.of(((Number) o).longValue()));
        }
        return new Shape(d);
    }

    public Value input(String name, DataType type, Object... dims) {
        return graph.addInput(name, TensorType.of(type, shape(dims)));
    }

    /** A float32 initializer with seeded values of scale {@code std}. */
    public Value weight(String name, float std, long... dims) {
        long n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return graph.addInitializer(name, Tensor.ofFloats(name, dims, v));
    }

    public Value ints(String name, long... values) {
        return graph.addInitializer(name, Tensor.ofLongs(name, new long[]{values.length}, values));
    }

    /** An int64 scalar initializer. */
    public Value scalarInt(String name, long value) {
        return graph.addInitializer(name, Tensor.ofLongs(name, new long[0], new long[] {value}));
    }

    /** A single-output node; the output is named {@code opType_N}. */
    public Value op(String opType, Value... inputs) {
        return opWith(opType, Map.of(), inputs);
    }

    public Value opWith(String opType, Map<String, Attribute> attributes, Value... inputs) {
        String out = graph.freshName(opType.toLowerCase() + "_" + (++counter));
        Node n = graph.addNode(opType, "", Arrays.asList(inputs), List.of(out), attributes, opType + "_" + counter);
        return n.output(0);
    }

    public Value named(String name, Value v) {
        graph.renameValue(v, name);
        return v;
    }

    public GraphBuilder output(Value... values) {
        for (Value v : values) {
            graph.addOutput(v);
        }
        return this;
    }

    public Model model() {
        return new Model(graph, 8, Map.of("", 17L));
    }

    /** LayerNormalization over the last axis with unit scale and zero bias. */
    public Value layerNorm(Value x, int width) {
        Value scale = graph.addInitializer(graph.freshName("ln_scale"), Tensor.ofFloats("s", new long[]{width}, ones(width)));
        Value bias = graph.addInitializer(graph.freshName("ln_bias"), Tensor.ofFloats("b", new long[]{width}, new float[width]));
        return opWith("LayerNormalization", Map.of("axis", Attribute.ofInt("axis", -1),
                "epsilon", Attribute.ofFloat("epsilon", 1e-6f)), x, scale, bias);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    /**
     * A single-head attention branch on tokens [batch, tokens, width]: q, k, v projections, scaled
     * softmax(q kᵀ) v, output projection.
     */
    public Value attention(Value x, int width) {
        Value q = op("MatMul", x, weight(graph.freshName("wq"), 0.2f, width, width));
        Value k = op("MatMul", x, weight(graph.freshName("wk"), 0.2f, width, width));
        Value v = op("MatMul", x, weight(graph.freshName("wv"), 0.2f, width, width));
        Value kt = opWith("Transpose", Map.of("perm", Attribute.ofInts("perm", 0, 2, 1)), k);
        Value scores = op("Softmax", op("MatMul", q, kt));
        return op("MatMul", op("MatMul", scores, v), weight(graph.freshName("wo"), 0.2f, width, width));
    }

    /** A two-layer MLP branch with a GELU-like tanh in between. */
    public Value mlp(Value x, int width) {
        Value h = op("Tanh", op("MatMul", x, weight(graph.freshName("w1"), 0.2f, width, 2L * width)));
        return op("MatMul", h, weight(graph.freshName("w2"), 0.2f, 2L * width, width));
    }
}
