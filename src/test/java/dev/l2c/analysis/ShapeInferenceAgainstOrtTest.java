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
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
        Path file = OrtTesting.write(exposed, tmp.resolve(name));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int checked = 0;
        for (long batch : new long[] {1, 3}) {
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                 OrtSession session = env.createSession(file.toString(), so)) {
                Map<String, OnnxTensorLike> inputs = inputs(env, model, batch);
                try (OrtSession.Result result = session.run(inputs)) {
                    for (String v : values) {
                        Value original = model.graph().value(v);
                        TensorType inferred = shapes.typeOf(original);
                        assertNotNull(inferred, name + ": no type for " + v);
                        OnnxValue actual = result.get(v).orElseThrow();
                        TensorInfo info = (TensorInfo) actual.getInfo();
                        assertArrayEquals(info.getShape(), inferred.shape().evaluate(batch),
                                name + ": " + v + " at batch " + batch + " is " + Arrays.toString(info.getShape())
                                        + ", inferred " + inferred.shape());
                        assertEquals(elementType(info), inferred.elementType(), name + ": element type of " + v);
                        checked++;
                    }
                } finally {
                    for (OnnxTensorLike t : inputs.values()) {
                        t.close();
                    }
                }
            }
        }
        assertTrue(values.size() >= 10 && checked == 2 * values.size(), checked + " checks of " + values.size() + " values");
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
