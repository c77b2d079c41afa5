package dev.l2c.runtime;

import dev.l2c.cli.Main;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.conditioning.Conditions;
import dev.l2c.io.Npy;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A runtime that is not ours runs our packages: the Node.js examples (npm onnxruntime-node, written
 * against graph-compiler/README.md's "Writing your own runner" and the manifest, no l2c code) run a
 * linked model and a stepwise package, for DDIM (demo DiT) and DPM-Solver++(2S) (demo U-ViT), and
 * agree with {@code l2c sample} from the same noise within 1e-4. Skipped, with a message, where
 * node or the examples' node_modules are absent: the build installs node_modules where npm exists
 * (pom.xml, profile node-examples), {@code .ci/run} installs node and npm.
 */
class NodeExamplesTest {
    static final Path EXAMPLES = Path.of("examples/node");
    static final float TOLERANCE = 1e-4f;

    static void assumeNode() throws Exception {
        boolean node = run(List.of("node", "--version"), Path.of(".")).exit == 0;
        String why = !node ? "Node.js is not installed (apt-get install nodejs npm)"
                : !Files.isDirectory(EXAMPLES.resolve("node_modules/onnxruntime-node"))
                ? "examples/node has no node_modules: npm is missing or `npm ci` failed during the build (apt-get install npm; "
                + "or cd examples/node && ONNXRUNTIME_NODE_INSTALL=skip npm ci)" : null;
        if (why != null) {
            System.out.println("SKIPPED: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-2, "timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void nodeRunsLinkedAndStepwisePackagesLikeL2cSample(@TempDir Path tmp) throws Exception {
        assumeNode();
        // a forecast package: TaylorSeer's order-2 forecasts read three history tensors per layer
        Path taylor = tmp.resolve("taylorseer.json");
        assertEquals(0, Main.run("schedule", "baseline", "taylorseer", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim",
                "--interval", "3", "-o", taylor.toString()));
        String[][] cases = {
                {"onnx-models/dit_fmnist.onnx", taylor.toString(), "dit-taylorseer"},
                {"onnx-models/dit_fmnist.onnx", "schedules/dit_fmnist_ddim20_learned_r35.json", "dit-ddim"},
                {"onnx-models/uvit_fmnist.onnx", "schedules/uvit_fmnist_dpm2s20_learned_r35.json", "uvit-dpm2s"},
        };
        Path noise = tmp.resolve("noise.npy");
        Npy.writeFloats(noise, OrtTesting.randomFloats(23, 3, 1, 28, 28).data(), 3, 1, 28, 28);
        String labels = "2,5,9";
        List<String> report = new ArrayList<>();
        for (String[] c : cases) {
            for (String kind : List.of("linked", "stepwise")) {
                Path pkg = tmp.resolve(c[2] + "-" + kind);
                List<String> compile = new ArrayList<>(List.of("compile", c[0], "--schedule", c[1], "-o", pkg.toString()));
                compile.add(kind.equals("linked") ? "--link" : "--stepwise");
                assertEquals(0, Main.run(compile.toArray(String[]::new)));
                Path ours = tmp.resolve(c[2] + "-" + kind + "-l2c.npy");
                assertEquals(0, Main.run("sample", pkg.toString(), "--noise", noise.toString(), "--labels", labels,
                        "--cfg", "1.5", "--quiet", "--npy", ours.toString(), "-o", tmp.resolve("grid.png").toString()));
                Path theirs = tmp.resolve(c[2] + "-" + kind + "-node.npy");
                Result r = run(List.of("node", "run_" + kind + ".js", pkg.toAbsolutePath().toString(),
                        noise.toAbsolutePath().toString(), labels, "1.5", theirs.toAbsolutePath().toString()), EXAMPLES);
                assertEquals(0, r.exit, "node run_" + kind + ".js failed: " + r.output);
                float diff = OrtTesting.maxAbsDiff(Npy.read(ours).asFloats(), Npy.read(theirs).asFloats());
                report.add(String.format("%s %s max|d| = %.3g", c[2], kind, diff));
                assertTrue(diff <= TOLERANCE, c[2] + " " + kind + ": node vs l2c sample max |Δ| = " + diff);
            }
        }
        System.out.println("Node.js examples vs l2c sample: " + String.join("; ", report));
    }
    @Test
    void nodeRunsTextConditionedPackagesFromEmbeddings(@TempDir Path tmp) throws Exception {
        assumeNode();
        // users of other runtimes bring their own text encoder: here its output is the card's encoder's
        Path model = Path.of("onnx-models/text_dit_fmnist.onnx");
        LoadedModel m = LoadedModel.load(model, null, null);
        List<String> prompts = List.of("a small sneaker, upside down", "a bag, inverted");
        Conditions text;
        Conditions negative;
        try (PromptEncoder encoder = PromptEncoder.open(m.card(), model.toAbsolutePath().getParent(), model)) {
            text = encoder.encode(prompts);
            negative = encoder.unconditional(null, prompts.size());
        }
        int tokens = text.tokens();
        int width = text.width();
        Npy.writeFloats(tmp.resolve("text.npy"), text.text(), 2, tokens, width);
        Npy.writeFloats(tmp.resolve("mask.npy"), text.mask(), 2, tokens);
        Npy.writeFloats(tmp.resolve("neg.npy"), negative.text(), 2, tokens, width);
        Npy.writeFloats(tmp.resolve("negmask.npy"), negative.mask(), 2, tokens);
        Path noise = tmp.resolve("noise.npy");
        Npy.writeFloats(noise, OrtTesting.randomFloats(29, 2, 1, 28, 28).data(), 2, 1, 28, 28);
        Path schedule = tmp.resolve("fora.json");
        assertEquals(0, Main.run("schedule", "baseline", "fora", "--interval", "2", "--nfe", "20", "--layers", "24",
                "-o", schedule.toString()));
        String files = String.join(",", List.of("text.npy", "mask.npy", "neg.npy", "negmask.npy").stream()
                .map(f -> tmp.resolve(f).toAbsolutePath().toString()).toList());
        for (String kind : List.of("linked", "stepwise")) {
            Path pkg = tmp.resolve("text-" + kind);
            assertEquals(0, Main.run("compile", model.toString(), "--schedule", schedule.toString(), "--" + (kind.equals("linked")
                    ? "link" : "stepwise"), "-o", pkg.toString()));
            Path ours = tmp.resolve(kind + "-l2c.npy");
            assertEquals(0, Main.run("sample", pkg.toString(), "--noise", noise.toString(), "--prompt", prompts.get(0),
                    "--prompt", prompts.get(1), "--cfg", "3", "--quiet", "--npy", ours.toString()));
            Path theirs = tmp.resolve(kind + "-node.npy");
            Result r = run(List.of("node", "run_" + kind + ".js", pkg.toAbsolutePath().toString(),
                    noise.toAbsolutePath().toString(), files, "3", theirs.toAbsolutePath().toString()), EXAMPLES);
            assertEquals(0, r.exit, "node run_" + kind + ".js failed: " + r.output);
            float diff = OrtTesting.maxAbsDiff(Npy.read(ours).asFloats(), Npy.read(theirs).asFloats());
            System.out.printf("Node.js %s with embeddings vs l2c sample --prompt: max|d| = %.3g%n", kind, diff);
            assertTrue(diff <= TOLERANCE, kind + ": node with embeddings vs l2c sample: max |Δ| = " + diff);
        }
    }
}
