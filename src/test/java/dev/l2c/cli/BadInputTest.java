package dev.l2c.cli;

import ai.onnxruntime.OrtException;
import dev.l2c.io.Npy;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.l2c.cli.CliErrorsTest.assertOneLineError;
import static dev.l2c.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bad inputs and faults of the reliability review (issue 12), each answered by one line naming the
 * file and the problem, the documented exit status, and no output: non-finite noise, scales, card
 * fields and weights; sizes that would exhaust memory; options out of range; packages that contradict
 * themselves; temporary folders of killed compiles. `docs/reliability.md` lists them with these tests.
 */
class BadInputTest {
    static final String DIT = "onnx-models/dit_fmnist.onnx";
    static Path pkg;

    @TempDir
    static Path shared;

    @BeforeAll
    static void compile() {
        pkg = shared.resolve("pkg");
        assertEquals(0, Main.run("compile", "--stepwise", DIT, "--schedule", "schedules/dit_fmnist_ddim20_reference.json", "-o",
                pkg.toString()));
    }

    /** A copy of the package (for tampering). */
    static Path copyOfPackage(Path tmp) throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        try (Stream<Path> files = Files.list(pkg)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    static void assertNothingWritten(Path... files) {
        for (Path f : files) {
            assertFalse(Files.exists(f), f + " was written");
        }
    }

    static Path noise(Path tmp, float value) throws Exception {
        float[] x = OrtTesting.randomFloats(3, 2, 1, 28, 28).data();
        x[100] = value;
        Path f = tmp.resolve("noise.npy");
        Npy.writeFloats(f, x, 2, 1, 28, 28);
        return f;
    }

    @Test
    void nonFiniteNoiseIsRefused(@TempDir Path tmp) throws Exception {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY}) {
            Path f = noise(tmp, bad);
            Path grid = tmp.resolve("grid.png");
            assertOneLineError(run("sample", pkg.toString(), "--noise", f.toString(), "-o", grid.toString(), "--quiet"),
                    5, f.toString(), "noise value 100", "must be finite");
            assertNothingWritten(grid);
        }
    }

    @Test
    void integerNoiseIsRefusedNotConverted(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("ints.npy");
        Npy.writeLongs(f, new long[2 * 784], 2, 1, 28, 28);
        assertOneLineError(run("sample", pkg.toString(), "--noise", f.toString(), "-o", tmp.resolve("g.png").toString()),
                3, f.toString(), "holds integers");
    }

    @Test
    void noiseWithNoImagesIsRefused(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("empty.npy");
        Npy.writeFloats(f, new float[0], 0, 1, 28, 28);
        assertOneLineError(run("sample", pkg.toString(), "--noise", f.toString(), "-o", tmp.resolve("g.png").toString()),
                5, f.toString(), "n >= 1");
    }

    @Test
    void aNonFiniteGuidanceScaleIsRefused(@TempDir Path tmp) {
        assertOneLineError(run("sample", pkg.toString(), "--cfg", "NaN", "-o", tmp.resolve("g.png").toString()), 2,
                "--cfg must be a finite number");
    }

    @Test
    void cardFieldsOutOfRangeAreRefused(@TempDir Path tmp) throws Exception {
        String card = Files.readString(Path.of("onnx-models/dit_fmnist.card.json"));
        String[][] cases = {
                {"\"default_cfg\": 1.5", "\"default_cfg\": NaN", "NaN and Infinity are not JSON numbers"},
                {"\"default_cfg\": 1.5", "\"default_cfg\": 1e400", "\"default_cfg\" must be a finite number"},
                {"\"classes\": 10", "\"classes\": 0", "\"classes\" must be a whole number from 1"},
                {"\"height\": 28", "\"height\": -28", "\"height\" must be a whole number from 1"},
                {"\"height\": 28", "\"height\": 32", "says image.height 32, but input 'x'"},
        };
        for (String[] c : cases) {
            Path f = tmp.resolve("card-" + Math.abs(c[1].hashCode()) + ".card.json");
            Files.writeString(f, card.replace(c[0], c[1]));
            int expected = c[2].startsWith("says") ? 5 : 3;
            assertOneLineError(run("inspect", DIT, "--card", f.toString()), expected, f.toString(), c[2]);
        }
    }

    @Test
    void aFlippedExponentBitInTheWeightsStopsTheRunAtTheStepAndVerifyFindsIt(@TempDir Path tmp) throws Exception {
        Path copy = copyOfPackage(tmp);
        Path weights = copy.resolve("weights.bin");
        byte[] b = Files.readAllBytes(weights);
        int i = (b.length / 2) & ~3;
        b[i + 3] ^= 0x40; // the top exponent bit of one float32: a weight of ~1e38
        Files.write(weights, b);
        Path grid = tmp.resolve("grid.png");
        Path npy = tmp.resolve("x.npy");
        assertOneLineError(run("sample", copy.toString(), "-n", "2", "-o", grid.toString(), "--npy", npy.toString(),
                "--quiet"), 5, "step 0", "holds");
        assertNothingWritten(grid, npy);
        assertOneLineError(run("verify", copy.toString()), 3, "weights.bin", "SHA-256 does not match");
        assertOneLineError(run("sample", copy.toString(), "--verify", "-n", "2", "-o", grid.toString()), 3,
                "weights.bin", "SHA-256 does not match");
        assertEquals(0, run("verify", pkg.toString()).code(), "the untouched package verifies");
    }

    @Test
    void optionsOutOfRangeFailBeforeAnyWork(@TempDir Path tmp) {
        String grid = tmp.resolve("g.png").toString();
        assertOneLineError(run("sample", pkg.toString(), "--columns", "0", "-o", grid), 2, "--columns must be between 1");
        assertOneLineError(run("sample", pkg.toString(), "-o", tmp.resolve("x.jpg").toString()), 2, "name it FILE.png");
        assertOneLineError(run("sample", pkg.toString(), "-n", "3000000000", "-o", grid), 2, "--count must be between 1");
        assertOneLineError(run("sample", pkg.toString(), "--batch", "0", "-o", grid), 2, "--batch must be at least 1");
        assertOneLineError(run("schedule", "reference", "--nfe", "2000000000", "--layers", "24", "-o",
                tmp.resolve("r.json").toString()), 2, "--nfe must be between 1 and 10000");
        assertOneLineError(run("schedule", "full", "--nfe", "20", "--layers", "2000000000", "-o",
                tmp.resolve("r.json").toString()), 2, "--layers must be between 1 and 10000");
        assertNothingWritten(tmp.resolve("g.png"), tmp.resolve("r.json"));
    }

    @Test
    void hugeSizesInAScheduleFileAreRefusedBeforeAllocation(@TempDir Path tmp) throws Exception {
        String s = Files.readString(Path.of("schedules/dit_fmnist_ddim20_full.json"));
        Path f = tmp.resolve("big.json");
        Files.writeString(f, s.replaceFirst("\"layers\": 24", "\"layers\": 2000000000"));
        assertOneLineError(run("compile", "--stepwise", DIT, "--schedule", f.toString(), "-o", tmp.resolve("p").toString()), 3,
                f.toString(), "\"layers\" must be between 1 and 10000");
    }

    @Test
    void trailingDataAfterAScheduleAndJacksonWordingAreGone(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("trailing.json");
        Files.writeString(f, Files.readString(Path.of("schedules/dit_fmnist_ddim20_full.json")) + " {}");
        CliErrorsTest.Outcome o = run("compile", "--stepwise", DIT, "--schedule", f.toString(), "-o", tmp.resolve("p").toString());
        assertOneLineError(o, 3, f.toString(), "more data after the JSON value");
        Path deep = tmp.resolve("deep.json");
        Files.writeString(deep, "[".repeat(200));
        CliErrorsTest.Outcome d = run("compile", "--stepwise", DIT, "--schedule", deep.toString(), "-o", tmp.resolve("p").toString());
        assertOneLineError(d, 3, deep.toString(), "nesting depth");
        for (String out : List.of(o.err(), d.err())) {
            assertFalse(out.contains("JsonReadFeature") || out.contains("StreamReadConstraints")
                    || out.contains("[Source:") || out.contains("DeserializationFeature"), out);
        }
    }

    @Test
    void routerPatternAndRouterDamageAreOneLine(@TempDir Path tmp) throws Exception {
        Path router = dev.l2c.schedule.RouterFixtures.stateDict(tmp.resolve("r.pth"), 4, 8, 0, 0.5f);
        assertOneLineError(run("schedule", "from-router", router.toString(), "--pattern", "foo", "-o",
                tmp.resolve("s.json").toString()), 2, "--pattern must be dit-ddim or uvit-dpm2s, not 'foo'");
        Path nan = dev.l2c.schedule.RouterFixtures.stateDict(tmp.resolve("nan.pth"), 4, 8, 0, Float.NaN);
        assertOneLineError(run("schedule", "from-router", nan.toString(), "-o", tmp.resolve("s.json").toString()), 3,
                nan.toString(), "holds the logit NaN");
        Path overflow = dev.l2c.schedule.RouterFixtures.stateDict(tmp.resolve("off.pth"), 4, 8, Long.MAX_VALUE / 2, 0.5f);
        assertOneLineError(run("schedule", "from-router", overflow.toString(), "-o", tmp.resolve("s.json").toString()), 3,
                overflow.toString(), "does not fit; the checkpoint is damaged");
        assertNothingWritten(tmp.resolve("s.json"));
    }

    @Test
    void aFolderWithoutManifestIsNamedForWhatItIs(@TempDir Path tmp) throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("not-a-package"));
        assertOneLineError(run("sample", empty.toString(), "-o", tmp.resolve("g.png").toString()), 3,
                "is a folder without manifest.json: not an l2c package");
        assertOneLineError(run("inspect", empty.toString()), 3, "neither an ONNX model file nor an l2c package");
        assertOneLineError(run("verify", empty.toString()), 3, "not an l2c package");
    }

    @Test
    void aKilledCompilesTemporaryFolderIsRemovedByTheNextCompile(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("pkg");
        // a process that is surely gone: pid 2^22 + 1 is beyond Linux's default pid_max
        Path stale = Files.createDirectories(tmp.resolve("pkg.tmp-4194305-deadbeef"));
        Files.writeString(stale.resolve("graph_00.onnx"), "half-written");
        Path live = Files.createDirectories(tmp.resolve("pkg.tmp-" + ProcessHandle.current().pid() + "-cafe"));
        assertEquals(0, Main.run("compile", "--stepwise", DIT, "--schedule", "schedules/dit_fmnist_ddim20_reference.json", "-o",
                target.toString()));
        assertFalse(Files.exists(stale), "the dead process's temporary folder is removed");
        assertTrue(Files.exists(live), "a running process's temporary folder is left alone");
        assertTrue(Files.isRegularFile(target.resolve("manifest.json")));
    }

    @Test
    void onnxRuntimeFailuresMapToExitCodesByCause() {
        Path f = Path.of("x.onnx");
        record Case(OrtException.OrtErrorCode code, String message, int exit) {
        }
        for (Case c : List.of(
                new Case(OrtException.OrtErrorCode.ORT_RUNTIME_EXCEPTION, "std::bad_alloc", 8),
                new Case(OrtException.OrtErrorCode.ORT_FAIL, "Failed to allocate memory for requested buffer", 8),
                new Case(OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT, "Got invalid dimensions for input: x", 5),
                new Case(OrtException.OrtErrorCode.ORT_EP_FAIL, "CUDA failure 2: out of device", 7),
                new Case(OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED, "Could not find an implementation", 4),
                new Case(OrtException.OrtErrorCode.ORT_RUNTIME_EXCEPTION, "Non-zero status code", 1))) {
            // the binding's constructor prefixes "Error code - CODE - message: " as ONNX Runtime's errors have it
            var e = dev.l2c.runtime.OrtFailures.running(f, "step 3", new OrtException(c.code(), c.message()));
            assertEquals(c.exit(), e.exitCode(), c.toString());
            assertEquals(1, e.getMessage().lines().count());
            assertFalse(e.getMessage().contains("Error code - "), e.getMessage());
        }
        var load = dev.l2c.runtime.OrtFailures.loading(f, new OrtException(OrtException.OrtErrorCode.ORT_FAIL,
                "Load model from x.onnx failed: external data path escapes the model folder"));
        assertEquals(3, load.exitCode(), "a model ONNX Runtime cannot load is a bad input file");
        assertTrue(new String(load.getMessage().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)
                .contains("cannot load this graph"));
    }
}
