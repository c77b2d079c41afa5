package dev.l2c.modelbuild;

import dev.l2c.ir.Model;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX Runtime running a built graph computes what demo_models.py's modules compute: compared with an
 * independent plain-Java forward pass ({@link ReferenceForward}) on the same weights, for the tiny
 * presets and for variants with the options the big presets use (learned sigma; no qkv bias, no time
 * MLP, 4 channels).
 */
class ReferenceNumericsTest {
    static final float TOLERANCE = 1e-4f;

    @TempDir
    Path tmp;

    @Test
    void tinyDitMatchesTheReference() throws Exception {
        checkDit(DitConfig.TINY);
    }

    @Test
    void ditWithLearnedSigmaAndSeveralChannelsMatchesTheReference() throws Exception {
        checkDit(new DitConfig(8, 2, 2, 32, 2, 4, 2.5, 5, true));
    }

    @Test
    void tinyUvitMatchesTheReference() throws Exception {
        checkUvit(UvitConfig.TINY);
    }

    @Test
    void uvitWithTheH2OptionsMatchesTheReference() throws Exception {
        // U-ViT-H/2's choices at toy size: 4-channel latents, no qkv bias, no time MLP; 2 in + mid + 2 out blocks
        checkUvit(new UvitConfig(8, 2, 4, 32, 5, 2, 4.0, false, 7, false, true));
    }

    @Test
    void uvitWithoutFinalConvMatchesTheReference() throws Exception {
        checkUvit(new UvitConfig(8, 4, 1, 16, 1, 1, 2.0, true, 3, true, false));
    }

    @Test
    void erfOfTheReferenceIsAccurate() {
        assertEquals(0.5204998778130465, ReferenceForward.erf(0.5), 1e-13);
        assertEquals(-0.8427007929497149, ReferenceForward.erf(-1), 1e-13);
        assertEquals(0.9999992569016276, ReferenceForward.erf(3.5), 1e-13);
    }

    private void checkDit(DitConfig c) throws Exception {
        BuiltModel built = ModelBuilder.write(c, 5, "dit", tmp.resolve("dit"), false, false);
        Model model = OnnxReader.read(built.model());
        int batch = 3;
        int s = c.inputSize();
        OrtTesting.Floats x = OrtTesting.randomFloats(3, batch, c.inChannels(), s, s);
        long[] t = {999, 500, 3};
        long[] y = {0, c.classes() - 1, c.classes()};
        float[] onnx = OrtTesting.run(built.model(), Map.of("x", x, "t", new OrtTesting.Longs(t, batch),
                "y", new OrtTesting.Longs(y, batch))).get("out");
        float[] reference = new ReferenceForward(model.graph()).dit(c, x.data(), t, y);
        assertEquals((long) batch * c.outChannels() * s * s, onnx.length);
        assertClose(reference, onnx);
    }

    private void checkUvit(UvitConfig c) throws Exception {
        BuiltModel built = ModelBuilder.write(c, 6, "uvit", tmp.resolve("uvit"), false, false);
        Model model = OnnxReader.read(built.model());
        int batch = 3;
        int s = c.img();
        OrtTesting.Floats x = OrtTesting.randomFloats(4, batch, c.inChannels(), s, s);
        float[] t = {999f, 421.5f, 0f};
        long[] y = {0, c.classes() - 1, c.classes()};
        float[] onnx = OrtTesting.run(built.model(), Map.of("x", x, "t", new OrtTesting.Floats(t, batch),
                "y", new OrtTesting.Longs(y, batch))).get("out");
        float[] reference = new ReferenceForward(model.graph()).uvit(c, x.data(), t, y);
        assertEquals((long) batch * c.inChannels() * s * s, onnx.length);
        assertClose(reference, onnx);
    }

    private static void assertClose(float[] reference, float[] onnx) {
        float diff = OrtTesting.maxAbsDiff(reference, onnx);
        float scale = 0;
        for (float v : reference) {
            scale = Math.max(scale, Math.abs(v));
        }
        // the outputs are not trivially small: the comparison means something
        assertTrue(scale > 0.05f, "output max |value| = " + scale);
        assertTrue(diff <= TOLERANCE, "max |ONNX - reference| = " + diff + " (outputs up to " + scale + ")");
    }
}
