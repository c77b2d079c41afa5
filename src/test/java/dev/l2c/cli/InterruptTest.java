package dev.l2c.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM or SIGINT in the middle of a command stops it cleanly: the exit status says which signal
 * (143, 130), one line says so, the JVM does not crash (no fatal-error banner, no hs_err file), and
 * nothing is left behind: no output, no temporary package or file, no folder of ONNX Runtime's native
 * libraries. Each command runs as a real `l2c` process, signalled while it works.
 */
class InterruptTest {

    record Outcome(int exit, String output, Path dir, Path tmp) {
    }

    /** Starts l2c with {@code args} in {@code dir} (its java.io.tmpdir under it), signals it when {@code ready}. */
    static Outcome signalled(Path dir, String signal, BooleanSupplier ready, long delayMillis, String... args)
            throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("jtmp"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("output.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ready.getAsBoolean() && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "the command ended before it could be signalled: "
                + Files.readString(dir.resolve("output.txt")));
        Thread.sleep(delayMillis);
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the command did not stop within 60 s of SIG" + signal);
        return new Outcome(p.exitValue(), Files.readString(dir.resolve("output.txt"), StandardCharsets.UTF_8), dir, tmp);
    }

    static BooleanSupplier onnxRuntimeLoaded(Path dir) {
        return () -> {
            // the child is the newest java process whose working folder is dir: look for its mapped ONNX Runtime
            try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
                return all.filter(h -> h.parent().map(pp -> pp.pid() == ProcessHandle.current().pid()).orElse(false))
                        .anyMatch(h -> mapsOnnxRuntime(h.pid()));
            }
        };
    }

    static boolean mapsOnnxRuntime(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/maps")).contains("libonnxruntime");
        } catch (IOException e) {
            return false;
        }
    }

    static void assertStoppedCleanly(Outcome o, int code, String signal, Path... mustNotExist) throws IOException {
        assertEquals(code, o.exit(), o.output());
        assertTrue(o.output().contains("l2c: stopped by SIG" + signal), o.output());
        assertFalse(o.output().contains("fatal error") || o.output().contains("SIGSEGV") || o.output().contains("hs_err"),
                "no JVM crash: " + o.output());
        // a terminated run makes ONNX Runtime log "Exiting due to terminate flag" (coloured) unless it is kept quiet
        assertFalse(o.output().contains("\u001b[") || o.output().contains("onnxruntime:"),
                "no ONNX Runtime log line or colour code: " + o.output());
        try (Stream<Path> files = Files.list(o.dir())) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.startsWith("hs_err")), "no hs_err file: " + names);
            assertTrue(names.stream().noneMatch(n -> n.contains(".tmp")), "no temporary file or package: " + names);
        }
        try (Stream<Path> left = Files.list(o.tmp())) {
            assertEquals(List.of(), left.toList(), "nothing left in java.io.tmpdir");
        }
        for (Path p : mustNotExist) {
            assertFalse(Files.exists(p), p + " was not written");
        }
    }

    static Path compiledDemoPackage(Path tmp, String name, String... extra) {
        Path pkg = tmp.resolve(name);
        List<String> args = new ArrayList<>(List.of("compile", "onnx-models/dit_fmnist.onnx", "--schedule",
                "schedules/dit_fmnist_ddim20_learned_r35.json", "-o", pkg.toString()));
        // the form is named: stepwise unless the caller asks for --link
        args.addAll(List.of(extra).contains("--link") ? List.of(extra) : java.util.stream.Stream.concat(
                java.util.stream.Stream.of("--stepwise"), java.util.Arrays.stream(extra)).toList());
        assertEquals(0, Main.run(args.toArray(String[]::new)));
        return pkg;
    }

    @Test
    void sampleStopsOnSigtermAndSigint(@TempDir Path tmp) throws Exception {
        Path pkg = compiledDemoPackage(tmp, "pkg");
        for (String signal : List.of("TERM", "INT")) {
            Path dir = Files.createDirectories(tmp.resolve("sample-" + signal));
            Outcome o = signalled(dir, signal, onnxRuntimeLoaded(dir), 1500, "sample", pkg.toAbsolutePath().toString(),
                    "-n", "32", "--quiet", "-o", "grid.png", "--npy", "x.npy", "--ort-cache", "off");
            assertStoppedCleanly(o, signal.equals("TERM") ? 143 : 130, signal, dir.resolve("grid.png"),
                    dir.resolve("x.npy"));
        }
    }

    @Test
    void aLinkedRunAndACompiledOnTheFlyPackageStopCleanly(@TempDir Path tmp) throws Exception {
        Path linked = compiledDemoPackage(tmp, "linked", "--link");
        Path dir = Files.createDirectories(tmp.resolve("linked"));
        Outcome o = signalled(dir, "TERM", onnxRuntimeLoaded(dir), 1500, "sample", linked.toAbsolutePath().toString(),
                "-n", "32", "--quiet", "-o", "grid.png", "--ort-cache", "off");
        assertStoppedCleanly(o, 143, "TERM", dir.resolve("grid.png"));
        // sample MODEL --schedule compiles into a temporary package first: it must go too
        Path dir2 = Files.createDirectories(tmp.resolve("on-the-fly"));
        Outcome o2 = signalled(dir2, "TERM", onnxRuntimeLoaded(dir2), 1500, "sample",
                Path.of("onnx-models/dit_fmnist.onnx").toAbsolutePath().toString(), "--schedule",
                Path.of("schedules/dit_fmnist_ddim20_learned_r35.json").toAbsolutePath().toString(), "-n", "32", "--quiet",
                "-o", "grid.png");
        assertStoppedCleanly(o2, 143, "TERM", dir2.resolve("grid.png"));
    }

    @Test
    void compileStopsWhileWritingAndLeavesNoPackage(@TempDir Path tmp) throws Exception {
        Path schedule = tmp.resolve("random400.json");
        assertEquals(0, Main.run("schedule", "baseline", "random", "--nfe", "400", "--layers", "24", "--remove", "0.3",
                "--pattern", "dit-ddim", "-o", schedule.toString()));
        Path dir = Files.createDirectories(tmp.resolve("compile"));
        BooleanSupplier writing = () -> {
            try (Stream<Path> files = Files.list(dir)) {
                return files.anyMatch(f -> f.getFileName().toString().startsWith("pkg.tmp"));
            } catch (IOException e) {
                return false;
            }
        };
        Outcome o = signalled(dir, "TERM", writing, 300, "compile", "--stepwise",
                Path.of("onnx-models/dit_fmnist.onnx").toAbsolutePath().toString(), "--schedule", schedule.toString(),
                "-o", "pkg");
        assertStoppedCleanly(o, 143, "TERM", dir.resolve("pkg"));
    }

    @Test
    void learnAndBenchStopCleanly(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("learn"));
        Outcome o = signalled(dir, "INT", onnxRuntimeLoaded(dir), 2000, "learn",
                Path.of("onnx-models/dit_fmnist.onnx").toAbsolutePath().toString(), "--nfe", "20", "--budget", "0.3",
                "--images", "4", "--quiet", "-o", "learned.json");
        assertStoppedCleanly(o, 130, "INT", dir.resolve("learned.json"));

        Path dir2 = Files.createDirectories(tmp.resolve("bench"));
        Outcome o2 = signalled(dir2, "TERM", onnxRuntimeLoaded(dir2), 2000, "bench",
                Path.of("onnx-models/dit_fmnist.onnx").toAbsolutePath().toString(), "--plain", "--schedule",
                "learned=" + Path.of("schedules/dit_fmnist_ddim20_learned_r35.json").toAbsolutePath(), "--images", "8",
                "--repeats", "5", "--out", "results");
        assertStoppedCleanly(o2, 143, "TERM", dir2.resolve("results"));
    }
}
