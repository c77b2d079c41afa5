package dev.l2c.schedule;

import dev.l2c.error.MismatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduleCompatibilityTest {
    @TempDir
    Path tmp;

    private Path written(Schedule s) throws Exception {
        Path f = tmp.resolve("schedule.json");
        ScheduleJson.write(s, f);
        return f;
    }

    @Test
    void acceptsAScheduleThatFits() throws Exception {
        Path f = written(ReferenceSchedules.referenceAlternating(20, 24));
        assertEquals(20, ScheduleCompatibility.checkFits(f, 24, 20, "dit-ddim").nfe());
    }

    @Test
    void namesTheLayerMismatchAndTheFix() throws Exception {
        Path f = written(Schedule.allFull(20, 56, "dit-ddim"));
        MismatchException e = assertThrows(MismatchException.class, () -> ScheduleCompatibility.checkFits(f, 24, 20, "dit-ddim"));
        assertTrue(e.getMessage().startsWith(f + ": schedule has 56 layers but the model has 24 cacheable layers "
                + "(inspect the model with `l2c inspect`)"), e.getMessage());
        assertEquals(5, e.exitCode());
    }

    @Test
    void namesTheEvaluationMismatchAndTheFix() throws Exception {
        Path f = written(Schedule.allFull(20, 58, "uvit-dpm2s"));
        MismatchException e = assertThrows(MismatchException.class, () -> ScheduleCompatibility.checkFits(f, 58, 50, "uvit-dpm2s"));
        assertEquals(f + ": schedule covers 20 model evaluations but the sampler makes 50; sample with 10 DPM-Solver-2 steps"
                + " or use a schedule made for 50 evaluations", e.getMessage());
    }

    @Test
    void namesThePatternMismatch() throws Exception {
        Path f = written(Schedule.allFull(20, 58, "uvit-dpm2s"));
        MismatchException e = assertThrows(MismatchException.class, () -> ScheduleCompatibility.checkFits(f, 58, 20, "dit-ddim"));
        assertTrue(e.getMessage().contains("schedule follows the uvit-dpm2s step pattern (DPM-Solver-2, two model evaluations"
                + " per step) but the sampler follows dit-ddim"), e.getMessage());
        // the advice names samplers (--sampler values), not a pattern
        assertTrue(e.getMessage().contains("use --sampler dpm2s"), e.getMessage());
    }

    @Test
    void aFreeScheduleFitsAnySampler() throws Exception {
        Schedule free = Schedule.allFull(20, 24, "free");
        ScheduleCompatibility.checkFits(free, Path.of("free.json"), 24, 20, "dit-ddim");
        ScheduleCompatibility.checkFits(free, Path.of("free.json"), 24, 20, "uvit-dpm2s");
    }
}
