package dev.l2c.schedule;

import dev.l2c.testing.ScheduleQueries;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduleTest {

    @Test
    void cacheStepSortsAndRefusesRepeatsAndNegatives() {
        ScheduleStep s = ScheduleStep.cache(7, 0, 5);
        assertArrayEquals(new int[] {0, 5, 7}, s.computed());
        assertTrue(s.computes(5));
        assertFalse(s.computes(6));
        assertEquals(3, s.computedCount(56));
        assertEquals(ScheduleStep.cache(0, 5, 7), s);
        assertThrows(IllegalArgumentException.class, () -> ScheduleStep.cache(1, 1));
        assertThrows(IllegalArgumentException.class, () -> ScheduleStep.cache(-1));
        assertThrows(IllegalArgumentException.class, () -> new ScheduleStep(true, new int[] {0, 2}));
    }

    @Test
    void stepsAreImmutable() {
        int[] layers = {1, 2};
        ScheduleStep s = ScheduleStep.cache(layers);
        layers[0] = 9;
        s.computed()[1] = 9;
        assertArrayEquals(new int[] {1, 2}, s.computed());
    }

    @Test
    void fullStepComputesEveryLayer() {
        ScheduleStep f = ScheduleStep.full(4);
        assertTrue(f.full());
        assertArrayEquals(new int[] {0, 1, 2, 3}, f.computed());
        assertEquals(4, f.computedCount(4));
        // A cache step may list every layer and is still not a full step.
        assertNotEquals(f, ScheduleStep.cache(0, 1, 2, 3));
    }

    @Test
    void referenceScheduleComputesTheStatedMaskAndReusesThePreviousStep() {
        Schedule s = ReferenceSchedules.referenceAlternating(20, 24);
        assertEquals("dit-ddim", s.pattern());
        assertEquals("reference-mask", s.provenance().get("source"));
        long computed = 0;
        for (int k = 0; k < 20; k++) {
            ScheduleStep step = s.step(k);
            assertEquals(k % 2 == 0, step.full(), "step " + k);
            for (int j = 0; j < 24; j++) {
                boolean expected = k % 2 == 0 || (7 * j + k) % 3 == 0;
                assertEquals(expected, step.computes(j), "step " + k + " layer " + j);
                computed += expected ? 1 : 0;
                if (!expected) {
                    assertEquals(k - 1, ScheduleQueries.lastComputedBefore(s, k, j));
                }
            }
        }
        assertEquals(computed, s.layerEvaluations());
        // 10 full steps of 24 and 10 cache steps computing 8 of 24 (one residue class mod 3).
        assertEquals(10 * 24 + 10 * 8, s.layerEvaluations());
        assertEquals(480, s.totalLayerEvaluations());
    }

    @Test
    void lastComputedBeforeSkipsBackOverSeveralCacheSteps() {
        Schedule s = new Schedule(3, "free",
                List.of(ScheduleStep.full(3), ScheduleStep.cache(0), ScheduleStep.cache(1), ScheduleStep.cache()),
                Map.of(), List.of());
        assertEquals(1, ScheduleQueries.lastComputedBefore(s, 3, 0));
        assertEquals(2, ScheduleQueries.lastComputedBefore(s, 3, 1));
        assertEquals(0, ScheduleQueries.lastComputedBefore(s, 3, 2));
        assertEquals(2, ScheduleQueries.lastComputedBefore(s, 4, 1));
        assertEquals(0, ScheduleQueries.lastComputedBefore(s, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ScheduleQueries.lastComputedBefore(s, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ScheduleQueries.lastComputedBefore(s, 1, 3));
        assertEquals(3 + 1 + 1, s.layerEvaluations());
    }

    @Test
    void allFullComputesEverything() {
        Schedule s = Schedule.allFull(50, 58, "uvit-dpm2s");
        assertEquals(2900, s.layerEvaluations());
        assertEquals(s.totalLayerEvaluations(), s.layerEvaluations());
        assertTrue(s.scores().isEmpty());
    }

    @Test
    void refusesInvalidSchedules() {
        List<ScheduleStep> startsCached = List.of(ScheduleStep.cache(0), ScheduleStep.full(2));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new Schedule(2, "free", startsCached, Map.of(), List.of())).getMessage().contains("step 0 must be full"));
        assertThrows(IllegalArgumentException.class,
                () -> new Schedule(2, "free", List.of(ScheduleStep.full(2), ScheduleStep.cache(2)), Map.of(), List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new Schedule(3, "free", List.of(ScheduleStep.full(2)), Map.of(), List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new Schedule(2, "ddpm", List.of(ScheduleStep.full(2)), Map.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Schedule.allFull(3, 2, "uvit-dpm2s"));
        List<float[]> shortScores = new ArrayList<>();
        shortScores.add(new float[] {0.5f});
        assertThrows(IllegalArgumentException.class,
                () -> new Schedule(2, "free", List.of(ScheduleStep.full(2)), Map.of(), shortScores));
        assertThrows(IllegalArgumentException.class,
                () -> new Schedule(2, "free", List.of(ScheduleStep.full(2)), Map.of("when", new Object()), List.of()));
    }

    @Test
    void provenanceAndScoresAreCopied() {
        Map<String, Object> provenance = new HashMap<>(Map.of("source", "test", "list", List.of(1, 2)));
        List<float[]> scores = new ArrayList<>();
        scores.add(null);
        scores.add(new float[] {0.25f, 0.75f});
        Schedule s = new Schedule(2, "free", List.of(ScheduleStep.full(2), ScheduleStep.cache(1)), provenance, scores);
        provenance.put("source", "changed");
        scores.get(1)[0] = 9f;
        s.scores().get(1)[1] = 9f;
        assertEquals("test", s.provenance().get("source"));
        assertArrayEquals(new float[] {0.25f, 0.75f}, s.scores().get(1));
        assertThrows(UnsupportedOperationException.class, () -> s.provenance().put("x", 1));
        assertEquals(s, s.withProvenance(Map.of("source", "test", "list", List.of(1L, 2L))));
    }
}
