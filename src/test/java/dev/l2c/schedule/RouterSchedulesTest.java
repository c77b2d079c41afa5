package dev.l2c.schedule;

import dev.l2c.testing.ScheduleQueries;
import dev.l2c.error.MismatchException;
import dev.l2c.error.UsageException;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.l2c.schedule.TorchCheckpointFixture.checkpoint;
import static dev.l2c.schedule.TorchCheckpointFixture.floats;
import static dev.l2c.schedule.TorchCheckpointFixture.routerStateDict;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterSchedulesTest {
    @TempDir
    Path tmp;

    /** The totals the L2C release reports for its routers (layer evaluations computed / NFE × L). */
    @ParameterizedTest
    @CsvSource({
            "DDIM20_router.pt, dit-ddim, 20, 56, 872, 1120",
            "DDIM50_router.pt, dit-ddim, 50, 56, 2136, 2800",
            "dpm20_router.pth, uvit-dpm2s, 20, 58, 827, 1160",
            "dpm50_router.pth, uvit-dpm2s, 50, 58, 1596, 2900"})
    void publishedRoutersGiveTheReferenceTotals(String file, String pattern, int nfe, int layers, long computed, long total)
            throws Exception {
        Schedule s = RouterSchedules.fromRouter(RouterCheckpoint.read(SharedData.require("routers/" + file)));
        assertEquals(pattern, s.pattern());
        assertEquals(nfe, s.nfe());
        assertEquals(layers, s.layers());
        assertEquals(computed, s.layerEvaluations());
        assertEquals(total, s.totalLayerEvaluations());
    }

    @Test
    void ditStepsAlternateFromTheNoisiestStep() throws Exception {
        RouterCheckpoint router = RouterCheckpoint.read(SharedData.require("routers/DDIM20_router.pt"));
        Schedule s = RouterSchedules.fromRouter(router);
        List<Integer> full = new ArrayList<>();
        List<Integer> cacheCounts = new ArrayList<>();
        for (int k = 0; k < s.nfe(); k++) {
            ScheduleStep step = s.step(k);
            if (step.full()) {
                full.add(k);
            } else {
                cacheCounts.add(step.computedCount(56));
            }
        }
        // k = 0..19 uses router r = 19 - k; odd r (even k) is full.
        assertEquals(List.of(0, 2, 4, 6, 8, 10, 12, 14, 16, 18), full);
        // Cache steps k = 1, 3, ..., 19 use routers 18, 16, ..., 0: almost nothing early, almost everything late.
        assertEquals(List.of(0, 0, 4, 8, 26, 53, 55, 55, 55, 56), cacheCounts);
        // Step 9 uses router 10: exactly the layers whose sigmoid exceeds 0.1.
        float[] logits = router.logits(10);
        for (int j = 0; j < 56; j++) {
            assertEquals(1 / (1 + Math.exp(-logits[j])) > 0.1, s.step(9).computes(j), "layer " + j);
        }
    }

    @Test
    void ditStepZeroIsFullEvenWhenItsRouterIndexIsEven() throws Exception {
        // Three routers: step 0 would use router 2 (even) but has nothing to reuse; step 1 uses router 1 (odd: full).
        Schedule s = RouterSchedules.fromRouter(handMade(3, 4, RouterCheckpoint.Layout.DIT_TRAINING_CHECKPOINT), "dit-ddim", 0.5);
        assertTrue(s.step(0).full());
        assertTrue(s.step(1).full());
        assertFalse(s.step(2).full());
        assertNull(s.scores().get(0));
        assertNotNull(s.scores().get(2));
    }

    @Test
    void uvitCachesOnlyAtTimestepsTiAndReusesTheIntermediateEvaluation() throws Exception {
        RouterCheckpoint router = RouterCheckpoint.read(SharedData.require("routers/dpm20_router.pth"));
        Schedule s = RouterSchedules.fromRouter(router);
        assertEquals("uvit-dpm2s", s.pattern());
        List<Integer> cacheSteps = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            if (!s.step(k).full()) {
                cacheSteps.add(k);
                counts.add(s.step(k).computedCount(58));
            }
        }
        // Evaluations t_1..t_9 (indices 2..18) are cache steps driven by routers 1..9; t_0 and every s_i are full.
        assertEquals(List.of(2, 4, 6, 8, 10, 12, 14, 16, 18), cacheSteps);
        assertEquals(List.of(0, 2, 6, 6, 8, 16, 49, 52, 50), counts);
        // What t_i reuses comes from s_{i-1}, the evaluation just before it.
        for (int k : cacheSteps) {
            for (int j = 0; j < 58; j++) {
                if (!s.step(k).computes(j)) {
                    assertEquals(k - 1, ScheduleQueries.lastComputedBefore(s, k, j));
                }
            }
        }
        float[] logits = router.logits(8);
        float[] scores = s.scores().get(16);
        for (int j = 0; j < 58; j++) {
            assertEquals((float) (1 / (1 + Math.exp(-logits[j]))), scores[j], 1e-7f);
        }
    }

    @Test
    void recordsProvenance() throws Exception {
        Path file = SharedData.require("routers/DDIM20_router.pt");
        RouterCheckpoint router = RouterCheckpoint.read(file);
        Schedule s = RouterSchedules.fromRouter(router, "dit-ddim", 0.25);
        Map<String, Object> p = s.provenance();
        assertEquals("router", p.get("source"));
        assertEquals("DDIM20_router.pt", p.get("file"));
        assertEquals(router.sha256(), p.get("sha256"));
        assertEquals(0.25, p.get("threshold"));
        assertEquals("dit-ddim", p.get("pattern"));
        List<?> routerPerStep = (List<?>) p.get("router_per_step");
        assertNull(routerPerStep.get(0));
        assertEquals(18, routerPerStep.get(1));
        assertEquals(0, routerPerStep.get(19));
        for (int k = 0; k < s.nfe(); k++) {
            assertEquals(s.step(k).full(), s.scores().get(k) == null, "step " + k);
        }
    }

    @Test
    void aHigherThresholdComputesFewerLayers() throws Exception {
        RouterCheckpoint router = RouterCheckpoint.read(SharedData.require("routers/DDIM50_router.pt"));
        long low = RouterSchedules.fromRouter(router, "dit-ddim", 0.1).layerEvaluations();
        long high = RouterSchedules.fromRouter(router, "dit-ddim", 0.9).layerEvaluations();
        assertTrue(high < low, high + " < " + low);
        assertEquals(2800, RouterSchedules.fromRouter(router, "dit-ddim", 0.0).layerEvaluations());
    }

    @Test
    void refusesAnOddRouterCountForUvit() throws Exception {
        RouterCheckpoint router = handMade(3, 4, RouterCheckpoint.Layout.UVIT_STATE_DICT);
        MismatchException e = assertThrows(MismatchException.class, () -> RouterSchedules.fromRouter(router));
        assertTrue(e.getMessage().contains("holds 3 routers"), e.getMessage());
    }

    @Test
    void refusesBadOptions() throws Exception {
        RouterCheckpoint router = handMade(2, 4, RouterCheckpoint.Layout.UVIT_STATE_DICT);
        assertThrows(UsageException.class, () -> RouterSchedules.fromRouter(router, "free", 0.5));
        assertThrows(UsageException.class, () -> RouterSchedules.fromRouter(router, "uvit-dpm2s", 1.5));
        assertThrows(UsageException.class, () -> RouterSchedules.fromRouter(router, "uvit-dpm2s", Double.NaN));
    }

    @Test
    void handMadeUvitRouterFollowsTheThreshold() throws Exception {
        // 4 routers → 4 evaluations (t0, s0, t1, s1); only t1 (index 2) is a cache step, driven by router 1.
        Schedule s = RouterSchedules.fromRouter(handMade(4, 4, RouterCheckpoint.Layout.UVIT_STATE_DICT), "uvit-dpm2s", 0.5);
        assertTrue(s.step(0).full() && s.step(1).full() && s.step(3).full());
        // Router 1 logits are 10 + j - 12 = -2, -1, 0, 1: sigmoid > 0.5 only for j = 3.
        assertArrayEquals(new int[] {3}, s.step(2).computed());
    }

    /** Routers whose logit j of router i is 10·i + j - 12, in the given layout. */
    private RouterCheckpoint handMade(int routers, int width, RouterCheckpoint.Layout layout) throws Exception {
        Map<String, byte[]> storages = new HashMap<>();
        for (int i = 0; i < routers; i++) {
            float[] v = new float[width];
            for (int j = 0; j < width; j++) {
                v[j] = 10 * i + j - 12;
            }
            storages.put(Integer.toString(i), floats(v));
        }
        byte[] pickle = layout == RouterCheckpoint.Layout.UVIT_STATE_DICT ? routerStateDict(routers, width)
                : TorchCheckpointFixture.ditCheckpoint(routers, width);
        return RouterCheckpoint.read(checkpoint(tmp.resolve("r" + routers + layout + ".pt"), pickle, storages));
    }
}
