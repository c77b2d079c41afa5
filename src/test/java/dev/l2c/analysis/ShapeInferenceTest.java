package dev.l2c.analysis;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.testing.GraphBuilder;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class ShapeInferenceTest {

    @Test
    void reshapeTargetsBuiltFromShapeOpsKeepTheBatchSymbolic() {
        GraphBuilder b = new GraphBuilder("r", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 196, 384);
        Value shape = b.op("Shape", x);
        Value batch = b.opWith("Gather", Map.of("axis", Attribute.ofInt("axis", 0)), shape, b.ints("zero", 0));
        Value target = b.opWith("Concat", Map.of("axis", Attribute.ofInt("axis", 0)),
                b.op("Unsqueeze", b.op("Squeeze", batch, b.ints("ax0", 0)), b.ints("ax1", 0)), b.ints("rest", 196, 3, 4, -1));
        Value r = b.op("Reshape", x, target);
        Value t = b.opWith("Transpose", Map.of("perm", Attribute.ofInts("perm", 2, 0, 3, 1, 4)), r);
        b.output(t);
        ValueShapes s = ShapeInference.infer(b.graph(), 17);
        assertEquals("[batch, 196, 3, 4, 32]", s.typeOf(r).shape().toString());
        assertEquals("[3, batch, 4, 196, 32]", s.typeOf(t).shape().toString());
    }

    @Test
    void everyValueOfTheEmbeddedModelsGetsAShape() throws Exception {
        for (String name : new String[]{"dit_fmnist.onnx", "uvit_fmnist.onnx", "fmnist_classifier.onnx"}) {
            Model m = OnnxReader.read(Path.of("onnx-models", name));
            ValueShapes s = ShapeInference.infer(m.graph(), m.defaultOpset());
            for (Node n : m.graph().nodes()) {
                for (Value out : n.outputs()) {
                    assertNotNull(s.typeOf(out), name + ": " + out.name());
                    assertFalse(s.typeOf(out).shape().hasUnknown(), name + ": " + out.name() + " " + s.typeOf(out));
                }
            }
            assertEquals("[batch, 1, 28, 28]".equals(s.typeOf(m.graph().outputs().get(0)).shape().toString()),
                    !name.startsWith("fmnist"));
        }
    }

    @Test
    void anUnknownInputOrAPermutationOutOfRangeLeavesTheOutputUnknown() {
        GraphBuilder b = new GraphBuilder("t", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 4, 8);
        Value unknown = b.op("NonZero", x);
        Value fromUnknown = b.opWith("Transpose", Map.of("perm", Attribute.ofInts("perm", 1, 0)), unknown);
        Value badPerm = b.opWith("Transpose", Map.of("perm", Attribute.ofInts("perm", 0, 5, 1)), x);
        Value fine = b.opWith("Transpose", Map.of("perm", Attribute.ofInts("perm", 0, 2, 1)), x);
        b.output(fromUnknown, badPerm, fine);
        ValueShapes s = ShapeInference.infer(b.graph(), 17);
        assertNull(s.typeOf(fromUnknown), "no rule for NonZero, so nothing to transpose");
        assertNull(s.typeOf(badPerm), "perm names axis 5 of a rank-3 input");
        assertEquals("[batch, 8, 4]", s.typeOf(fine).shape().toString(), "the rest of the graph is still inferred");
    }
}
