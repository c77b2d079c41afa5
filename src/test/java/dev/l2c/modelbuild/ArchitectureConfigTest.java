package dev.l2c.modelbuild;

import dev.l2c.ir.DataType;
import dev.l2c.modelcard.ModelCard;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The presets have the published sizes, and impossible sizes are refused with a reason. */
class ArchitectureConfigTest {

    @Test
    void ditXl2HasThePublishedParameterCount() {
        // "DiT Parameters: 675,129,632" as printed by the official DiT code for DiT-XL/2 (learned sigma, 1000 classes)
        assertEquals(675_129_632L, DitConfig.XL_2.parameterCount());
        assertEquals(8, DitConfig.XL_2.outChannels());
        assertEquals(256, DitConfig.XL_2.tokens());
        assertEquals(56, 2 * DitConfig.XL_2.blocks(), "the released DiT-XL/2 routers have 56 layers");
    }

    @Test
    void uvitH2HasTheRoutersLayerCountAndAboutThePublishedSize() {
        assertEquals(58, 2 * UvitConfig.H_2.blocks(), "the released U-ViT-H/2 routers have 58 layers");
        assertEquals(14, UvitConfig.H_2.inBlocks());
        // the U-ViT paper lists U-ViT-H/2 with 501 M parameters
        assertEquals(500_832_164L, UvitConfig.H_2.parameterCount());
        assertEquals(258, UvitConfig.H_2.tokens());
    }

    @Test
    void fmnistPresetsHaveTheDemoModelsParameterCounts() {
        // the initializer element counts of onnx-models/dit_fmnist.onnx and uvit_fmnist.onnx
        assertEquals(3_672_068L, DitConfig.FMNIST.parameterCount());
        assertEquals(2_934_798L, UvitConfig.FMNIST.parameterCount());
    }

    @Test
    void cardsFollowTheDemoConventions() {
        ModelCard dit = DitConfig.FMNIST.card("d");
        assertEquals(DataType.INT64, dit.timestepType());
        assertEquals("linear", dit.betaSchedule());
        assertEquals(10, dit.nullLabel());
        assertTrue(dit.clipX0());
        ModelCard uvit = UvitConfig.FMNIST.card("u");
        assertEquals(DataType.FLOAT, uvit.timestepType());
        assertEquals("scaled_linear", uvit.betaSchedule());
        ModelCard xl = DitConfig.XL_2.card("xl");
        assertTrue(xl.learnedSigma());
        assertFalse(xl.clipX0(), "latents are not clipped to [-1, 1]");
        assertEquals(1000, xl.nullLabel());
        assertEquals(4, xl.channels());
    }

    @Test
    void impossibleSizesAreRefusedWithTheReason() {
        String heads = assertThrows(IllegalArgumentException.class,
                () -> new DitConfig(32, 2, 4, 1152, 28, 7, 4.0, 1000, true)).getMessage();
        assertTrue(heads.contains("1152") && heads.contains("7 heads"), heads);
        String patch = assertThrows(IllegalArgumentException.class,
                () -> new DitConfig(28, 3, 1, 128, 12, 4, 4.0, 10, false)).getMessage();
        assertTrue(patch.contains("patch size 3"), patch);
        String quarter = assertThrows(IllegalArgumentException.class,
                () -> new DitConfig(28, 2, 1, 130, 12, 2, 4.0, 10, false)).getMessage();
        assertTrue(quarter.contains("multiple of 4"), quarter);
        String even = assertThrows(IllegalArgumentException.class,
                () -> new UvitConfig(28, 2, 1, 128, 12, 4, 4.0, true, 10, true, true)).getMessage();
        assertTrue(even.contains("odd"), even);
        String zero = assertThrows(IllegalArgumentException.class,
                () -> new UvitConfig(28, 2, 1, 128, 0, 4, 4.0, true, 10, true, true)).getMessage();
        assertTrue(zero.contains("depth"), zero);
        String huge = assertThrows(IllegalArgumentException.class,
                () -> new DitConfig(32, 2, 4, 40000, 1, 16, 4.0, 1000, true)).getMessage();
        assertTrue(huge.contains("2 GiB"), huge);
    }
}
