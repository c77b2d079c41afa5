package dev.l2c.runtime;

import dev.l2c.analysis.BranchKind;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.cli.Main;
import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.conditioning.Conditions;
import dev.l2c.io.Npy;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import dev.l2c.testing.OnnxChecker;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded text-conditioned demo (a PixArt-style DiT exported by PyTorch's TorchScript exporter,
 * and its own text encoder) end to end: its 24 layers found by structure (attention, ungated
 * cross-attention, MLP per block); prompts encoded by the card's encoder; the plain model, a
 * stepwise package and a linked package agree at a full schedule (1e-5) and at a cached one; the
 * CLI's --prompt and --embeddings paths give the same images; every graph passes ONNX's checker.
 */
class TextDemoModelTest {
    static final Path MODEL = Path.of("onnx-models/text_dit_fmnist.onnx");
    static final List<String> PROMPTS = List.of("a small sneaker, upside down", "a bag, inverted", "a dress");
    @TempDir
    static Path tmp;
    static LoadedModel model;
    static Conditions conditions;
    static Conditions negative;

    @BeforeAll
    static void load() throws Exception {
        model = LoadedModel.load(MODEL, null, null);
        try (PromptEncoder encoder = PromptEncoder.open(model.card(), MODEL.toAbsolutePath().getParent(),
                Path.of("onnx-models/text_dit_fmnist.card.json"))) {
            conditions = encoder.encode(PROMPTS);
            negative = encoder.unconditional("a coat", PROMPTS.size());
        }
    }

    @Test
    void structureGivesThreeLayersPerBlockWithAnUngatedCrossAttention() {
        assertEquals(24, model.layers().size());
        assertEquals(3, model.layers().layersPerBlock());
        for (CacheableLayer l : model.layers().layers()) {
            BranchKind expected = List.of(BranchKind.ATTENTION, BranchKind.CROSS_ATTENTION, BranchKind.MLP).get(l.index() % 3);
            assertEquals(expected, l.kind(), "layer " + l.index());
            assertEquals(l.index() / 3, l.block());
            if (expected == BranchKind.CROSS_ATTENTION) {
                assertNull(l.gate(), "PixArt's cross-attention is not gated");
            } else {
                assertTrue(l.gate() != null, "layer " + l.index() + " is gated");
            }
        }
    }

    private static float[] generate(SampleGenerator g, SampleRun.Request r) throws Exception {
        try (Progress p = Progress.start("test", g.evaluations(), false)) {
            return g.generate(r, p).samples();
        }
    }

    private static CompiledPackage compile(Schedule s, String name, boolean linked) throws Exception {
        Path file = tmp.resolve(name + ".json");
        ScheduleJson.write(s, file);
        Sampler sampler = model.card().sampler(null, s.nfe(), true);
        Path pkg = tmp.resolve(name + (linked ? "-linked" : "-stepwise"));
        ScheduleCompiler.compile(model, s, file, sampler, pkg,
                linked ? ScheduleCompiler.Options.linked(true) : ScheduleCompiler.Options.stepwise());
        return ManifestConsistency.open(pkg);
    }

    @Test
    void compiledPackagesSampleWhatThePlainModelSamples() throws Exception {
        SampleRun.Request request = new SampleRun.Request(OrtTesting.randomFloats(5, 3, 1, 28, 28).data(), conditions,
                negative, 3f);
        Sampler sampler = model.card().sampler(null, 20, true);
        float[] plain;
        try (SampleGenerator g = SampleGenerators.plain(MODEL, model.card(), sampler, OrtRuntime.Options.cpu())) {
            plain = generate(g, request);
        }
        Schedule full = Schedule.allFull(20, 24, "free");
        Schedule fora = BaselineSchedules.fora(20, 24, "free", 2);
        float[] foraStepwise = null;
        for (boolean linked : new boolean[]{false, true}) {
            try (SampleGenerator g = SampleGenerators.open(compile(full, "full", linked), OrtRuntime.Options.cpu())) {
                float diff = OrtTesting.maxAbsDiff(plain, generate(g, request));
                assertTrue(diff <= 1e-5f, (linked ? "linked" : "stepwise") + " full schedule vs plain: " + diff);
            }
            try (SampleGenerator g = SampleGenerators.open(compile(fora, "fora", linked), OrtRuntime.Options.cpu())) {
                float[] x = generate(g, request);
                if (foraStepwise == null) {
                    foraStepwise = x;
                    assertTrue(OrtTesting.maxAbsDiff(plain, x) > 1e-4f, "reusing half the branches changes the samples");
                } else {
                    float diff = OrtTesting.maxAbsDiff(foraStepwise, x);
                    assertTrue(diff <= 1e-5f, "linked vs stepwise FORA: " + diff);
                }
            }
        }
        OnnxChecker.assumeAvailable();
        Path scratch = Files.createDirectories(tmp.resolve("checker"));
        Map<String, String> results = OnnxChecker.check(scratch, List.of(tmp.resolve("full-stepwise"),
                tmp.resolve("full-linked"), tmp.resolve("fora-stepwise"), tmp.resolve("fora-linked")));
        // the step graphs, the linked models and the text encoder each package carries
        assertTrue(results.size() >= 1 + 2 + 1 + 1 + 4, "graphs checked: " + results.keySet());
        List<String> failures = results.entrySet().stream().filter(e -> e.getValue() != null)
                .map(e -> e.getKey() + ": " + e.getValue()).toList();
        assertEquals(List.of(), failures);
    }

    @Test
    void promptsAndTheirEmbeddingsGiveTheSameImagesFromTheCli() throws Exception {
        Path pkg = tmp.resolve("cli-linked");
        Path schedule = tmp.resolve("cli.json");
        assertEquals(0, Main.run("schedule", "baseline", "fora", "--interval", "2", "--nfe", "20", "--layers", "24",
                "-o", schedule.toString()));
        assertEquals(0, Main.run("compile", MODEL.toString(), "--schedule", schedule.toString(), "--link", "-o", pkg.toString()));
        assertTrue(Files.isRegularFile(pkg.resolve("text_encoder_fmnist.onnx")), "the package carries its text encoder");
        var manifest = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pkg.resolve("manifest.json").toFile());
        assertEquals(5, manifest.get("version").asInt(), "text packages are version 5");
        assertEquals("text", manifest.at("/model/inputs/conditions/0/name").asText());
        assertEquals("text_mask", manifest.at("/model/inputs/conditions/1/name").asText());
        assertEquals("empty_prompt", manifest.at("/guidance/null_condition").asText());
        assertEquals("unconditional_text", manifest.at("/linked_model/inputs/unconditional/0").asText());
        assertTrue(manifest.at("/files/text_encoder_fmnist.onnx").asText().length() == 64, "the encoder under a digest");
        Path viaPrompts = tmp.resolve("prompts.npy");
        assertEquals(0, Main.run("sample", pkg.toString(), "--prompt", PROMPTS.get(0), "--prompt", PROMPTS.get(1),
                "--prompt", PROMPTS.get(2), "--negative-prompt", "a coat", "--seed", "4", "--quiet", "--npy", viaPrompts.toString()));
        int t = 12 * 64;
        Npy.writeFloats(tmp.resolve("text.npy"), conditions.text(), 3, 12, 64);
        Npy.writeFloats(tmp.resolve("mask.npy"), conditions.mask(), 3, 12);
        Npy.writeFloats(tmp.resolve("neg.npy"), negative.text(), 3, 12, 64);
        Npy.writeFloats(tmp.resolve("negmask.npy"), negative.mask(), 3, 12);
        Path viaEmbeddings = tmp.resolve("embeddings.npy");
        assertEquals(0, Main.run("sample", pkg.toString(), "--embeddings", tmp.resolve("text.npy").toString(),
                "--embeddings-mask", tmp.resolve("mask.npy").toString(), "--negative-embeddings",
                tmp.resolve("neg.npy").toString(), "--negative-embeddings-mask", tmp.resolve("negmask.npy").toString(),
                "--seed", "4", "--quiet", "--npy", viaEmbeddings.toString()));
        assertArrayEquals(Npy.read(viaPrompts).asFloats(), Npy.read(viaEmbeddings).asFloats());
        assertEquals(t, conditions.text().length / 3);
        // an encoder changed after compiling is found by the package's digests
        Path copy = tmp.resolve("cli-linked-tampered");
        Files.createDirectories(copy);
        try (var files = Files.list(pkg)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        byte[] encoder = Files.readAllBytes(copy.resolve("text_encoder_fmnist.onnx"));
        encoder[encoder.length - 5] ^= 1;
        Files.write(copy.resolve("text_encoder_fmnist.onnx"), encoder);
        assertEquals(3, Main.run("verify", copy.toString()));
        // labels are refused for a text model, prompts for a class model: one line each, exit code 2
        assertEquals(2, Main.run("sample", pkg.toString(), "--labels", "1", "--quiet", "--npy", tmp.resolve("x.npy").toString()));
        assertEquals(2, Main.run("sample", "onnx-models/dit_fmnist.onnx", "--prompt", "a bag", "--quiet", "--npy",
                tmp.resolve("y.npy").toString()));
    }
}
