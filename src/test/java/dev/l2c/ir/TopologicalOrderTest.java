package dev.l2c.ir;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopologicalOrderTest {
    private static final int[] NONE = {};

    @Test
    void aSortedListStaysAsItIs() {
        int[][] preds = {NONE, {0}, {0, 1}, {2}};
        TopologicalOrder o = TopologicalOrder.of(4, i -> preds[i]);
        assertTrue(o.complete());
        assertArrayEquals(new int[] {0, 1, 2, 3}, o.order());
        assertEquals(-1, o.blocked());
    }

    @Test
    void amongReadyItemsTheSmallestIndexComesFirst() {
        // 0 needs 3; 1 and 2 need nothing; 3 needs 2: ready at the start are 1 and 2, then 3 frees 0
        int[][] preds = {{3}, NONE, NONE, {2}};
        TopologicalOrder o = TopologicalOrder.of(4, i -> preds[i]);
        assertArrayEquals(new int[] {1, 2, 3, 0}, o.order());
    }

    @Test
    void aRepeatedPredecessorIsWaitedForOnce() {
        // item 1 reads two outputs of item 0
        int[][] preds = {NONE, {0, 0}};
        assertArrayEquals(new int[] {0, 1}, TopologicalOrder.of(2, i -> preds[i]).order());
    }

    @Test
    void aCycleLeavesItsItemsUnplacedAndNamesTheFirst() {
        // 0 is free; 1 -> 2 -> 1 is a cycle; 3 hangs behind it
        int[][] preds = {NONE, {2}, {1}, {1}};
        TopologicalOrder o = TopologicalOrder.of(4, i -> preds[i]);
        assertFalse(o.complete());
        assertArrayEquals(new int[] {0}, o.order());
        assertEquals(1, o.blocked());
    }

    @Test
    void noItemsIsAnEmptyOrder() {
        TopologicalOrder o = TopologicalOrder.of(0, i -> NONE);
        assertTrue(o.complete());
        assertEquals(0, o.order().length);
    }
}
