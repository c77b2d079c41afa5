package dev.l2c.ir;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tensors, element types and model metadata: the small contracts the reader, writer and passes lean on. */
class TensorTest {
    @Test
    void dataMustHoldExactlyTheBytesTheShapeNeeds() {
        TensorData eight = TensorData.of(ByteBuffer.allocate(8));
        new Tensor("ok", DataType.FLOAT, new long[] {2}, eight);
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("w", DataType.FLOAT, new long[] {3}, eight));
        assertTrue(tooFew.getMessage().contains("'w'") && tooFew.getMessage().contains("needs 12 bytes"), tooFew.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Tensor("w", DataType.FLOAT, new long[] {1}, eight));
        // a scalar holds one element; an empty dimension none
        new Tensor("s", DataType.INT64, new long[0], eight);
        new Tensor("e", DataType.FLOAT, new long[] {0, 5}, TensorData.of(ByteBuffer.allocate(0)));
        // packed sub-byte types round up: 3 int4 values in 2 bytes
        new Tensor("q", DataType.INT4, new long[] {3}, TensorData.of(ByteBuffer.allocate(2)));
    }

    @Test
    void integerAndFloatValuesComeBackAsWritten() {
        assertArrayEquals(new long[] {-1, 1L << 40, 7}, Tensor.ofLongs("l", new long[] {3}, -1, 1L << 40, 7).toLongs());
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(-5).putInt(0).putInt(9).flip();
        assertArrayEquals(new long[] {-5, 0, 9}, new Tensor("i", DataType.INT32, new long[] {3}, TensorData.of(b)).toLongs());
        assertArrayEquals(new float[] {1.5f, -2f}, Tensor.ofFloats("f", new long[] {2}, 1.5f, -2f).toFloats());
        Tensor f = Tensor.ofFloats("f", new long[] {1, 2}, 1f, 2f);
        assertThrows(IllegalStateException.class, f::toLongs);
        assertThrows(IllegalStateException.class, () -> Tensor.ofLongs("l", new long[] {1}, 1).toFloats());
        assertEquals("f:float32[1, 2]", f.toString());
        assertEquals("g", f.withName("g").name());
        assertEquals(2, f.elementCount());
        assertEquals(Shape.of(1, 2), f.shape());
    }

    @Test
    void elementTypesByCodeAndName() {
        assertEquals(DataType.FLOAT, DataType.fromCode(1));
        assertEquals(DataType.BFLOAT16, DataType.fromCode(16));
        assertThrows(IllegalArgumentException.class, () -> DataType.fromCode(-1));
        assertEquals(DataType.UNDEFINED, DataType.fromCode(0));
        assertThrows(IllegalArgumentException.class, () -> DataType.fromCode(10_000));
        for (DataType t : DataType.values()) {
            if (t.code > 0) {
                assertEquals(t, DataType.fromCode(t.code));
            }
            assertEquals(t, DataType.fromShortName(t.shortName));
        }
        assertThrows(IllegalArgumentException.class, () -> DataType.fromShortName("float"));
        assertTrue(DataType.FLOAT.isFloatingPoint() && DataType.FLOAT16.isFloatingPoint()
                && DataType.DOUBLE.isFloatingPoint() && DataType.BFLOAT16.isFloatingPoint());
        assertFalse(DataType.INT64.isFloatingPoint() || DataType.BOOL.isFloatingPoint() || DataType.INT8.isFloatingPoint());
        assertEquals(3, DataType.INT8.byteSize(3));
        assertEquals(16, DataType.DOUBLE.byteSize(2));
    }

    @Test
    void modelMetadataTreatsNullAsEmpty() {
        Model m = new Model(new Graph("g"), 8, Map.of("", 17L));
        assertEquals("", m.producerName());
        m.setProducer("l2c", "1.0");
        assertEquals("l2c", m.producerName());
        assertEquals("1.0", m.producerVersion());
        m.setProducer(null, null);
        assertEquals("", m.producerName());
        assertEquals("", m.producerVersion());
        m.setDomain("d");
        assertEquals("d", m.domain());
        m.setDomain(null);
        assertEquals("", m.domain());
        assertEquals(17, m.defaultOpset());
        assertTrue(m.opaqueFields().isEmpty());
    }
}
