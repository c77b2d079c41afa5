package dev.l2c.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static dev.l2c.cli.CliErrorsTest.DIT;
import static dev.l2c.cli.CliErrorsTest.assertOneLineError;
import static dev.l2c.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a newcomer reads first (issue 25): help that reads as written, and messages that point the right way. */
class HelpAndMessagesTest {
    static String help(String... command) {
        String[] args = new String[command.length + 1];
        System.arraycopy(command, 0, args, 0, command.length);
        args[command.length] = "--help";
        return stdout(args);
    }

    /** What the command prints on standard output; it must succeed. */
    static String stdout(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            CliErrorsTest.Outcome o = run(args);
            assertEquals(0, o.code(), o.err());
        } finally {
            System.setOut(saved);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void baselineHelpListsEachKindOnItsOwnLine() {
        String h = help("schedule", "baseline");
        for (String kind : new String[]{"none", "fewer-steps", "fora", "deepcache", "random", "l2c-mask", "taylorseer"}) {
            assertTrue(h.lines().anyMatch(l -> l.startsWith("  " + kind + " ")), kind + " starts a line in:\n" + h);
        }
    }

    @Test
    void helpShowsValuesNotJavaFieldNames() {
        String sample = help("sample");
        assertTrue(sample.contains("--labels=L[,L...]"), sample);
        assertFalse(sample.contains("<memory>") || sample.contains("<provider>") || sample.contains("<columns>")
                || sample.contains("<count>") || sample.contains("<nfe>"), sample);
        for (String[] c : new String[][]{{"bench"}, {"learn"}, {"memory-bench"}, {"compile"}, {"schedule", "baseline"}}) {
            String h = help(c);
            assertFalse(java.util.regex.Pattern.compile("<[a-z][A-Za-z]*>").matcher(h).find(),
                    String.join(" ", c) + " shows a Java field name as a value label:\n" + h);
        }
        String reference = help("schedule", "reference");
        assertFalse(reference.contains("../shared"), "help cites no file outside the project: " + reference);
        assertFalse(reference.contains("for baseline"), reference);
        assertTrue(help("schedule", "full").contains("free (default"), "full says why its default pattern is free");
    }

    @Test
    void inspectingAStepGraphPointsAtItsPackage(@TempDir Path tmp) {
        Path s = OutputSafetyTest.schedule(tmp);
        Path pkg = tmp.resolve("pkg");
        assertEquals(0, run("compile", "--stepwise", DIT, "--schedule", s.toString(), "-o", pkg.toString()).code());
        assertOneLineError(run("inspect", pkg.resolve("graph_01.onnx").toString()), 2, "a step graph (steps [",
                "l2c inspect " + pkg);
        Path linked = tmp.resolve("linked");
        assertEquals(0, run("compile", DIT, "--schedule", s.toString(), "--link", "-o", linked.toString()).code());
        assertOneLineError(run("inspect", linked.resolve("linked_model.onnx").toString()), 2, "the linked model");
    }

    @Test
    void compileLinksSmallModelsByDefaultAndTakesEitherFormOnRequest(@TempDir Path tmp) {
        Path s = OutputSafetyTest.schedule(tmp);
        Path auto = tmp.resolve("auto");
        String said = stdout("compile", DIT, "--schedule", s.toString(), "-o", auto.toString());
        assertTrue(said.contains("(linked: ") && said.contains("<= 1 GiB"), "says which form and why: " + said);
        assertTrue(java.nio.file.Files.exists(auto.resolve("linked_model.onnx")), "the demo DiT (14 MiB) compiles linked");
        Path stepwise = tmp.resolve("stepwise");
        assertEquals(0, run("compile", DIT, "--schedule", s.toString(), "--stepwise", "-o", stepwise.toString()).code());
        assertTrue(java.nio.file.Files.exists(stepwise.resolve("graph_00.onnx")));
        assertOneLineError(run("compile", DIT, "--schedule", s.toString(), "--link", "--stepwise", "-o",
                tmp.resolve("both").toString()), 2, "give one of them");
        assertOneLineError(run("compile", DIT, "--schedule", s.toString(), "--stepwise", "--no-guidance", "-o",
                tmp.resolve("x").toString()), 2, "--no-guidance goes with a linked package");
    }
}
