package dev.l2c.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * ONNX's own checker ({@code onnx.checker.check_model(path, full_check=True)}, Debian's python3-onnx
 * run with /usr/bin/python3) as a test client. {@link #check} copies the package first: onnx 1.12's
 * full check rewrites the file it checks. Skips the calling test, with a message on the console, where
 * python3-onnx is absent.
 */
public final class OnnxChecker {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final String SCRIPT = String.join("\n",
            "import glob, os, sys",
            "import onnx",
            "for folder in sys.argv[1:]:",
            "    for path in sorted(glob.glob(os.path.join(folder, '*.onnx'))):",
            "        try:",
            "            onnx.checker.check_model(path, full_check=True)",
            "            print('OK\\t' + path)",
            "        except Exception as e:",
            "            print('FAIL\\t' + path + '\\t' + ' '.join(str(e).split()))",
            "    sys.stdout.flush()");

    private OnnxChecker() {
    }

    /** Skips the calling test (saying why on stdout) unless /usr/bin/python3 can import onnx. */
    public static void assumeAvailable() throws IOException, InterruptedException {
        boolean ok = Files.isExecutable(PYTHON) && run(List.of(PYTHON.toString(), "-c", "import onnx")).exitCode == 0;
        if (!ok) {
            System.out.println("SKIPPED: the ONNX checker needs Debian's python3-onnx (apt-get install python3-onnx)");
        }
        Assumptions.assumeTrue(ok, "the ONNX checker needs Debian's python3-onnx (apt-get install python3-onnx)");
    }

    /**
     * Checks every {@code *.onnx} in each folder (on a copy made under {@code scratch}) and returns, per
     * file name relative to its folder ("pkg/graph_00.onnx"), null when it passed or the checker's message.
     */
    public static Map<String, String> check(Path scratch, List<Path> folders) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), "-c", SCRIPT));
        Map<String, String> byCopy = new LinkedHashMap<>();
        for (Path folder : folders) {
            Path copy = Files.createTempDirectory(scratch, "checked-").resolve(folder.getFileName());
            copyFolder(folder, copy);
            cmd.add(copy.toString());
            byCopy.put(copy.toString(), folder.getFileName().toString());
        }
        Result r = run(cmd);
        if (r.exitCode != 0) {
            throw new IllegalStateException("the ONNX checker script failed (exit " + r.exitCode + "): " + r.output);
        }
        Map<String, String> results = new LinkedHashMap<>();
        for (String line : r.output.split("\n")) {
            String[] f = line.split("\t", 3);
            if (f.length < 2) {
                continue;
            }
            Path p = Path.of(f[1]);
            String name = byCopy.get(p.getParent().toString()) + "/" + p.getFileName();
            results.put(name, f[0].equals("OK") ? null : (f.length > 2 ? f[2] : "failed"));
        }
        return results;
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the ONNX checker did not finish in 300 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
