package dev.l2c.schedule;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.OutputException;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduleJsonTest {
    @TempDir
    Path tmp;

    @Test
    void routerScheduleRoundTripsWithScoresAndProvenance() throws Exception {
        Schedule s = RouterSchedules.fromRouter(RouterCheckpoint.read(SharedData.require("routers/dpm50_router.pth")));
        Path f = tmp.resolve("dpm50.json");
        ScheduleJson.write(s, f);
        Schedule back = ScheduleJson.read(f);
        assertEquals(s, back);
        assertEquals(1596, back.layerEvaluations());
        // Scores come back bit-exact, not merely close.
        for (int k = 0; k < s.nfe(); k++) {
            assertArrayEquals(s.scores().get(k), back.scores().get(k), "step " + k);
        }
    }

    @Test
    void referenceScheduleRoundTripsAndReadsAsOneLinePerStep() throws Exception {
        Schedule s = ReferenceSchedules.referenceAlternating(20, 24);
        Path f = tmp.resolve("reference.json");
        ScheduleJson.write(s, f);
        assertEquals(s, ScheduleJson.read(f));
        List<String> lines = Files.readAllLines(f);
        assertTrue(lines.contains("    {\"mode\": \"full\"},"), String.join("\n", lines));
        assertTrue(lines.contains("    {\"mode\": \"cache\", \"compute\": [2, 5, 8, 11, 14, 17, 20, 23]},"),
                String.join("\n", lines));
        assertTrue(lines.contains("  \"format\": \"l2c-schedule\","));
        assertEquals(20, lines.stream().filter(l -> l.contains("\"mode\"")).count());
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws Exception {
        Path f = Files.writeString(tmp.resolve("s.json"), "old");
        ScheduleJson.write(Schedule.allFull(4, 2, "free"), f);
        assertEquals(Schedule.allFull(4, 2, "free"), ScheduleJson.read(f));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void writeIntoAMissingFolderFailsWithoutWritingAnything() {
        Path f = tmp.resolve("absent/s.json");
        OutputException e = assertThrows(OutputException.class, () -> ScheduleJson.write(Schedule.allFull(2, 2, "free"), f));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(f.getParent()));
    }

    @Test
    void writeOverAFolderFailsAndLeavesNoTemporaryFiles() throws Exception {
        Path f = Files.createDirectory(tmp.resolve("taken.json"));
        Files.writeString(f.resolve("inside"), "x");
        assertThrows(OutputException.class, () -> ScheduleJson.write(Schedule.allFull(2, 2, "free"), f));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void forecastScheduleRoundTripsAsVersion2AndReuseOnlyStaysVersion1() throws Exception {
        Schedule taylor = BaselineSchedules.taylorSeer(12, 6, Schedule.DIT_DDIM, 3, 2, 1);
        assertTrue(taylor.hasForecasts());
        Path f = tmp.resolve("taylor.json");
        ScheduleJson.write(taylor, f);
        assertTrue(Files.readString(f).contains("\"version\": 2"));
        Schedule back = ScheduleJson.read(f);
        assertEquals(taylor, back);
        // weights survive the decimal text bit for bit
        assertArrayEquals(taylor.step(5).forecast(3).weights(), back.step(5).forecast(3).weights());

        Schedule fora = BaselineSchedules.fora(12, 6, Schedule.DIT_DDIM, 3);
        Path g = tmp.resolve("fora.json");
        ScheduleJson.write(fora, g);
        assertTrue(Files.readString(g).contains("\"version\": 1"), "version 1 suffices without forecasts");
        assertEquals(fora, ScheduleJson.read(g));
    }

    @Test
    void acceptsComputeListsInAnyOrderAndWithoutOptionalFields() throws Exception {
        Path f = Files.writeString(tmp.resolve("min.json"), """
                {"format": "l2c-schedule", "version": 1, "nfe": 2, "layers": 4, "pattern": "free",
                 "steps": [{"mode": "full"}, {"mode": "cache", "compute": [3, 0]}]}""");
        Schedule s = ScheduleJson.read(f);
        assertArrayEquals(new int[] {0, 3}, s.step(1).computed());
        assertTrue(s.provenance().isEmpty());
        assertTrue(s.scores().isEmpty());
    }

    static Stream<Arguments> invalidFiles() {
        String head = "\"format\": \"l2c-schedule\", \"version\": 1, \"nfe\": 2, \"layers\": 4, ";
        String steps = "\"steps\": [{\"mode\": \"full\"}, {\"mode\": \"cache\", \"compute\": [1]}]";
        String v2 = head.replace("\"version\": 1", "\"version\": 2");
        String forecast = "\"steps\": [{\"mode\": \"full\"}, {\"mode\": \"cache\", \"compute\": [1],"
                + " \"forecast\": [{\"layers\": [0], \"weights\": [2.0, -1.0]}]}]";
        return Stream.of(
                Arguments.of("not JSON", "{\"format\": \"l2c-schedule\",", "not valid JSON"),
                Arguments.of("empty", "", "is empty; expected a schedule"),
                Arguments.of("array", "[1, 2]", "expected a JSON object"),
                Arguments.of("wrong format", "{\"format\": \"onnx\", \"version\": 1}", "\"format\" is \"onnx\" but an l2c schedule has"),
                Arguments.of("no format", "{\"version\": 1}", "no \"format\" field"),
                Arguments.of("future version", "{\"format\": \"l2c-schedule\", \"version\": 3}",
                        "unsupported version 3; this l2c reads versions 1 and 2"),
                Arguments.of("forecast in version 1", "{" + head + "\"pattern\": \"free\", " + forecast.replace("[2.0, -1.0]", "[1.0]") + "}",
                        "step 1 has \"forecast\", which needs \"version\": 2"),
                Arguments.of("forecast beyond history", "{" + v2 + "\"pattern\": \"free\", " + forecast + "}",
                        "step 1: layer 0 is forecast from its last 2 computed values, but only 1 earlier step computed it"),
                Arguments.of("forecast too deep", "{" + v2 + "\"pattern\": \"free\", " + forecast.replace("[2.0, -1.0]", "[1, 1, 1, 1]") + "}",
                        "step 1: layer 0: a forecast combines 1 to 3 computed values, not 4"),
                Arguments.of("forecast not finite", "{" + v2 + "\"pattern\": \"free\", " + forecast.replace("[2.0, -1.0]", "[1e400]") + "}",
                        "step 1: layer 0: forecast weight Infinity is not finite"),
                Arguments.of("forecast of a computed layer", "{" + v2 + "\"pattern\": \"free\", " + forecast.replace("[0]", "[1]") + "}",
                        "step 1: layer 1 is computed, so it cannot also be forecast"),
                Arguments.of("forecast twice", "{" + v2 + "\"pattern\": \"free\", " + forecast.replace("[0]", "[0, 0]").replace("[2.0, -1.0]", "[1.5]") + "}",
                        "step 1: layer 0 has two forecasts"),
                Arguments.of("forecast on a full step", "{" + v2 + "\"pattern\": \"free\", \"steps\": [{\"mode\": \"full\","
                        + " \"forecast\": []}, {\"mode\": \"full\"}]}", "step 0 is full, so it forecasts nothing"),
                Arguments.of("forecast weights missing", "{" + v2 + "\"pattern\": \"free\", " + forecast.replace(", \"weights\": [2.0, -1.0]", "") + "}",
                        "step 1: forecast 0 must be {\"layers\": [...], \"weights\": [...]}"),
                Arguments.of("nfe/steps mismatch", "{" + head.replace("\"nfe\": 2", "\"nfe\": 3") + "\"pattern\": \"free\", " + steps + "}",
                        "\"nfe\" is 3 but \"steps\" has 2 entries"),
                Arguments.of("layer out of range", "{" + head + "\"pattern\": \"free\", " + steps.replace("[1]", "[1, 4]") + "}",
                        "step 1: layer 4 is out of range; the schedule has 4 layers (0..3)"),
                Arguments.of("negative layer", "{" + head + "\"pattern\": \"free\", " + steps.replace("[1]", "[-1]") + "}",
                        "step 1: layer -1 is out of range"),
                Arguments.of("duplicate layer", "{" + head + "\"pattern\": \"free\", " + steps.replace("[1]", "[1, 2, 1]") + "}",
                        "step 1: layer 1 is listed twice"),
                Arguments.of("first step cached", "{" + head + "\"pattern\": \"free\", \"steps\": [{\"mode\": \"cache\", \"compute\": []},"
                        + " {\"mode\": \"full\"}]}", "step 0 must be full"),
                Arguments.of("unknown mode", "{" + head + "\"pattern\": \"free\", " + steps.replace("\"cache\"", "\"skip\"") + "}",
                        "step 1 has unknown mode \"skip\" (expected \"full\" or \"cache\")"),
                Arguments.of("unknown pattern", "{" + head + "\"pattern\": \"ddpm\", " + steps + "}",
                        "unknown pattern \"ddpm\" (expected one of dit-ddim, uvit-dpm2s, free)"),
                Arguments.of("odd uvit nfe", "{" + head.replace("\"nfe\": 2", "\"nfe\": 1") + "\"pattern\": \"uvit-dpm2s\", "
                        + "\"steps\": [{\"mode\": \"full\"}]}", "the step count must be even"),
                Arguments.of("cache step without list", "{" + head + "\"pattern\": \"free\", " + steps.replace(", \"compute\": [1]", "") + "}",
                        "cache step 1 needs \"compute\""),
                Arguments.of("full step with list", "{" + head + "\"pattern\": \"free\", \"steps\": [{\"mode\": \"full\", \"compute\": [1]},"
                        + " {\"mode\": \"full\"}]}", "step 0 is full, so it computes every layer"),
                Arguments.of("misspelt field", "{" + head + "\"pattern\": \"free\", " + steps + ", \"provenence\": {}}",
                        "unknown field \"provenence\""),
                Arguments.of("duplicate field", "{" + head + "\"pattern\": \"free\", \"pattern\": \"free\", " + steps + "}",
                        "not valid JSON"),
                Arguments.of("layers not an integer", "{" + head.replace("\"layers\": 4", "\"layers\": 4.5") + "\"pattern\": \"free\", " + steps + "}",
                        "\"layers\" must be a positive integer, found 4.5"),
                Arguments.of("scores length", "{" + head + "\"pattern\": \"free\", " + steps + ", \"scores\": [null]}",
                        "scores has 1 entries but the schedule has 2 steps"),
                Arguments.of("scores width", "{" + head + "\"pattern\": \"free\", " + steps + ", \"scores\": [null, [0.5]]}",
                        "scores of step 1 have 1 values but the schedule has 4 layers"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFiles")
    void refusesInvalidFilesWithOneLineNamingTheFile(String name, String content, String expected) throws IOException {
        Path f = Files.writeString(tmp.resolve(name.replaceAll("[^a-z]+", "_") + ".json"), content);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ScheduleJson.read(f));
        String m = e.getMessage();
        assertTrue(m.startsWith(f + ": "), m);
        assertTrue(m.contains(expected), m);
        assertFalse(m.contains("\n"), m);
        assertEquals(f, e.file());
    }

    @Test
    void refusesAMissingFile() {
        Path f = tmp.resolve("absent.json");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ScheduleJson.read(f));
        assertEquals(f + ": no such schedule file", e.getMessage());
    }

    @Test
    void keepsNestedProvenance() throws Exception {
        Schedule s = Schedule.allFull(2, 2, "free").withProvenance(Map.of("source", "test",
                "nested", Map.of("list", List.of(1, 2.5, "x", true)), "big", 1L << 40));
        Path f = tmp.resolve("p.json");
        ScheduleJson.write(s, f);
        assertEquals(s, ScheduleJson.read(f));
    }
}
