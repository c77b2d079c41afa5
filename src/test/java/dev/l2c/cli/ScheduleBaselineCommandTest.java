package dev.l2c.cli;

import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduleBaselineCommandTest {
    @TempDir
    Path tmp;

    /** Exit code and standard error of {@code l2c schedule baseline ARGS -o tmp/s.json}. */
    private record Outcome(int exit, String err) {
    }

    private Outcome baseline(String... args) {
        List<String> all = new ArrayList<>(List.of("schedule", "baseline"));
        all.addAll(List.of(args));
        all.addAll(List.of("-o", tmp.resolve("s.json").toString()));
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(all.toArray(String[]::new));
        return new Outcome(exit, err.toString());
    }

    private void assertOneLineUsageError(Outcome o, String... phrases) {
        assertEquals(2, o.exit(), o.err());
        String text = o.err().strip();
        assertFalse(text.contains("\n"), "one line: " + text);
        assertTrue(text.startsWith("l2c: "), text);
        for (String phrase : phrases) {
            assertTrue(text.contains(phrase), "expected '" + phrase + "' in: " + text);
        }
        assertFalse(Files.exists(tmp.resolve("s.json")), "nothing is written on an error");
    }

    @Test
    void writesAMatchedSchedule() throws Exception {
        Outcome o = baseline("deepcache", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim", "--remove", "0.4");
        assertEquals(0, o.exit(), o.err());
        Schedule s = ScheduleJson.read(tmp.resolve("s.json"));
        assertEquals("deepcache", s.provenance().get("kind"));
        assertEquals(0.4, (double) s.provenance().get("target_remove"), 0);
        assertEquals(BaselineSchedules.removedFraction(s), (double) s.provenance().get("achieved_remove"), 1e-12);
        assertEquals("dit-ddim", s.pattern());
    }

    @Test
    void writesSchedulesFromTheirOwnParameters() throws Exception {
        assertEquals(0, baseline("fora", "--nfe", "10", "--layers", "24", "--interval", "3").exit());
        assertEquals(BaselineSchedules.fora(10, 24, "free", 3), ScheduleJson.read(tmp.resolve("s.json")));
        assertEquals(0, baseline("l2c-mask", "--nfe", "20", "--layers", "24", "--pattern", "uvit-dpm2s", "--compute", "0, 1,22,23").exit());
        assertEquals(BaselineSchedules.l2cMask(20, 24, "uvit-dpm2s", new int[] {0, 1, 22, 23}), ScheduleJson.read(tmp.resolve("s.json")));
        assertEquals(0, baseline("l2c-mask", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim", "--compute", "").exit());
        assertEquals(0, baseline("fewer-steps", "--nfe", "20", "--layers", "24", "--reduced-nfe", "8").exit());
        assertEquals(8, ScheduleJson.read(tmp.resolve("s.json")).nfe());
        assertEquals(0, baseline("random", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim", "--remove", "0.3", "--seed", "9").exit());
        assertEquals(BaselineSchedules.matchBudget("random", 20, 24, "dit-ddim", 0.3, 9), ScheduleJson.read(tmp.resolve("s.json")));
        assertEquals(0, baseline("taylorseer", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim", "--remove", "0.65",
                "--order", "1").exit());
        assertEquals(BaselineSchedules.matchTaylorSeer(20, 24, "dit-ddim", 0.65, 1, 1), ScheduleJson.read(tmp.resolve("s.json")));
        assertEquals(0, baseline("taylorseer", "--nfe", "20", "--layers", "24", "--interval", "4", "--warmup", "2").exit());
        assertEquals(BaselineSchedules.taylorSeer(20, 24, "free", 4, 2, 2), ScheduleJson.read(tmp.resolve("s.json")));
    }

    @Test
    void badParametersAreOneLineUsageErrors() {
        assertOneLineUsageError(baseline("teacache", "--nfe", "20", "--layers", "24", "--remove", "0.3"), "teacache", "fora");
        assertOneLineUsageError(baseline("fora", "--nfe", "20", "--layers", "24", "--interval", "0"), "interval", "0");
        assertOneLineUsageError(baseline("fora", "--nfe", "20", "--layers", "24"), "--interval", "--remove");
        assertOneLineUsageError(baseline("fora", "--nfe", "20", "--layers", "24", "--blocks", "2"), "fora takes --interval", "--blocks");
        assertOneLineUsageError(baseline("fora", "--nfe", "20", "--layers", "24", "--remove", "0.3", "--interval", "2"), "not both");
        assertOneLineUsageError(baseline("fora", "--nfe", "20", "--layers", "24", "--remove", "1.5"), "[0, 1)", "1.5");
        assertOneLineUsageError(baseline("fora", "--nfe", "20", "--layers", "24", "--interval", "2", "--seed", "3"), "--seed");
        assertOneLineUsageError(baseline("deepcache", "--nfe", "20", "--layers", "24", "--interval", "2"), "--blocks");
        assertOneLineUsageError(baseline("deepcache", "--nfe", "20", "--layers", "24", "--interval", "2", "--blocks", "6"), "0..5");
        assertOneLineUsageError(baseline("random", "--nfe", "20", "--layers", "24", "--remove", "0.3"), "--pattern", "dit-ddim");
        assertOneLineUsageError(baseline("random", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim"), "--remove");
        assertOneLineUsageError(baseline("l2c-mask", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim", "--compute", "1,x"),
                "\"x\"", "--compute");
        assertOneLineUsageError(baseline("l2c-mask", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim", "--compute", "1,30"),
                "layer 30", "0..23");
        assertOneLineUsageError(baseline("fewer-steps", "--nfe", "20", "--layers", "24", "--reduced-nfe", "30"), "30");
        assertOneLineUsageError(baseline("none", "--nfe", "21", "--layers", "24", "--pattern", "uvit-dpm2s"), "even");
        assertOneLineUsageError(baseline("taylorseer", "--nfe", "20", "--layers", "24", "--interval", "3", "--order", "3"),
                "order is 1 or 2", "3");
        assertOneLineUsageError(baseline("taylorseer", "--nfe", "20", "--layers", "24", "--interval", "3", "--warmup", "0"),
                "warmup", "at least 1");
        assertOneLineUsageError(baseline("fora", "--nfe", "20", "--layers", "24", "--interval", "3", "--order", "2"),
                "forecasts nothing");
    }
}
