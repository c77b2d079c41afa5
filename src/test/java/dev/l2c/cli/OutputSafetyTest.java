package dev.l2c.cli;

import dev.l2c.testing.Skip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.l2c.cli.CliErrorsTest.DIT;
import static dev.l2c.cli.CliErrorsTest.assertOneLineError;
import static dev.l2c.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Outputs destroy nothing that is not ours (issue 24): `--force` replaces only a package (or an empty
 * folder) and never the folder that holds the command's input; outputs are never renamed over a
 * device or pipe; option values that used to hang or crash are refused in one line.
 */
class OutputSafetyTest {
    static Path schedule(Path tmp) {
        Path s = tmp.resolve("s.json");
        assertEquals(0, run("schedule", "reference", "--nfe", "4", "--layers", "24", "-o", s.toString()).code());
        return s;
    }

    @Test
    void forceReplacesAPackageButNotAnyFolder(@TempDir Path tmp) throws Exception {
        Path s = schedule(tmp);
        Path pkg = tmp.resolve("pkg");
        assertEquals(0, run("compile", "--stepwise", DIT, "--schedule", s.toString(), "-o", pkg.toString()).code());
        assertEquals(0, run("compile", "--stepwise", DIT, "--schedule", s.toString(), "-o", pkg.toString(), "--force").code(),
                "a package is replaced");
        Path mine = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(mine.resolve("holiday.txt"), "keep me");
        assertOneLineError(run("compile", "--stepwise", DIT, "--schedule", s.toString(), "-o", mine.toString(), "--force"), 6,
                "not an l2c package", "--force replaces only");
        assertTrue(Files.exists(mine.resolve("holiday.txt")));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(0, run("compile", "--stepwise", DIT, "--schedule", s.toString(), "-o", empty.toString(), "--force").code(),
                "an empty folder is replaced");
    }

    @Test
    void forceNeverReplacesTheFolderOfItsOwnInput(@TempDir Path tmp) throws Exception {
        Path s = schedule(tmp);
        Path mdir = Files.createDirectories(tmp.resolve("mdir"));
        Files.copy(Path.of(DIT), mdir.resolve("model.onnx"));
        Files.copy(Path.of("onnx-models/dit_fmnist.card.json"), mdir.resolve("model.card.json"));
        // make the folder look like a package, so only the input rule can save it
        Files.writeString(mdir.resolve("manifest.json"), "{}");
        assertOneLineError(run("compile", "--stepwise", mdir.resolve("model.onnx").toString(), "--schedule", s.toString(),
                "-o", mdir.toString(), "--force"), 6, "an input of this command");
        assertTrue(Files.exists(mdir.resolve("model.onnx")) && Files.exists(mdir.resolve("model.card.json")));
    }

    @Test
    void buildModelForceReplacesOnlyABuiltModel(@TempDir Path tmp) throws Exception {
        Path mine = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        assertOneLineError(run("build-model", "dit", "--preset", "tiny", "-o", mine.toString(), "--force"), 6,
                "not a model folder built by l2c build-model");
        assertTrue(Files.exists(mine.resolve("notes.txt")));
    }

    @Test
    void outputsAreNotRenamedOverAPipe(@TempDir Path tmp) throws Exception {
        Path fifo = tmp.resolve("pipe");
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (java.io.IOException e) {
            Skip.unless(false, "mkfifo is not available");
            return;
        }
        Skip.unless(p.waitFor() == 0, "mkfifo failed");
        assertOneLineError(run("schedule", "full", "--nfe", "4", "--layers", "24", "-o", fifo.toString()), 6,
                "not a regular file");
        assertFalse(Files.isRegularFile(fifo), "the pipe is still a pipe");
        assertTrue(Files.exists(fifo));
    }

    @Test
    void withoutOutputOptionSampleReplacesNoFileItWasNotGiven(@TempDir Path tmp) throws Exception {
        Path implicit = SampleCommand.DEFAULT_GRID.toAbsolutePath();
        Skip.unless(!Files.exists(implicit), implicit + " exists already; not touching it");
        byte[] theirs = {1, 2, 3};
        Files.write(implicit, theirs);
        try {
            assertOneLineError(run("sample", DIT, "--nfe", "2", "--labels", "1"), 2, "samples.png exists", "-o FILE.png");
            assertEquals(3, Files.size(implicit), "the existing file is untouched");
        } finally {
            Files.deleteIfExists(implicit);
        }
        // --npy alone writes the .npy and no grid (a read-only current folder no longer fails it)
        Path npy = tmp.resolve("only.npy");
        assertEquals(0, run("sample", DIT, "--nfe", "2", "--labels", "1", "--quiet", "--npy", npy.toString()).code());
        assertTrue(Files.exists(npy));
        assertFalse(Files.exists(implicit), "no implicit grid beside --npy");
    }

    @Test
    void aFailedWriteToStandardOutputIsAnError() {
        java.io.PrintStream full = new java.io.PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("No space left on device");
            }
        });
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        full.print("{\"layers\": []}");
        assertEquals(6, Main.checkStandardOutput(0, full, new java.io.PrintStream(err, true)));
        assertTrue(err.toString().contains("standard output"), err.toString());
        assertEquals(0, Main.checkStandardOutput(0, new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                new java.io.PrintStream(err, true)));
    }

    @Test
    void absurdThreadsAndEmptyLabelsAreRefusedBeforeAnyWork(@TempDir Path tmp) {
        Path npy = tmp.resolve("x.npy");
        assertOneLineError(run("sample", DIT, "--nfe", "2", "--threads", "100000", "--labels", "1", "-o",
                tmp.resolve("a.png").toString()), 2, "--threads 100000", "1024");
        assertOneLineError(run("sample", DIT, "--nfe", "2", "--labels", ",", "--npy", npy.toString(), "-o",
                tmp.resolve("b.png").toString()), 2, "--labels gives no label");
        assertFalse(Files.exists(npy), "no 0-image .npy is left");
    }

    @Test
    void aLinkedPackageWithoutGuidanceSamplesAtScaleOneByDefault(@TempDir Path tmp) throws Exception {
        Path pkg = tmp.resolve("linked");
        assertEquals(0, run("compile", DIT, "--schedule", schedule(tmp).toString(), "--link", "--no-guidance",
                "-o", pkg.toString()).code());
        // the card's default scale (1.5) cannot apply: the package's own default is 1, without --cfg 1
        assertEquals(0, run("sample", pkg.toString(), "--labels", "1,2", "--quiet", "-o", tmp.resolve("a.png").toString())
                .code());
        CliErrorsTest.Outcome r = run("sample", pkg.toString(), "--labels", "1,2", "--cfg", "1.5", "-o",
                tmp.resolve("b.png").toString());
        assertOneLineError(r, 2, "--no-guidance", "--link alone");
        assertFalse(r.err().contains("compile --cfg"), "compile has no --cfg option to suggest: " + r.err());
    }

    @Test
    void aSeedBesideANoiseFileIsRefusedNotIgnored(@TempDir Path tmp) throws Exception {
        Path noise = tmp.resolve("noise.npy");
        dev.l2c.io.Npy.writeFloats(noise, new float[28 * 28], 1, 1, 28, 28);
        assertOneLineError(run("sample", DIT, "--nfe", "2", "--noise", noise.toString(), "--seed", "5", "-o",
                tmp.resolve("a.png").toString()), 2, "--seed", "--noise", "one of them");
        assertEquals(0, run("sample", DIT, "--nfe", "2", "--noise", noise.toString(), "--quiet", "-o",
                tmp.resolve("b.png").toString()).code());
    }

    @Test
    void anUnknownMemoryBenchPolicyIsRefusedBeforeAnyRun(@TempDir Path tmp) {
        Path out = tmp.resolve("mem");
        assertOneLineError(run("memory-bench", DIT, "--modes", "speed,turbo", "--out", out.toString()), 2,
                "--modes", "'turbo'");
        assertFalse(Files.exists(out), "nothing ran, nothing was written");
    }

    @Test
    void legalOutputNamesOf250CharactersAreWritten(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("g".repeat(246) + ".png");
        Path npy = tmp.resolve("n".repeat(246) + ".npy");
        assertEquals(0, run("sample", DIT, "--nfe", "2", "--labels", "1", "--quiet", "-o", grid.toString(), "--npy",
                npy.toString()).code());
        assertTrue(Files.size(grid) > 0 && Files.size(npy) > 0);
        Path pkg = tmp.resolve("k".repeat(250));
        assertEquals(0, run("compile", "--stepwise", DIT, "--schedule", schedule(tmp).toString(), "-o", pkg.toString()).code());
        assertTrue(Files.exists(pkg.resolve("manifest.json")));
    }
}
