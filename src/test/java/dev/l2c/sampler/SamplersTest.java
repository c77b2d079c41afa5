package dev.l2c.sampler;

import dev.l2c.error.UsageException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplersTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000, 1e-4, 0.02);

    @Test
    void createsEachSamplerByName() throws UsageException {
        Sampler ddim = Samplers.create("ddim", LINEAR, 20, true);
        assertEquals("ddim", ddim.name());
        assertEquals(20, ddim.evaluations());
        assertEquals(ClipRange.UNIT, ddim.clipRange());
        Sampler s = Samplers.create("dpm2s", LINEAR, 20, false);
        assertEquals("dpm2s", s.name());
        assertEquals("uvit-dpm2s", s.schedulePattern());
        assertEquals(20, s.evaluations());
        assertNull(s.clipRange());
        Sampler m = Samplers.create("dpm2m", LINEAR, 7, false);
        assertEquals("dpm2m", m.name());
        assertEquals(7, m.modelTimes().length);
    }

    @Test
    void unknownNameListsTheValidOnesOnOneLine() {
        UsageException e = assertThrows(UsageException.class, () -> Samplers.create("euler", LINEAR, 20, false));
        assertEquals("unknown sampler 'euler'; valid samplers: ddim, dpm2s, dpm2m", e.getMessage());
        assertEquals(2, e.exitCode());
    }

    @Test
    void rejectsEvaluationCountsWithAReason() {
        UsageException odd = assertThrows(UsageException.class, () -> Samplers.create("dpm2s", LINEAR, 7, false));
        assertTrue(odd.getMessage().contains("even") && odd.getMessage().contains("use 6 or 8"), odd.getMessage());
        assertThrows(UsageException.class, () -> Samplers.create("dpm2s", LINEAR, 0, false));
        UsageException tooMany = assertThrows(UsageException.class, () -> Samplers.create("ddim", LINEAR, 1001, false));
        assertTrue(tooMany.getMessage().contains("between 1 and 1000"), tooMany.getMessage());
        assertThrows(UsageException.class, () -> Samplers.create("ddim", LINEAR, 0, false));
        assertThrows(UsageException.class, () -> Samplers.create("dpm2m", LINEAR, 0, false));
    }
}
