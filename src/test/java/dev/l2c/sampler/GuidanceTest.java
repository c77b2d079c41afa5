package dev.l2c.sampler;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GuidanceTest {
    @Test
    void combinesConditionalAndUnconditionalRows() {
        // batch 2, two elements per sample: rows c0, c1 (conditional), u0, u1 (unconditional)
        float[] out = {
            1.0f, 2.0f,   // c0
            -1.0f, 0.5f,  // c1
            0.0f, 1.0f,   // u0
            -2.0f, 0.5f,  // u1
        };
        // ε = u + 1.5·(c − u)
        float[] expected = {1.5f, 2.5f, -0.5f, 0.5f};
        assertArrayEquals(expected, Guidance.combine(out, 2, 2, 1.5f), 0f);
    }

    @Test
    void scaleOneGivesConditionalAndZeroGivesUnconditional() {
        float[] out = {3f, 4f, 7f, 9f};
        assertArrayEquals(new float[] {3f, 4f}, Guidance.combine(out, 1, 2, 1f), 0f);
        assertArrayEquals(new float[] {7f, 9f}, Guidance.combine(out, 1, 2, 0f), 0f);
    }

    @Test
    void learnedSigmaOutputKeepsOnlyTheNoiseChannels() {
        // batch 1, sample 1 channel × 2 pixels; model outputs 2 channels (ε then variance) per sample
        float[] out = {
            1f, 2f, 90f, 91f,   // conditional: ε = (1, 2), variance channel (90, 91)
            0f, 0f, 80f, 81f,   // unconditional: ε = (0, 0)
        };
        assertArrayEquals(new float[] {2f, 4f}, Guidance.combine(out, 1, 2, 2f), 0f);
    }

    @Test
    void rejectsOutputsThatDoNotFitTheSample() {
        assertThrows(IllegalArgumentException.class, () -> Guidance.combine(new float[7], 1, 2, 1f));
        assertThrows(IllegalArgumentException.class, () -> Guidance.combine(new float[6], 1, 2, 1f));
        assertThrows(IllegalArgumentException.class, () -> Guidance.combine(new float[8], 1, 3, 1f));
    }
}
