package dev.l2c.analysis;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Value;
import dev.l2c.testing.GraphBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Multiply-accumulates per operator, worked out by hand on small shapes. */
class MacCounterTest {
    @Test
    void matrixProductsCountOutputElementsTimesTheReducedLength() {
        GraphBuilder b = new GraphBuilder("m", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 5, 4);
        Value mm = b.op("MatMul", x, b.weight("w", 0.1f, 4, 3));                   // [b,5,3] x 4
        Value flat = b.input("f", DataType.FLOAT, "batch", 4);
        Value gemm = b.opWith("Gemm", Map.of("transB", Attribute.ofInt("transB", 1)), flat, b.weight("g", 0.1f, 6, 4));
        Value gemmT = b.opWith("Gemm", Map.of("transA", Attribute.ofInt("transA", 1)),
                b.weight("a", 0.1f, 7, 2), b.weight("c", 0.1f, 7, 3));              // [2,3] x 7
        Value img = b.input("img", DataType.FLOAT, "batch", 2, 6, 6);
        Value conv = b.op("Conv", img, b.weight("k", 0.1f, 4, 2, 3, 3));            // [b,4,4,4] x 2·3·3
        Value ein = b.opWith("Einsum", Map.of("equation", Attribute.ofString("equation", "bij,jk->bik")), x,
                b.weight("e", 0.1f, 4, 2));                                          // b·5·4·2
        Value implicit = b.opWith("Einsum", Map.of("equation", Attribute.ofString("equation", "bij,jk")), x,
                b.weight("e2", 0.1f, 4, 2));
        Value transpose = b.opWith("Einsum", Map.of("equation", Attribute.ofString("equation", "bij->bji")), x);
        Value relu = b.op("Relu", x);
        b.output(mm, gemm, gemmT, conv, ein, implicit, transpose, relu);
        ValueShapes s = ShapeInference.infer(b.graph(), 17);
        long batch = 3;
        assertEquals(batch * 5 * 3 * 4, MacCounter.macs(mm.producer(), s, batch));
        assertEquals(batch * 6 * 4, MacCounter.macs(gemm.producer(), s, batch));
        assertEquals(2 * 3 * 7, MacCounter.macs(gemmT.producer(), s, batch));
        assertEquals(batch * 4 * 4 * 4 * (2 * 3 * 3), MacCounter.macs(conv.producer(), s, batch));
        assertEquals(batch * 5 * 4 * 2, MacCounter.macs(ein.producer(), s, batch));
        assertEquals(batch * 5 * 4 * 2, MacCounter.macs(implicit.producer(), s, batch));
        assertEquals(0, MacCounter.macs(transpose.producer(), s, batch), "one operand: no multiply-accumulate");
        assertEquals(0, MacCounter.macs(relu.producer(), s, batch));
        long sum = 0;
        for (Value v : new Value[] {mm, gemm, gemmT, conv, ein, implicit}) {
            sum += MacCounter.macs(v.producer(), s, batch);
        }
        assertEquals(sum, MacCounter.total(b.graph(), s, batch));
    }

    @Test
    void aNodeWithoutKnownShapesCountsNothing() {
        GraphBuilder b = new GraphBuilder("u", 1);
        Value x = b.input("x", DataType.FLOAT, "batch", 4);
        Value unknown = b.op("NonZero", x);
        Value mm = b.op("MatMul", unknown, b.weight("w", 0.1f, 4, 4));
        b.output(mm);
        assertEquals(0, MacCounter.macs(mm.producer(), ShapeInference.infer(b.graph(), 17), 2));
    }
}
