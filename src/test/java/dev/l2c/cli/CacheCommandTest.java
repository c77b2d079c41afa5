package dev.l2c.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `l2c cache list|clear` over a real entry, and the cache options that used to be accepted silently. */
class CacheCommandTest {
    static String stdout(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listShowsTheEntryAndClearRemovesOnlyEntries(@TempDir Path tmp) throws Exception {
        Path pkg = tmp.resolve("pkg");
        Path schedule = tmp.resolve("s.json");
        assertEquals(0, CliErrorsTest.run("schedule", "reference", "--nfe", "4", "--layers", "24", "-o", schedule.toString()).code());
        assertEquals(0, CliErrorsTest.run("compile", CliErrorsTest.DIT, "--schedule", schedule.toString(), "--link",
                "-o", pkg.toString()).code());
        Path cache = tmp.resolve("cache");
        CliErrorsTest.Outcome sampled = CliErrorsTest.run("sample", pkg.toString(), "--labels", "1", "--quiet",
                "--ort-cache", cache.toString(), "-o", tmp.resolve("x.png").toString());
        assertEquals(0, sampled.code(), sampled.err());
        Files.writeString(cache.resolve("README.txt"), "not an entry");
        int[] code = new int[1];
        String list = stdout(() -> code[0] = CliErrorsTest.run("cache", "list", "--ort-cache", cache.toString()).code());
        assertEquals(0, code[0]);
        assertTrue(list.contains("1 entries") && list.contains("linked_model.onnx"), list);
        assertFalse(list.contains("["), "a sound entry shows no problem: " + list);
        String clear = stdout(() -> code[0] = CliErrorsTest.run("cache", "clear", "--ort-cache", cache.toString()).code());
        assertEquals(0, code[0]);
        assertTrue(clear.contains("removed"), clear);
        try (var files = Files.list(cache)) {
            assertEquals(java.util.List.of(cache.resolve("README.txt")), files.toList(), "only the entry went");
        }
    }

    @Test
    void anEmptyOrFileCacheFolderIsRefused(@TempDir Path tmp) throws Exception {
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("sample", CliErrorsTest.DIT, "--nfe", "2", "--labels", "1",
                "--ort-cache", "", "-o", tmp.resolve("x.png").toString()), 2, "--ort-cache", "empty");
        Path file = tmp.resolve("f");
        Files.writeString(file, "x");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("cache", "list", "--ort-cache", file.toString()), 2,
                "is a file");
        assertFalse(Files.exists(tmp.resolve("x.png")));
    }
}
