package dev.l2c.compiler;

import dev.l2c.compiler.CachePlan.Lifetime;
import dev.l2c.compiler.CachePlan.Step;
import dev.l2c.schedule.Forecast;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache data flow of small schedules, worked out by hand. */
class CachePlanTest {
    private static final boolean T = true;
    private static final boolean F = false;

    /** DiT pattern: full, a cache step computing layer 1 only, full. */
    private static final CachePlan DIT = CachePlan.of(new boolean[][]{{T, T, T}, {F, T, F}, {T, T, T}});

    @Test
    void aCacheStepReadsTheLayersItSkipsFromTheStepBefore() {
        Step cache = DIT.step(1);
        assertFalse(cache.full());
        assertArrayEquals(new int[]{1}, cache.computed());
        assertArrayEquals(new int[]{0, 2}, cache.reads());
        assertArrayEquals(new int[]{0, 0}, cache.readFrom());
        assertArrayEquals(new int[]{}, cache.writes(), "layer 1 is recomputed by the full step after it: not handed on");
    }

    @Test
    void aFullStepWritesOnlyWhatALaterStepReads() {
        assertArrayEquals(new int[]{0, 2}, DIT.step(0).writes());
        assertArrayEquals(new int[]{}, DIT.step(2).writes(), "nothing reads after the last step");
        assertTrue(DIT.step(0).full() && DIT.step(2).full());
        assertArrayEquals(new int[]{}, DIT.step(2).reads());
    }

    @Test
    void lifetimesRunFromTheProducerToTheLastReader() {
        assertEquals(List.of(new Lifetime(0, 0, 1), new Lifetime(2, 0, 1)), DIT.lifetimes());
        assertEquals(7, DIT.layerEvaluations(), "3 + 1 + 3");
        assertEquals(3, DIT.layers());
    }

    @Test
    void aValueIsLiveFromTheStepThatWritesItThroughItsLastReader() {
        assertEquals(DIT.lifetimes(), DIT.liveDuring(0), "written at step 0");
        assertEquals(DIT.lifetimes(), DIT.liveDuring(1), "read at step 1, its last reader, so still resident");
        assertEquals(List.of(), DIT.liveDuring(2));
        assertEquals(DIT.lifetimes(), DIT.step(0).liveAfter(), "step 1 reads them");
        assertEquals(List.of(), DIT.step(1).liveAfter(), "no step after 1 reads them");
    }

    @Test
    void uvitReusesAValueFromTwoEvaluationsBack() {
        // DPM-Solver-2 evaluates twice per step; the cache evaluation at t_i reuses s_(i-1): layer 0 is
        // computed at evaluation 0, skipped at 1 and 2, so evaluation 2 reads it from 0
        CachePlan plan = CachePlan.of(new boolean[][]{{T, T}, {F, T}, {F, T}, {T, T}});
        assertArrayEquals(new int[]{0}, plan.step(2).reads());
        assertArrayEquals(new int[]{0}, plan.step(2).readFrom(), "from two evaluations back");
        assertEquals(List.of(new Lifetime(0, 0, 2)), plan.lifetimes());
        assertEquals(plan.lifetimes(), plan.liveDuring(1), "alive across the evaluation in between");
        assertEquals(plan.lifetimes(), plan.step(1).liveAfter());
        assertEquals(List.of(), plan.step(2).liveAfter());
    }

    @Test
    void aReusedLayerComesFromTheMostRecentStepThatComputedIt() {
        CachePlan plan = CachePlan.of(new boolean[][]{{T}, {T}, {F}});
        assertArrayEquals(new int[]{1}, plan.step(2).readFrom());
        assertArrayEquals(new int[]{}, plan.step(0).writes(), "step 1 recomputed it: step 0's value is dead");
        assertArrayEquals(new int[]{0}, plan.step(1).writes());
    }

    @Test
    void stepsWithTheSameReadsAndWritesShareAGraph() {
        CachePlan allFull = CachePlan.of(new boolean[][]{{T, T}, {T, T}, {T, T}});
        for (Step s : allFull.steps()) {
            assertTrue(s.sameGraphAs(allFull.step(0)));
        }
        assertFalse(DIT.step(0).sameGraphAs(DIT.step(2)), "the first full step writes caches, the last does not");
        assertTrue(allFull.lifetimes().isEmpty());
    }

    @Test
    void aFirstStepThatReusesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CachePlan.of(new boolean[][]{{T, F}, {T, T}}));
        assertTrue(e.getMessage().contains("step 0 reuses layer 1"), e.getMessage());
    }
    @Test
    void aForecastReadsTheLayersLastComputedValuesAndKeepsEachAliveUntilItsLastReader() {
        // one layer: computed at 0, 1 and 3; step 2 and step 4 forecast it from the last two values
        Forecast linear = Forecast.of(2, -1);
        CachePlan plan = CachePlan.of(new boolean[][]{{T}, {T}, {F}, {T}, {F}},
                new Forecast[][]{{null}, {null}, {linear}, {null}, {linear}});
        assertEquals(List.of(new CachePlan.CacheRead(0, 0, 1, 2.0), new CachePlan.CacheRead(0, 1, 0, -1.0)),
                plan.step(2).inputs(), "most recent first, with the forecast's weights");
        assertEquals(List.of(new CachePlan.CacheRead(0, 0, 3, 2.0), new CachePlan.CacheRead(0, 1, 1, -1.0)),
                plan.step(4).inputs(), "step 1's value is read again at step 4");
        assertArrayEquals(new int[]{1}, plan.step(2).readFrom(), "the most recent producer");
        assertEquals(List.of(new Lifetime(0, 0, 2), new Lifetime(0, 1, 4), new Lifetime(0, 3, 4)), plan.lifetimes());
        assertEquals(2, plan.liveDuring(3).size(), "step 1's value waits for step 4 while step 3 writes its own");
        assertEquals(linear, plan.step(2).forecastOf(0));
        assertTrue(plan.step(2).sameGraphAs(plan.step(4)), "same reads, forecasts and writes");
    }

    @Test
    void stepsWithOtherForecastWeightsRunOtherGraphs() {
        CachePlan plan = CachePlan.of(new boolean[][]{{T}, {T}, {F}, {F}},
                new Forecast[][]{{null}, {null}, {Forecast.of(2, -1)}, {Forecast.of(3, -2)}});
        assertFalse(plan.step(2).sameGraphAs(plan.step(3)), "the weights are constants of the graph");
        assertEquals(3, DistinctStepGraphs.of(plan).count());
    }

    @Test
    void aForecastDeeperThanTheHistoryIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CachePlan.of(
                new boolean[][]{{T}, {F}}, new Forecast[][]{{null}, {Forecast.of(2, -1)}}));
        assertTrue(e.getMessage().contains("step 1 forecasts layer 0 from 2 computed values, but only 1"), e.getMessage());
    }
}
