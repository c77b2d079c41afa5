package dev.l2c.io;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NdArrayTest {
    @Test
    void conversionsWidenAndNarrowSensibly() {
        NdArray d = NdArray.ofDoubles(new double[] {0.1, -2.0, 3.0}, 3);
        assertArrayEquals(new float[] {0.1f, -2f, 3f}, d.asFloats());
        NdArray l = NdArray.ofLongs(new long[] {0, 3, 7, 9}, 4);
        assertArrayEquals(new float[] {0f, 3f, 7f, 9f}, l.asFloats());
        assertArrayEquals(new double[] {0, 3, 7, 9}, l.asDoubles());
        // Whole-number floats (labels saved as float) convert; fractions are refused, naming the element.
        assertArrayEquals(new long[] {-2, 3}, NdArray.ofFloats(new float[] {-2f, 3f}, 2).asLongs());
        ArithmeticException e = assertThrows(ArithmeticException.class, d::asLongs);
        assertEquals("element 0 is 0.1, not a whole number that fits int64", e.getMessage());
    }

    @Test
    void conversionsReturnFreshArraysAndShapeIsCopied() {
        float[] data = {1f, 2f};
        long[] shape = {2};
        NdArray a = NdArray.ofFloats(data, shape);
        shape[0] = 99;
        assertArrayEquals(new long[] {2}, a.shape());
        a.shape()[0] = 5;
        assertArrayEquals(new long[] {2}, a.shape());
        assertNotSame(data, a.asFloats());
    }

    @Test
    void shapeMustMatchTheData() {
        assertThrows(IllegalArgumentException.class, () -> NdArray.ofFloats(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> NdArray.ofFloats(new float[0], -1));
        assertThrows(IllegalArgumentException.class,
                () -> new NdArray(DataKind.INT64, new long[] {1}, new float[1], null, null));
        assertThrows(IllegalArgumentException.class,
                () -> NdArray.ofFloats(new float[0], 1 << 20, 1 << 20));
        assertEquals(0, NdArray.ofFloats(new float[0], 1 << 20, 1 << 20, 0).elementCount());
    }

    @Test
    void scalarsAndFormatting() {
        NdArray cfg = NdArray.ofDoubles(new double[] {1.5});
        assertEquals(1.5, cfg.doubleValue());
        assertEquals("()", cfg.shapeString());
        assertEquals(1, NdArray.ofLongs(new long[] {1}).longValue());
        assertEquals("(5,)", NdArray.formatShape(new long[] {5}));
        assertEquals("NdArray[float32 (4, 1, 28, 28)]", NdArray.ofFloats(new float[4 * 784], 4, 1, 28, 28).toString());
        assertThrows(IllegalStateException.class, () -> NdArray.ofLongs(new long[2], 2).doubleValue());
    }

    @Test
    void equalityComparesContents() {
        assertEquals(NdArray.ofLongs(new long[] {1, 2}, 2), NdArray.ofLongs(new long[] {1, 2}, 2));
        assertEquals(NdArray.ofLongs(new long[] {1, 2}, 2).hashCode(), NdArray.ofLongs(new long[] {1, 2}, 2).hashCode());
        assertNotEquals(NdArray.ofLongs(new long[] {1, 2}, 2), NdArray.ofLongs(new long[] {1, 2}, 1, 2));
        assertNotEquals(NdArray.ofLongs(new long[] {1, 2}, 2), NdArray.ofDoubles(new double[] {1, 2}, 2));
    }
}
