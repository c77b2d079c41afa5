package dev.l2c.cli;

import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import dev.l2c.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code l2c learn} end to end on a tiny DiT, and its one-line errors. */
class LearnCommandTest {

    @Test
    void learnsAScheduleThatMeetsTheBudgetAndWritesItsReport(@TempDir Path tmp) throws Exception {
        Path model = TinyModels.writeTinyDiffusionDit(tmp, 3);
        Path out = tmp.resolve("learned.json");
        Path report = tmp.resolve("report.json");
        CliErrorsTest.Outcome o = CliErrorsTest.run("learn", model.toString(), "--nfe", "6", "--budget", "0.25",
                "--forecast", "reuse", "--images", "2", "--quiet", "-o", out.toString(), "--report", report.toString());
        assertEquals(0, o.code(), o.err());
        Schedule s = ScheduleJson.read(out);
        assertEquals(6, s.nfe());
        assertEquals(Schedule.DIT_DDIM, s.pattern());
        assertTrue(s.layerEvaluations() <= Math.round(0.75 * 6 * 6), s.toString());
        assertEquals("learned", s.provenance().get("source"));
        String r = Files.readString(report);
        assertTrue(r.contains("\"random_sets\"") && r.contains("\"mse\""), r);
        // and it compiles
        CliErrorsTest.Outcome c = CliErrorsTest.run("compile", "--stepwise", model.toString(), "--schedule", out.toString(), "-o",
                tmp.resolve("pkg").toString());
        assertEquals(0, c.code(), c.err());
    }

    @Test
    void withABudgetTheDefaultLearnsAForecastScheduleThatCompiles(@TempDir Path tmp) throws Exception {
        Path model = TinyModels.writeTinyDiffusionDit(tmp, 3);
        Path out = tmp.resolve("forecast.json");
        CliErrorsTest.Outcome o = CliErrorsTest.run("learn", model.toString(), "--nfe", "8", "--budget", "0.5",
                "--images", "2", "--quiet", "-o", out.toString());
        assertEquals(0, o.code(), o.err());
        Schedule s = ScheduleJson.read(out);
        assertTrue(s.hasForecasts(), "the default with a budget is the forecast learner: " + s);
        assertTrue(s.layerEvaluations() <= Math.round(0.5 * 8 * 6), s.toString());
        CliErrorsTest.Outcome c = CliErrorsTest.run("compile", "--stepwise", model.toString(), "--schedule", out.toString(), "-o",
                tmp.resolve("pkg").toString());
        assertEquals(0, c.code(), c.err());
        // the reuse learner's own options say where they apply instead of being ignored
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("learn", model.toString(), "--nfe", "8", "--budget", "0.5",
                "--weighting", "sample", "-o", tmp.resolve("w.json").toString()), 2, "--weighting", "--forecast reuse");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("learn", model.toString(), "--nfe", "8", "--budget", "0.5",
                "--report", tmp.resolve("r.json").toString(), "-o", tmp.resolve("w.json").toString()), 2, "--forecast reuse");
    }

    @Test
    void badOptionsGetOneLine(@TempDir Path tmp) throws Exception {
        Path model = TinyModels.writeTinyDiffusionDit(tmp, 2);
        String out = tmp.resolve("s.json").toString();
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("learn", model.toString(), "--budget", "0.2", "--lambda", "1",
                "-o", out), 2, "exactly one");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("learn", model.toString(), "-o", out), 2, "--budget");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("learn", model.toString(), "--budget", "1.5", "-o", out), 2,
                "0 <= F < 1");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("learn", model.toString(), "--budget", "0.2", "--sampler", "dpm2s",
                "--nfe", "5", "-o", out), 2, "even");
        // the L2C pattern with 4 evaluations has 2 cache steps: at most half of the layer evaluations can go
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("learn", model.toString(), "--nfe", "4", "--budget", "0.6",
                "--forecast", "reuse", "--images", "1", "--quiet", "-o", out), 2, "cannot be met", "2 cache steps (of 4 evaluations)",
                "smaller budget");
        assertFalse(Files.exists(Path.of(out)));
    }
}
