package dev.l2c.schedule;

import dev.l2c.testing.ScheduleQueries;
import dev.l2c.error.UsageException;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BaselineSchedulesTest {
    /** The demo DiT: 12 blocks, 24 cacheable layers. */
    private static final int LAYERS = 24;
    private static final int[] NO_LAYERS = {};

    @TempDir
    Path tmp;

    // ---- none and fewer-steps

    @Test
    void noneComputesEverythingAndRemovesNothing() throws Exception {
        Schedule s = BaselineSchedules.none(20, LAYERS, "dit-ddim");
        assertTrue(s.steps().stream().allMatch(ScheduleStep::full));
        assertEquals(0.0, BaselineSchedules.removedFraction(s));
        assertEquals("baseline", s.provenance().get("source"));
        assertEquals("none", s.provenance().get("kind"));
        assertEquals(0.0, s.provenance().get("achieved_remove"));
    }

    @Test
    void fewerStepsKeepsTheRoundedShareOfEvaluationsAndCountsAgainstTheReference() throws Exception {
        Schedule s = BaselineSchedules.matchBudget("fewer-steps", 20, LAYERS, "dit-ddim", 0.3, 0);
        assertEquals(14, s.nfe());
        assertTrue(s.steps().stream().allMatch(ScheduleStep::full));
        // Against its own NFE nothing is skipped; against the 20-step reference 30 % is.
        assertEquals(0.0, BaselineSchedules.removedFraction(s));
        assertEquals(0.3, BaselineSchedules.removedFraction(s, 20), 1e-12);
        assertEquals(0.3, (double) s.provenance().get("achieved_remove"), 1e-12);
        assertEquals(20, s.provenance().get("reference_nfe"));
        assertEquals(14, s.provenance().get("nfe"));

        // 20 · 0.65 = 13: odd, fine for DDIM; DPM-Solver-2 evaluates in pairs, so the nearest even count.
        assertEquals(13, BaselineSchedules.matchBudget("fewer-steps", 20, LAYERS, "dit-ddim", 0.35, 0).nfe());
        assertEquals(14, BaselineSchedules.matchBudget("fewer-steps", 20, LAYERS, "uvit-dpm2s", 0.35, 0).nfe());
        assertEquals(12, BaselineSchedules.matchBudget("fewer-steps", 20, LAYERS, "uvit-dpm2s", 0.42, 0).nfe());
        // Never fewer than one evaluation (one solver step for DPM-Solver-2).
        assertEquals(1, BaselineSchedules.matchBudget("fewer-steps", 20, LAYERS, "dit-ddim", 0.99, 0).nfe());
        assertEquals(2, BaselineSchedules.matchBudget("fewer-steps", 20, LAYERS, "uvit-dpm2s", 0.99, 0).nfe());
        assertEquals(20, BaselineSchedules.matchBudget("fewer-steps", 20, LAYERS, "dit-ddim", 0.0, 0).nfe());
    }

    @Test
    void fewerStepsRefusesMoreEvaluationsThanTheReferenceAndOddPairs() {
        assertUsage(() -> BaselineSchedules.fewerSteps(20, 25, LAYERS, "dit-ddim"), "at most", "20", "25");
        assertUsage(() -> BaselineSchedules.fewerSteps(20, 13, LAYERS, "uvit-dpm2s"), "even", "13");
    }

    // ---- fora

    @Test
    void foraIsFullEveryIntervalAndReusesEverythingInBetween() throws Exception {
        Schedule s = BaselineSchedules.fora(10, LAYERS, "free", 3);
        for (int k = 0; k < 10; k++) {
            ScheduleStep step = s.step(k);
            assertEquals(k % 3 == 0, step.full(), "step " + k);
            if (!step.full()) {
                assertArrayEquals(NO_LAYERS, step.computed(), "step " + k);
                assertEquals(k - k % 3, ScheduleQueries.lastComputedBefore(s, k, 5), "step " + k + " reuses the last full step");
            }
        }
        // Full at 0, 3, 6, 9: 4 of 10 evaluations.
        assertEquals(0.6, BaselineSchedules.removedFraction(s), 1e-12);
        assertEquals(3, s.provenance().get("interval"));
        assertTrue(BaselineSchedules.fora(10, LAYERS, "free", 1).steps().stream().allMatch(ScheduleStep::full));
        Schedule onlyFirst = BaselineSchedules.fora(10, LAYERS, "free", 50);
        assertTrue(onlyFirst.step(0).full());
        assertEquals(9 * LAYERS, onlyFirst.totalLayerEvaluations() - onlyFirst.layerEvaluations());
    }

    @Test
    void foraMatchesTheClosestIntervalForEveryBudget() throws Exception {
        for (double f = 0; f < 1; f += 0.01) {
            Schedule s = BaselineSchedules.matchBudget("fora", 20, LAYERS, "dit-ddim", f, 0);
            double achieved = BaselineSchedules.removedFraction(s);
            for (int interval = 1; interval <= 25; interval++) {
                double other = BaselineSchedules.removedFraction(BaselineSchedules.fora(20, LAYERS, "dit-ddim", interval));
                assertTrue(Math.abs(achieved - f) <= Math.abs(other - f) + 1e-12,
                        "target " + f + ": interval " + s.provenance().get("interval") + " gives " + achieved
                                + " but interval " + interval + " gives " + other);
            }
            assertEquals(f, (double) s.provenance().get("target_remove"), 0);
            assertEquals(achieved, (double) s.provenance().get("achieved_remove"), 1e-12);
        }
        assertEquals(2, BaselineSchedules.matchBudget("fora", 20, LAYERS, "dit-ddim", 0.5, 0).provenance().get("interval"));
        assertEquals(3, BaselineSchedules.matchBudget("fora", 20, LAYERS, "dit-ddim", 0.66, 0).provenance().get("interval"));
    }

    // ---- deepcache

    @Test
    void deepCacheComputesTheOuterBlocksBetweenFullSteps() throws Exception {
        Schedule s = BaselineSchedules.deepCache(9, LAYERS, "dit-ddim", 4, 2);
        int[] outer = {0, 1, 2, 3, 20, 21, 22, 23}; // blocks 0, 1 and 10, 11
        for (int k = 0; k < 9; k++) {
            if (k % 4 == 0) {
                assertTrue(s.step(k).full(), "step " + k);
            } else {
                assertFalse(s.step(k).full(), "step " + k);
                assertArrayEquals(outer, s.step(k).computed(), "step " + k);
            }
        }
        // 3 full steps, 6 computing 8 of 24.
        assertEquals(3 * 24 + 6 * 8, s.layerEvaluations());
        assertEquals(4, s.provenance().get("interval"));
        assertEquals(2, s.provenance().get("blocks"));
        // k = 0 is FORA's step pattern.
        assertEquals(BaselineSchedules.fora(9, LAYERS, "dit-ddim", 4).steps(),
                BaselineSchedules.deepCache(9, LAYERS, "dit-ddim", 4, 0).steps());
    }

    @Test
    void deepCacheTakesWholeBlocksOfThreeLayersOnACrossAttentionModel() throws Exception {
        // PixArt numbers attention 3i, cross-attention 3i+1, MLP 3i+2: 24 layers are 8 blocks
        Schedule s = BaselineSchedules.deepCache(5, LAYERS, "dit-ddim", 2, 1, 3);
        assertArrayEquals(new int[]{0, 1, 2, 21, 22, 23}, s.step(1).computed());
        assertTrue(s.step(2).full());
        Schedule matched = BaselineSchedules.matchBudget("deepcache", 20, LAYERS, "dit-ddim", 0.35, 0, 3);
        for (int k = 0; k < 20; k++) {
            if (!matched.step(k).full()) {
                int[] c = matched.step(k).computed();
                assertEquals(0, c.length % 3, "whole blocks at step " + k);
                for (int i = 0; i < c.length; i += 3) {
                    assertEquals(0, c[i] % 3, "a block starts at its attention layer");
                }
            }
        }
        assertThrows(UsageException.class, () -> BaselineSchedules.deepCache(5, 25, "dit-ddim", 2, 1, 3));
    }

    @Test
    void deepCacheRefusesBlockCountsThatReuseNothingAndHalfBlocks() {
        assertUsage(() -> BaselineSchedules.deepCache(20, LAYERS, "free", 2, 6), "0..5", "12 blocks", "6");
        assertUsage(() -> BaselineSchedules.deepCache(20, LAYERS, "free", 2, -1), "0..5");
        assertUsage(() -> BaselineSchedules.deepCache(20, 25, "free", 2, 1), "even", "25");
        assertUsage(() -> BaselineSchedules.deepCache(20, LAYERS, "free", 0, 1), "interval", "at least 1");
    }

    @Test
    void deepCacheMatchesTheClosestIntervalAndBlockCount() throws Exception {
        for (double f = 0; f < 1; f += 0.05) {
            Schedule s = BaselineSchedules.matchBudget("deepcache", 20, LAYERS, "dit-ddim", f, 0);
            double achieved = BaselineSchedules.removedFraction(s);
            int blocks = (int) s.provenance().get("blocks");
            assertTrue(blocks >= 1, "a matched deepcache computes at least one block at each end");
            for (int interval = 1; interval <= 20; interval++) {
                for (int k = 1; k <= 5; k++) {
                    double other = BaselineSchedules.removedFraction(BaselineSchedules.deepCache(20, LAYERS, "dit-ddim", interval, k));
                    assertTrue(Math.abs(achieved - f) <= Math.abs(other - f) + 1e-12,
                            "target " + f + ": got " + achieved + " but interval " + interval + ", k " + k + " gives " + other);
                }
            }
        }
    }

    // ---- the L2C step pattern, random and l2c-mask

    @Test
    void l2cCacheStepsFollowTheRouterPatterns() {
        assertArrayEquals(new int[] {1, 3, 5, 7, 9, 11, 13, 15, 17, 19}, BaselineSchedules.l2cCacheSteps(20, "dit-ddim"));
        // Odd N: r = N-1-k is even at even k; k = 0 stays full.
        assertArrayEquals(new int[] {2, 4}, BaselineSchedules.l2cCacheSteps(5, "dit-ddim"));
        assertArrayEquals(new int[] {2, 4, 6, 8, 10, 12, 14, 16, 18}, BaselineSchedules.l2cCacheSteps(20, "uvit-dpm2s"));
        assertArrayEquals(NO_LAYERS, BaselineSchedules.l2cCacheSteps(1, "dit-ddim"));
        assertArrayEquals(NO_LAYERS, BaselineSchedules.l2cCacheSteps(2, "uvit-dpm2s"));
    }

    @Test
    void l2cCacheStepsAreTheCacheStepsOfThePublishedRouters() throws Exception {
        for (String file : List.of("routers/DDIM20_router.pt", "routers/DDIM50_router.pt", "routers/dpm20_router.pth",
                "routers/dpm50_router.pth")) {
            Schedule router = RouterSchedules.fromRouter(RouterCheckpoint.read(SharedData.require(file)));
            int[] cacheSteps = IntStream.range(0, router.nfe()).filter(k -> !router.step(k).full()).toArray();
            assertArrayEquals(cacheSteps, BaselineSchedules.l2cCacheSteps(router.nfe(), router.pattern()), file);
        }
    }

    @Test
    void randomDrawsLayersAtTheL2cCacheStepsAndSpreadsTheBudgetEvenly() throws Exception {
        for (String pattern : List.of("dit-ddim", "uvit-dpm2s")) {
            // Up to 0.45: the most that 9 cache steps of 20 (uvit-dpm2s) can remove.
            for (double f = 0; f < 0.45; f += 0.037) {
                Schedule s = BaselineSchedules.matchBudget("random", 20, LAYERS, pattern, f, 7);
                int[] cacheSteps = BaselineSchedules.l2cCacheSteps(20, pattern);
                int min = LAYERS;
                int max = 0;
                for (int k = 0; k < 20; k++) {
                    boolean cache = Arrays.binarySearch(cacheSteps, k) >= 0;
                    assertEquals(!cache, s.step(k).full(), pattern + " step " + k);
                    if (cache) {
                        min = Math.min(min, s.step(k).computed().length);
                        max = Math.max(max, s.step(k).computed().length);
                    }
                }
                assertTrue(max - min <= 1, pattern + " " + f + ": cache steps compute " + min + ".." + max + " layers");
                // The budget is met within one layer evaluation.
                double target = (1 - f) * s.totalLayerEvaluations();
                assertEquals(target, s.layerEvaluations(), 1.0, pattern + " target " + f);
                assertEquals(BaselineSchedules.removedFraction(s), (double) s.provenance().get("achieved_remove"), 1e-12);
            }
        }
    }

    @Test
    void randomCannotRemoveMoreThanEveryCacheStepAndSaysWhatItAchieved() throws Exception {
        // DiT at 20 steps: 10 cache steps, so skipping every layer there removes exactly half.
        Schedule s = BaselineSchedules.matchBudget("random", 20, LAYERS, "dit-ddim", 0.8, 1);
        assertEquals(0.5, BaselineSchedules.removedFraction(s), 1e-12);
        assertEquals(0.5, (double) s.provenance().get("achieved_remove"), 1e-12);
        assertEquals(0.8, (double) s.provenance().get("target_remove"), 0);
    }

    @Test
    void randomIsReproducibleAndDependsOnTheSeed() throws Exception {
        Schedule a = BaselineSchedules.matchBudget("random", 50, LAYERS, "dit-ddim", 0.3, 42);
        Schedule b = BaselineSchedules.matchBudget("random", 50, LAYERS, "dit-ddim", 0.3, 42);
        Schedule c = BaselineSchedules.matchBudget("random", 50, LAYERS, "dit-ddim", 0.3, 43);
        assertEquals(a, b);
        assertNotEquals(a.steps(), c.steps());
        // Same budget, different layers.
        assertEquals(a.layerEvaluations(), c.layerEvaluations());
        assertEquals(42, a.provenance().get("seed"));
    }

    @Test
    void randomPicksEveryLayerEquallyOften() throws Exception {
        // 200 seeds × 25 cache steps × 12 of 24 layers: each layer is expected 2500 times (sd 35).
        int[] picked = new int[LAYERS];
        for (long seed = 0; seed < 200; seed++) {
            Schedule s = BaselineSchedules.random(50, LAYERS, "dit-ddim", 25 * 12, seed);
            for (ScheduleStep step : s.steps()) {
                if (!step.full()) {
                    assertEquals(12, step.computed().length);
                    for (int j : step.computed()) {
                        picked[j]++;
                    }
                }
            }
        }
        for (int j = 0; j < LAYERS; j++) {
            assertTrue(Math.abs(picked[j] - 2500) < 250, "layer " + j + " picked " + picked[j] + " times, expected about 2500");
        }
    }

    @Test
    void randomRefusesAFreePatternAndBudgetsBeyondItsCacheSteps() {
        assertUsage(() -> BaselineSchedules.matchBudget("random", 20, LAYERS, "free", 0.3, 0), "dit-ddim", "uvit-dpm2s", "free");
        assertUsage(() -> BaselineSchedules.random(20, LAYERS, "dit-ddim", 241, 0), "0..240", "241");
    }

    @Test
    void l2cMaskComputesTheSameLayersAtEveryCacheStep() throws Exception {
        Schedule s = BaselineSchedules.l2cMask(20, LAYERS, "uvit-dpm2s", new int[] {23, 0, 1, 22});
        int[] cacheSteps = BaselineSchedules.l2cCacheSteps(20, "uvit-dpm2s");
        for (int k = 0; k < 20; k++) {
            if (Arrays.binarySearch(cacheSteps, k) >= 0) {
                assertArrayEquals(new int[] {0, 1, 22, 23}, s.step(k).computed(), "step " + k);
            } else {
                assertTrue(s.step(k).full(), "step " + k);
            }
        }
        assertEquals(List.of(0, 1, 22, 23), s.provenance().get("compute"));
        assertEquals(11 * 24 + 9 * 4, s.layerEvaluations());
        assertUsage(() -> BaselineSchedules.l2cMask(20, LAYERS, "dit-ddim", new int[] {3, 24}), "layer 24", "0..23");
        assertUsage(() -> BaselineSchedules.l2cMask(20, LAYERS, "dit-ddim", new int[] {3, 3}), "twice");
    }

    @Test
    void matchedL2cMaskSpreadsTheClosestLayerCountOverTheDepth() throws Exception {
        // 10 cache steps of 24 layers; removing 25 % of 480 = 120 means skipping 12 layers per cache step.
        Schedule s = BaselineSchedules.matchBudget("l2c-mask", 20, LAYERS, "dit-ddim", 0.25, 0);
        assertArrayEquals(new int[] {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}, s.step(1).computed());
        assertEquals(0.25, BaselineSchedules.removedFraction(s), 1e-12);
        assertArrayEquals(new int[] {12}, BaselineSchedules.evenlySpaced(1, 24));
        assertArrayEquals(IntStream.range(0, 24).toArray(), BaselineSchedules.evenlySpaced(24, 24));
        for (int m = 0; m <= 24; m++) {
            assertEquals(m, Arrays.stream(BaselineSchedules.evenlySpaced(m, 24)).distinct().count(), "m = " + m);
        }
    }

    // ---- all kinds

    @Test
    void everyKindStartsWithAFullStepAndRoundTripsThroughJson() throws Exception {
        List<Schedule> all = new ArrayList<>();
        for (String kind : BaselineSchedules.Kind.ids()) {
            for (String pattern : List.of("dit-ddim", "uvit-dpm2s")) {
                all.add(BaselineSchedules.matchBudget(kind, 20, LAYERS, pattern, 0.37, 5));
                all.add(BaselineSchedules.matchBudgetMacs(kind, 20, ditMacs(), ditFullStepMacs(), pattern, 0.37, 5));
            }
        }
        all.add(BaselineSchedules.deepCache(20, LAYERS, "free", 3, 2));
        all.add(BaselineSchedules.fewerSteps(20, 7, LAYERS, "free"));
        for (Schedule s : all) {
            assertTrue(s.step(0).full(), s.provenance().toString());
            Path file = tmp.resolve(s.provenance().get("kind") + ".json");
            ScheduleJson.write(s, file);
            assertEquals(s, ScheduleJson.read(file), s.provenance().toString());
        }
    }

    @Test
    void badBudgetsAndShapesAreUsageErrors() {
        assertUsage(() -> BaselineSchedules.matchBudget("fora", 20, LAYERS, "dit-ddim", 1.0, 0), "[0, 1)", "1.0");
        assertUsage(() -> BaselineSchedules.matchBudget("fora", 20, LAYERS, "dit-ddim", -0.1, 0), "[0, 1)");
        assertUsage(() -> BaselineSchedules.matchBudget("fora", 20, LAYERS, "dit-ddim", Double.NaN, 0), "[0, 1)");
        assertUsage(() -> BaselineSchedules.matchBudget("teacache", 20, LAYERS, "dit-ddim", 0.3, 0),
                "teacache", "none, fewer-steps, fora, deepcache, random, l2c-mask");
        assertUsage(() -> BaselineSchedules.matchBudget("fora", 0, LAYERS, "dit-ddim", 0.3, 0), "at least one");
        assertUsage(() -> BaselineSchedules.matchBudget("fora", 21, LAYERS, "uvit-dpm2s", 0.3, 0), "even", "21");
        assertUsage(() -> BaselineSchedules.matchBudget("fora", 20, LAYERS, "ddpm", 0.3, 0), "ddpm");
        assertUsage(() -> BaselineSchedules.fora(20, LAYERS, "free", 0), "at least 1");
    }

    // ---- budgets in MACs

    @Test
    void macBudgetsAreMetWithinOneLayerAndNeverReachAllOfTheCompute() throws Exception {
        long[] macs = ditMacs();
        long full = ditFullStepMacs();
        long largestLayer = Arrays.stream(macs).max().orElseThrow();
        for (double f = 0; f < 0.45; f += 0.05) {
            Schedule s = BaselineSchedules.matchBudgetMacs("random", 20, macs, full, "dit-ddim", f, 3);
            double achieved = BaselineSchedules.removedMacFraction(s, macs, full, 20);
            assertEquals("macs", s.provenance().get("budget_unit"));
            assertEquals(achieved, (double) s.provenance().get("achieved_remove"), 1e-12);
            assertEquals(f, achieved, (double) largestLayer / (20.0 * full), "target " + f);
        }
        // Skipping every layer at every step but the first still leaves the non-layer work.
        Schedule most = BaselineSchedules.matchBudgetMacs("fora", 20, macs, full, "dit-ddim", 0.99, 0);
        double layerShare = (double) Arrays.stream(macs).sum() / full;
        assertEquals(19.0 / 20 * layerShare, BaselineSchedules.removedMacFraction(most, macs, full, 20), 1e-12);
        assertTrue(layerShare < 1);
    }

    @Test
    void macFractionsWeighLayersByTheirCost() throws Exception {
        long[] macs = ditMacs();
        long full = ditFullStepMacs();
        // Computing only the attention branches skips the MLPs, which cost more than attention here.
        Schedule attentionOnly = BaselineSchedules.l2cMask(20, LAYERS, "dit-ddim",
                IntStream.range(0, 12).map(b -> 2 * b).toArray());
        long mlp = IntStream.range(0, 12).mapToLong(b -> macs[2 * b + 1]).sum();
        assertEquals(10.0 * mlp / (20.0 * full), BaselineSchedules.removedMacFraction(attentionOnly, macs, full, 20), 1e-12);
        assertEquals(0.25, BaselineSchedules.removedFraction(attentionOnly), 1e-12);
    }

    @Test
    void macMatchingPicksTheClosestParameterInMacs() throws Exception {
        long[] macs = ditMacs();
        long full = ditFullStepMacs();
        for (double f = 0; f < 1; f += 0.03) {
            Schedule fora = BaselineSchedules.matchBudgetMacs("fora", 20, macs, full, "dit-ddim", f, 0);
            double achieved = BaselineSchedules.removedMacFraction(fora, macs, full, 20);
            for (int interval = 1; interval <= 20; interval++) {
                double other = BaselineSchedules.removedMacFraction(BaselineSchedules.fora(20, LAYERS, "dit-ddim", interval),
                        macs, full, 20);
                assertTrue(Math.abs(achieved - f) <= Math.abs(other - f) + 1e-12, "fora target " + f);
            }
            Schedule mask = BaselineSchedules.matchBudgetMacs("l2c-mask", 20, macs, full, "dit-ddim", f, 0);
            double maskAchieved = BaselineSchedules.removedMacFraction(mask, macs, full, 20);
            for (int m = 0; m <= LAYERS; m++) {
                double other = BaselineSchedules.removedMacFraction(
                        BaselineSchedules.l2cMask(20, LAYERS, "dit-ddim", BaselineSchedules.evenlySpaced(m, LAYERS)), macs, full, 20);
                assertTrue(Math.abs(maskAchieved - f) <= Math.abs(other - f) + 1e-12, "l2c-mask target " + f);
            }
        }
    }

    @Test
    void macTablesThatDoNotFitAreBugs() {
        long[] macs = ditMacs();
        assertThrows(IllegalArgumentException.class,
                () -> BaselineSchedules.matchBudgetMacs("fora", 20, macs, Arrays.stream(macs).sum() - 1, "dit-ddim", 0.3, 0));
        long[] negative = macs.clone();
        negative[3] = -1;
        assertThrows(IllegalArgumentException.class,
                () -> BaselineSchedules.matchBudgetMacs("fora", 20, negative, ditFullStepMacs(), "dit-ddim", 0.3, 0));
        Schedule s = Schedule.allFull(20, LAYERS, "free");
        assertThrows(IllegalArgumentException.class, () -> BaselineSchedules.removedMacFraction(s, new long[3], 100, 20));
    }

    /**
     * Per-sample MACs of the demo DiT's layers (hidden 128, 196 tokens, MLP ×4): an attention
     * branch is the QKV and output projections plus the two attention matmuls, an MLP branch its two
     * linear layers; adaLN modulation is counted outside the layers, as it always runs.
     */
    private static long[] ditMacs() {
        long d = 128;
        long n = 196;
        long attention = 4 * n * d * d + 2 * n * n * d;
        long mlp = 2 * n * d * 4 * d;
        IntFunction<Long> cost = j -> j % 2 == 0 ? attention : mlp;
        return IntStream.range(0, LAYERS).mapToLong(j -> cost.apply(j)).toArray();
    }

    /** The layers plus patch embedding, per-block adaLN and the final layer (a rough 8 %). */
    private static long ditFullStepMacs() {
        long layers = Arrays.stream(ditMacs()).sum();
        return layers + layers / 12;
    }

    private static void assertUsage(org.junit.jupiter.api.function.Executable call, String... phrases) {
        UsageException e = assertThrows(UsageException.class, call);
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String phrase : phrases) {
            assertTrue(e.getMessage().contains(phrase), "expected '" + phrase + "' in: " + e.getMessage());
        }
    }
}
