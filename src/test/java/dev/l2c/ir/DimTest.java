package dev.l2c.ir;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DimTest {
    @Test
    void symbolicArithmeticFollowsTheBatchThroughHeadFolding() {
        Dim batch = Dim.symbolic("batch");
        Dim folded = batch.times(Dim.of(4));
        assertEquals("4*batch", folded.toString());
        assertEquals(Dim.of(196), Dim.of(196).times(batch).dividedBy(batch));
        assertEquals(batch, folded.dividedBy(Dim.of(4)));
        assertTrue(batch.times(Dim.symbolic("other")).isUnknown());
        assertTrue(Dim.of(7).dividedBy(Dim.of(2)).isUnknown());
        assertEquals(8, folded.evaluate(2));
    }
}
