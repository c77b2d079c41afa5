package dev.l2c.modelbuild;

import dev.l2c.analysis.BranchKind;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.conditioning.Conditions;
import dev.l2c.io.Progress;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Node;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.runtime.ModelExecutor;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.PackageExecutor;
import dev.l2c.runtime.PlainModelExecutor;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.Ddim;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PixArt-α builder: the XL/2 preset has the published size, a tiny built model has a text card,
 * the layer detector finds gated self-attention, ungated cross-attention and gated MLP in every block,
 * ONNX Runtime runs it with the padding tokens masked out and computes what an independent Java
 * forward pass computes, and its all-full package samples exactly what the plain model samples
 * (while the reference cache schedule really changes the samples: nothing is zero-initialised).
 */
class PixArtBuildTest {
    static final int NFE = 20;
    static final int BATCH = 3;

    @TempDir
    Path tmp;

    @Test
    void xl2HasThePixArtAlphaSize() {
        PixArtConfig xl = PixArtConfig.XL_2;
        // PixArt-α-XL/2 is published as 0.6 B parameters; this counts its 611 M plus the fixed pos_embed (256 × 1152)
        assertEquals(611_151_008L, xl.parameterCount());
        assertEquals(28, xl.blocks());
        assertEquals(256, xl.tokens());
        assertEquals(8, xl.outChannels());
        ModelCard card = xl.card("xl");
        assertEquals("pixart", card.family());
        assertEquals(DataType.INT64, card.timestepType());
        assertTrue(card.learnedSigma());
        assertFalse(card.clipX0(), "latents are not clipped to [-1, 1]");
        assertEquals(-4f, card.rangeMin());
        assertEquals(4f, card.rangeMax());
        assertEquals("ddim", card.defaultSampler());
        assertEquals(4.5f, card.defaultCfg());
        assertEquals("linear", card.betaSchedule());
        Conditioning.TextTokens text = assertInstanceOf(Conditioning.TextTokens.class, card.conditioning());
        assertEquals(new Conditioning.TextTokens("text", "text_mask", 120, 4096, Conditioning.TextTokens.NULL_ZEROS,
                null, List.of()), text);
    }

    @Test
    void impossibleSizesAreRefusedWithTheReason() {
        String heads = assertThrows(IllegalArgumentException.class,
                () -> new PixArtConfig(32, 2, 4, 1152, 28, 7, 4.0, 120, 4096, true)).getMessage();
        assertTrue(heads.contains("1152") && heads.contains("7 heads"), heads);
        String tokens = assertThrows(IllegalArgumentException.class,
                () -> new PixArtConfig(8, 2, 4, 64, 2, 4, 4.0, 0, 32, true)).getMessage();
        assertTrue(tokens.contains("text tokens"), tokens);
    }

    @Test
    void tinyPresetBuildsWithEveryCountedWeightAndATextCard() throws Exception {
        PixArtConfig c = PixArtConfig.TINY;
        BuiltModel built = ModelBuilder.write(c, 3, "pixart", tmp.resolve("pixart"), false, false);
        assertEquals(c.parameterCount(), built.parameters());
        LoadedModel model = LoadedModel.load(built.model(), null, null);
        assertTrue(model.card().textConditioned());
        assertEquals(List.of("x", "t", "text", "text_mask"),
                model.onnx().graph().inputs().stream().map(v -> v.name()).toList());
        // nothing is zero-initialised: the gates and the cross-attention's output projection matter
        for (String name : List.of("blocks.0.scale_shift_table", "blocks.1.cross_attn.proj.weight.T",
                "final_layer.scale_shift_table", "t_block.1.weight")) {
            float[] w = model.onnx().graph().requireValue(name).initializer().toFloats();
            assertTrue(maxAbs(w) > 0.05f, name + " max |value| = " + maxAbs(w));
        }
        // ONNX's own checker accepts the graph (its weights in the external-data file)
        dev.l2c.testing.OnnxChecker.assumeAvailable();
        java.util.Map<String, String> checked = dev.l2c.testing.OnnxChecker.check(
                java.nio.file.Files.createDirectories(tmp.resolve("checker")), List.of(built.model().getParent()));
        assertTrue(!checked.isEmpty() && checked.values().stream().allMatch(java.util.Objects::isNull), "checker: " + checked);
    }

    @Test
    void everyBlockIsGatedAttentionUngatedCrossAttentionAndGatedMlp() throws Exception {
        PixArtConfig c = new PixArtConfig(8, 2, 4, 64, 3, 4, 4.0, 8, 32, true);
        LoadedModel model = build(c, "three");
        assertEquals(9, model.layers().size());
        assertEquals(3, model.layers().blocks());
        assertEquals(3, model.layers().layersPerBlock());
        List<BranchKind> kinds = new ArrayList<>();
        for (CacheableLayer layer : model.layers().layers()) {
            kinds.add(layer.kind());
            assertEquals(layer.index() / 3, layer.block());
            String block = "/blocks." + layer.block() + "/";
            Node producer = model.onnx().graph().requireValue(layer.tensor()).producer();
            if (layer.kind() == BranchKind.CROSS_ATTENTION) {
                assertNull(layer.gate(), "the cross-attention of block " + layer.block() + " has no gate");
                // cached: the output projection, which feeds the residual Add directly
                assertEquals(block + "cross_attn/proj/Add", producer.name());
            } else {
                assertNotNull(layer.gate(), layer.kind() + " of block " + layer.block() + " is cached before its gate");
                String module = layer.kind() == BranchKind.ATTENTION ? "attn/proj/Add" : "mlp/fc2/Add";
                assertEquals(block + module, producer.name());
            }
        }
        assertEquals(List.of(BranchKind.ATTENTION, BranchKind.CROSS_ATTENTION, BranchKind.MLP,
                BranchKind.ATTENTION, BranchKind.CROSS_ATTENTION, BranchKind.MLP,
                BranchKind.ATTENTION, BranchKind.CROSS_ATTENTION, BranchKind.MLP), kinds);
        // the cross-attention's cost includes its own key/value projections of the text tokens
        CacheableLayer cross = model.layers().layer(1);
        long d = c.hidden();
        long atLeast = 2L * c.textTokens() * d * d + 2L * c.tokens() * d * d;
        assertTrue(cross.macsPerSample() >= atLeast, "cross-attention MACs " + cross.macsPerSample());
    }

    @Test
    void onnxRuntimeRunsItAndPaddingTokensAreMaskedOut() throws Exception {
        PixArtConfig c = PixArtConfig.TINY;
        LoadedModel model = build(c, "run");
        float[] x = OrtTesting.randomFloats(1, BATCH, c.inChannels(), c.inputSize(), c.inputSize()).data();
        float[] text = text(c, 2);
        float[] mask = mask(c);
        float[] out;
        float[] paddingChanged;
        float[] realChanged;
        try (ModelExecutor exec = new PlainModelExecutor(model.file(), model.card(), OrtRuntime.Options.cpu())) {
            out = exec.evaluate(0, x, BATCH, 500, conditions(c, text, mask));
            assertEquals((long) BATCH * c.outChannels() * c.inputSize() * c.inputSize(), out.length);
            assertTrue(maxAbs(out) > 0.05f, "output max |value| = " + maxAbs(out));
            // sample 0 has 5 real tokens: its last token is padding, its first is not
            float[] other = text.clone();
            int w = c.textWidth();
            for (int k = 0; k < w; k++) {
                other[(c.textTokens() - 1) * w + k] += 3f;
            }
            paddingChanged = exec.evaluate(1, x, BATCH, 500, conditions(c, other, mask));
            other = text.clone();
            for (int k = 0; k < w; k++) {
                other[k] += 3f;
            }
            realChanged = exec.evaluate(2, x, BATCH, 500, conditions(c, other, mask));
        }
        assertEquals(0f, OrtTesting.maxAbsDiff(out, paddingChanged), "a padding token changes nothing");
        assertTrue(OrtTesting.maxAbsDiff(out, realChanged) > 1e-3f, "a real token matters");
    }

    @Test
    void onnxRuntimeComputesWhatTheJavaReferenceComputes() throws Exception {
        PixArtConfig c = PixArtConfig.TINY;
        BuiltModel built = ModelBuilder.write(c, 5, "ref", tmp.resolve("ref"), false, false);
        LoadedModel model = LoadedModel.load(built.model(), null, null);
        float[] x = OrtTesting.randomFloats(3, BATCH, c.inChannels(), c.inputSize(), c.inputSize()).data();
        long[] t = {999, 500, 3};
        float[] text = text(c, 4);
        float[] mask = mask(c);
        float[] onnx = OrtTesting.run(built.model(), java.util.Map.of(
                "x", new OrtTesting.Floats(x, BATCH, c.inChannels(), c.inputSize(), c.inputSize()),
                "t", new OrtTesting.Longs(t, BATCH),
                "text", new OrtTesting.Floats(text, BATCH, c.textTokens(), c.textWidth()),
                "text_mask", new OrtTesting.Floats(mask, BATCH, c.textTokens()))).get("out");
        float[] reference = new PixArtReferenceForward(model.onnx().graph()).forward(c, x, t, text, mask);
        assertTrue(maxAbs(reference) > 0.05f, "output max |value| = " + maxAbs(reference));
        float diff = OrtTesting.maxAbsDiff(reference, onnx);
        assertTrue(diff <= 1e-4f, "max |ONNX - reference| = " + diff + " (outputs up to " + maxAbs(reference) + ")");
    }

    @Test
    void allFullPackageSamplesLikeThePlainModelAndCachingChangesTheSamples() throws Exception {
        PixArtConfig c = PixArtConfig.TINY;
        LoadedModel model = build(c, "sample");
        ModelCard card = model.card();
        int layers = model.layers().size();
        Sampler sampler = new Ddim(NoiseSchedule.linear(1000, 1e-4, 0.02), NFE, card.clipX0());
        SampleRun.Request request = new SampleRun.Request(
                OrtTesting.randomFloats(21, (long) BATCH * card.sampleElements()).data(),
                conditions(c, text(c, 22), mask(c)), null, card.defaultCfg());
        float[] plain;
        try (ModelExecutor exec = new PlainModelExecutor(model.file(), card, OrtRuntime.Options.cpu())) {
            plain = sample(exec, card, sampler, request);
        }
        float[] full;
        try (ModelExecutor exec = packageExecutor(model, sampler, Schedule.allFull(NFE, layers, Schedule.DIT_DDIM), "full")) {
            full = sample(exec, card, sampler, request);
        }
        float[] cached;
        try (PackageExecutor exec = packageExecutor(model, sampler, ReferenceSchedules.referenceAlternating(NFE, layers),
                "cached")) {
            cached = sample(exec, card, sampler, request);
            assertEquals(0, exec.liveCacheTensors(), "every cache is freed after its last reader");
        }
        float fullDiff = OrtTesting.maxAbsDiff(full, plain);
        assertTrue(fullDiff <= 1e-5f, "all-full package vs plain model max |Δ| = " + fullDiff);
        float cacheDiff = OrtTesting.maxAbsDiff(cached, plain);
        assertTrue(cacheDiff > 1e-3f, "reusing branches changed the samples by only " + cacheDiff);
        for (float v : cached) {
            assertTrue(Float.isFinite(v));
        }
    }

    private LoadedModel build(PixArtConfig config, String name) throws Exception {
        BuiltModel built = ModelBuilder.write(config, 11, name, tmp.resolve(name), false, false);
        return LoadedModel.load(built.model(), null, null);
    }

    private PackageExecutor packageExecutor(LoadedModel model, Sampler sampler, Schedule schedule, String name)
            throws Exception {
        Path pkg = tmp.resolve(model.card().name() + "-" + name);
        ScheduleCompiler.compile(model, schedule, Path.of(name + ".json"), sampler, pkg);
        return new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu());
    }

    private static float[] sample(ModelExecutor exec, ModelCard card, Sampler sampler, SampleRun.Request request)
            throws Exception {
        try (Progress p = Progress.start("test", NFE, false)) {
            return SampleRun.run(exec, card, sampler, request, p).samples();
        }
    }

    /** Seeded token embeddings [BATCH, tokens, width]. */
    private static float[] text(PixArtConfig c, long seed) {
        return OrtTesting.randomFloats(seed, BATCH, c.textTokens(), c.textWidth()).data();
    }

    /** Sample 0: 5 real tokens; sample 1: all real; sample 2: the first only. */
    private static float[] mask(PixArtConfig c) {
        int m = c.textTokens();
        int[] real = {Math.min(5, m - 1), m, 1};
        float[] mask = new float[BATCH * m];
        for (int b = 0; b < BATCH; b++) {
            for (int j = 0; j < real[b]; j++) {
                mask[b * m + j] = 1f;
            }
        }
        return mask;
    }

    private static Conditions conditions(PixArtConfig c, float[] text, float[] mask) {
        return Conditions.text(text, mask, BATCH, c.textTokens(), c.textWidth());
    }

    private static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
