package dev.l2c.analysis;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.ir.Attribute;
import dev.l2c.testing.GraphBuilder;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every value's inferred shape and element type against what ONNX Runtime computes: each embedded
 * model is run with every intermediate value exposed as an output, at two batch sizes, and each
 * tensor's actual shape must equal the inferred one with the batch symbol evaluated.
 */
class ShapeInferenceAgainstOrtTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"dit_fmnist.onnx", "uvit_fmnist.onnx", "fmnist_classifier.onnx"})
    void inferredShapesAreTheShapesOnnxRuntimeComputes(String name) throws Exception {
        Model model = OnnxReader.read(Path.of("onnx-models", name));
        int values = assertInferredShapesMatchOrt(name, model, tmp.resolve(name));
        assertTrue(values >= 10, values + " values");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("opZoo")
    void everyShapeRuleAgreesWithOnnxRuntime(String name, GraphBuilder graph) throws Exception {
        for (Node n : graph.graph().nodes()) {
            for (Value out : n.outputs()) {
                if (!graph.graph().outputs().contains(out)) {
                    graph.output(out);
                }
            }
        }
        assertInferredShapesMatchOrt(name, graph.model(), tmp.resolve(name + ".onnx"));
    }

    /** Small graphs, each exercising shape rules with the attribute and input forms opset 17 allows. */
    static Stream<Arguments> opZoo() {
        List<Arguments> cases = new ArrayList<>();
        GraphBuilder b = new GraphBuilder("slice", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 10, 8);
        b.op("Slice", x, b.ints("s1", 1, -3), b.ints("e1", 100, 1), b.ints("a1", 1, 2), b.ints("st1", 2, -1));
        b.op("Slice", x, b.ints("s2", -100), b.ints("e2", -2), b.ints("a2", -1));
        b.op("Slice", x, b.ints("s3", 0, 0), b.ints("e3", Long.MAX_VALUE, 5));
        cases.add(Arguments.of("slice", b));

        b = new GraphBuilder("reduce", 1);
        x = b.input("x", DataType.FLOAT, "batch", 6, 4);
        b.opWith("ReduceMean", Map.of("axes", Attribute.ofInts("axes", 1), "keepdims", Attribute.ofInt("keepdims", 0)), x);
        b.opWith("ReduceMax", Map.of(), x);
        b.opWith("ReduceMin", Map.of("axes", Attribute.ofInts("axes", -1, 0)), x);
        b.op("ReduceSum", x, b.ints("rs", 2));
        b.opWith("ReduceSum", Map.of("keepdims", Attribute.ofInt("keepdims", 0)), x, b.ints("rs2", 1, 2));
        b.opWith("ArgMax", Map.of("axis", Attribute.ofInt("axis", -1), "keepdims", Attribute.ofInt("keepdims", 0)), x);
        b.opWith("ArgMin", Map.of("axis", Attribute.ofInt("axis", 1)), x);
        cases.add(Arguments.of("reduce", b));

        b = new GraphBuilder("conv", 1);
        x = b.input("x", DataType.FLOAT, "batch", 4, 11, 9);
        b.opWith("Conv", Map.of("pads", Attribute.ofInts("pads", 1, 2, 1, 0), "strides", Attribute.ofInts("strides", 2, 1),
                "dilations", Attribute.ofInts("dilations", 1, 2)), x, b.weight("w", 0.1f, 6, 4, 3, 3), b.weight("bias", 0.1f, 6));
        b.opWith("Conv", Map.of("group", Attribute.ofInt("group", 2), "auto_pad", Attribute.ofString("auto_pad", "SAME_UPPER")),
                x, b.weight("wg", 0.1f, 4, 2, 3, 3));
        b.opWith("MaxPool", Map.of("kernel_shape", Attribute.ofInts("kernel_shape", 3, 2),
                "strides", Attribute.ofInts("strides", 2, 2), "pads", Attribute.ofInts("pads", 1, 0, 1, 0)), x);
        b.opWith("AveragePool", Map.of("kernel_shape", Attribute.ofInts("kernel_shape", 2, 2),
                "ceil_mode", Attribute.ofInt("ceil_mode", 1), "strides", Attribute.ofInts("strides", 2, 2)), x);
        b.op("GlobalAveragePool", x);
        b.op("GlobalMaxPool", x);
        b.opWith("Flatten", Map.of("axis", Attribute.ofInt("axis", 2)), x);
        b.opWith("Flatten", Map.of("axis", Attribute.ofInt("axis", -1)), x);
        cases.add(Arguments.of("conv-pool-flatten", b));

        b = new GraphBuilder("axes", 1);
        x = b.input("x", DataType.FLOAT, "batch", 1, 5, 1);
        // (Squeeze without axes is left out: on a symbolic batch its result depends on whether the batch is 1)
        Value sq = b.op("Squeeze", x, b.ints("sqa", 1, -1));
        Value un = b.op("Unsqueeze", sq, b.ints("una", 0, -1));
        b.opWith("Concat", Map.of("axis", Attribute.ofInt("axis", -1)), un, un);
        Value y = b.input("y", DataType.FLOAT, "batch", 12);
        b.graph().addNode("Split", "", List.of(y, b.ints("parts", 5, 7)), List.of("part_a", "part_b"),
                Map.of("axis", Attribute.ofInt("axis", 1)), "split");
        b.opWith("Transpose", Map.of(), un);
        cases.add(Arguments.of("squeeze-unsqueeze-concat-split", b));

        b = new GraphBuilder("broadcast", 1);
        x = b.input("x", DataType.FLOAT, "batch", 1, 8);
        Value w = b.weight("w", 1f, 4, 1);
        Value sum = b.op("Add", x, w);
        b.op("Mul", sum, b.weight("s", 1f, 8));
        Value gt = b.op("Greater", sum, w);
        b.op("Where", gt, sum, w);
        b.op("Not", gt);
        b.op("Equal", x, x);
        b.op("Expand", w, b.ints("target", 3, 4, 8));
        b.op("Tile", x, b.ints("reps", 1, 3, 2));
        b.opWith("Pad", Map.of(), x, b.ints("pads", 0, 1, 2, 0, 0, 3));
        b.op("Range", b.scalarInt("start", 2), b.scalarInt("limit", 11), b.scalarInt("delta", 3));
        b.op("ConstantOfShape", b.ints("cs", 2, 3));
        cases.add(Arguments.of("broadcast-where-expand-tile-pad-range", b));

        b = new GraphBuilder("shapes", 1);
        x = b.input("x", DataType.FLOAT, "batch", 3, 4, 5);
        b.opWith("Shape", Map.of("start", Attribute.ofInt("start", 1), "end", Attribute.ofInt("end", -1)), x);
        b.op("Size", x);
        b.opWith("Gather", Map.of("axis", Attribute.ofInt("axis", 1)), x, b.ints("idx", 2, 0));
        b.opWith("Cast", Map.of("to", Attribute.ofInt("to", DataType.INT64.code)), x);
        b.op("Reshape", x, b.ints("keep0", 0, -1));
        b.op("Reshape", x, b.ints("fold", -1, 4, 5));
        cases.add(Arguments.of("shape-size-gather-cast", b));

        b = new GraphBuilder("symbolic", 1);
        x = b.input("x", DataType.FLOAT, "batch", 1, 8);
        y = b.input("y", DataType.FLOAT, "batch", 4, 1);
        b.opWith("Concat", Map.of("axis", Attribute.ofInt("axis", 0)), x, x);               // 2*batch
        Value both = b.op("Add", x, y);                                                    // [batch, 4, 8]
        b.op("Mul", both, b.weight("scalar", 1f, 1));
        b.op("Sub", b.weight("row", 1f, 8), x);
        Value dims = b.op("Shape", x);
        Value first = b.opWith("Gather", Map.of("axis", Attribute.ofInt("axis", 0)), dims, b.scalarInt("zero", 0));
        Value target = b.opWith("Concat", Map.of("axis", Attribute.ofInt("axis", 0)),
                b.op("Unsqueeze", first, b.ints("ax", 0)), b.ints("rest", -1));
        b.op("Reshape", both, target);                                                     // [batch, 32]
        b.op("Reshape", both, b.ints("keep", 0, 0, 2, 4));
        b.op("Expand", x, b.op("Shape", y));                                               // [batch, 4, 8]
        cases.add(Arguments.of("symbolic-batch", b));

        b = new GraphBuilder("constants", 1);
        x = b.input("x", DataType.FLOAT, "batch", 3);
        b.opWith("Constant", Map.of("value_float", Attribute.ofFloat("value_float", 2f)));
        b.opWith("Constant", Map.of("value_floats", Attribute.ofFloats("value_floats", 1f, 2f, 3f)));
        b.opWith("Constant", Map.of("value_int", Attribute.ofInt("value_int", 4)));
        Value ints = b.opWith("Constant", Map.of("value_ints", Attribute.ofInts("value_ints", 2, -1)));
        b.opWith("Constant", Map.of("value", Attribute.ofTensor("value", Tensor.ofFloats("t", new long[] {2, 2}, 1, 2, 3, 4))));
        b.op("Reshape", b.op("Tile", x, b.ints("twice", 2, 1)), ints);                      // [2, 3*batch]
        cases.add(Arguments.of("constants", b));

        b = new GraphBuilder("products", 1);
        x = b.input("x", DataType.FLOAT, "batch", 3, 4);
        Value w42 = b.weight("w42", 0.1f, 4, 2);
        b.op("MatMul", x, w42);
        b.op("MatMul", b.weight("w53", 0.1f, 5, 3), x);
        b.opWith("Einsum", Map.of("equation", Attribute.ofString("equation", "bij,jk->bik")), x, w42);
        b.opWith("Einsum", Map.of("equation", Attribute.ofString("equation", "bij,jk")), x, w42);
        Value flat = b.input("flat", DataType.FLOAT, "batch", 4);
        b.opWith("Gemm", Map.of("transB", Attribute.ofInt("transB", 1)), flat, b.weight("w64", 0.1f, 6, 4), b.weight("b6", 0.1f, 6));
        b.opWith("Gemm", Map.of("transA", Attribute.ofInt("transA", 1)), b.weight("a45", 0.1f, 4, 5), b.weight("w52", 0.1f, 4, 2));
        cases.add(Arguments.of("einsum-gemm-matmul", b));
        return cases.stream();
    }

    /** Runs {@code model} with every node output exposed, at two batch sizes; returns how many values it checked. */
    static int assertInferredShapesMatchOrt(String name, Model model, Path file) throws Exception {
        ValueShapes shapes = ShapeInference.infer(model.graph(), model.defaultOpset());
        Model exposed = model.copy();
        List<String> values = new ArrayList<>();
        for (Node n : exposed.graph().nodes()) {
            for (Value out : n.outputs()) {
                if (out != null && !exposed.graph().outputs().contains(out)) {
                    exposed.graph().addOutput(out);
                }
                if (out != null) {
                    values.add(out.name());
                }
            }
        }
        OrtTesting.write(exposed, file);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (long batch : new long[] {1, 3}) {
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                 OrtSession session = env.createSession(file.toString(), so)) {
                Map<String, OnnxTensorLike> inputs = inputs(env, model, batch);
                try (OrtSession.Result result = session.run(inputs)) {
                    for (String v : values) {
                        Value original = model.graph().value(v);
                        TensorType inferred = shapes.typeOf(original);
                        assertNotNull(inferred, name + ": no type for " + v);
                        assertFalse(inferred.shape().hasUnknown(), name + ": " + v + " has an unknown dimension: " + inferred);
                        OnnxValue actual = result.get(v).orElseThrow();
                        TensorInfo info = (TensorInfo) actual.getInfo();
                        assertArrayEquals(info.getShape(), inferred.shape().evaluate(batch),
                                name + ": " + v + " at batch " + batch + " is " + Arrays.toString(info.getShape())
                                        + ", inferred " + inferred.shape());
                        assertEquals(elementType(info), inferred.elementType(), name + ": element type of " + v);
                    }
                } finally {
                    for (OnnxTensorLike t : inputs.values()) {
                        t.close();
                    }
                }
            }
        }
        return values.size();
    }

    /** Zeros of the right shape for the model's inputs (timestep and label 0: any valid value does). */
    private static Map<String, OnnxTensorLike> inputs(OrtEnvironment env, Model model, long batch) throws Exception {
        Map<String, OnnxTensorLike> in = new HashMap<>();
        for (Value v : model.graph().inputs()) {
            long[] shape = v.type().shape().evaluate(batch);
            int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            OnnxTensor t = v.type().elementType() == DataType.INT64
                    ? OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n]), shape)
                    : OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[n]), shape);
            in.put(v.name(), t);
        }
        return in;
    }

    private static DataType elementType(TensorInfo info) {
        return switch (info.type) {
            case FLOAT -> DataType.FLOAT;
            case INT64 -> DataType.INT64;
            case INT32 -> DataType.INT32;
            case BOOL -> DataType.BOOL;
            default -> throw new AssertionError("unexpected element type " + info.type);
        };
    }
}
