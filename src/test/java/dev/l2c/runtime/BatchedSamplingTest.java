package dev.l2c.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BatchedSamplingTest {
    @Test
    void balancedLabelsCycleThroughTheClasses() {
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1}, BatchedSampling.balancedLabels(12, 10));
        long[] thousand = BatchedSampling.balancedLabels(1000, 10);
        int[] counts = new int[10];
        for (long y : thousand) {
            counts[(int) y]++;
        }
        assertArrayEquals(new int[] {100, 100, 100, 100, 100, 100, 100, 100, 100, 100}, counts);
        assertEquals(0, BatchedSampling.balancedLabels(0, 10).length);
        assertThrows(IllegalArgumentException.class, () -> BatchedSampling.balancedLabels(5, 0));
    }

    @Test
    void theLabelRuleGivesImageIItsLabelWhateverTheBatch() {
        BatchedSampling.LabelSource rule = BatchedSampling.balancedLabels(10);
        assertEquals(3, rule.label(13));
        assertEquals(9, rule.label(99_999_999_999L));
        assertThrows(IllegalArgumentException.class, () -> BatchedSampling.balancedLabels(0));
    }
}
