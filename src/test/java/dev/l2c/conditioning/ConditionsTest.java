package dev.l2c.conditioning;

import dev.l2c.modelcard.Conditioning;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConditionsTest {

    private static Conditions text(int batch, float base) {
        float[] t = new float[batch * 2 * 3];
        float[] m = new float[batch * 2];
        for (int i = 0; i < t.length; i++) {
            t[i] = base + i;
        }
        for (int i = 0; i < m.length; i++) {
            m[i] = i % 2 == 0 ? 1 : 0;
        }
        return Conditions.text(t, m, batch, 2, 3);
    }

    @Test
    void guidanceJoinsConditionalAndUnconditionalHalvesInThatOrder() {
        Conditions c = text(2, 0).concat(text(2, 100));
        assertEquals(4, c.batch());
        assertEquals(0f, c.text()[0]);
        assertEquals(100f, c.text()[12]);
        assertArrayEquals(text(2, 100).text(), c.slice(2, 2).text());
        assertArrayEquals(new long[]{3, 4, 10, 10}, Conditions.labels(3, 4).concat(Conditions.labels(10, 10)).labels());
    }

    @Test
    void cyclingRepeatsSamplesInTurnAndSourcesPickByImageIndex() throws Exception {
        Conditions three = Conditions.labels(7, 8, 9);
        assertArrayEquals(new long[]{7, 8, 9, 7, 8}, three.cycle(5).labels());
        ConditionSource src = ConditionSource.cycling(text(3, 0), null, "t");
        assertArrayEquals(text(3, 0).slice(1, 1).text(), src.conditions(4, 1).text());
        assertArrayEquals(new long[]{4, 5, 6, 7, 8, 9, 0, 1}, ConditionSource.balancedLabels(10).conditions(4, 8).labels());
    }

    @Test
    void kindsAndShapesMustMatch() {
        assertThrows(IllegalArgumentException.class, () -> Conditions.labels(1).concat(text(1, 0)));
        assertThrows(IllegalArgumentException.class, () -> Conditions.text(new float[5], new float[2], 1, 2, 3));
        assertThrows(IllegalStateException.class, () -> text(1, 0).labels());
        assertThrows(IllegalStateException.class, () -> Conditions.labels(1).text());
    }

    @Test
    void theWordTokenizerLowerCasesSplitsOnPunctuationAndPads() {
        Conditioning.TextEncoderSpec spec = new Conditioning.TextEncoderSpec("e.onnx", "ids", "text", null,
                List.of("<pad>", "<bos>", "<unk>", "a", "small", "ankle", "boot", "upside", "down", "t-shirt"), 0, 1, 2);
        WordTokenizer tok = new WordTokenizer(spec, 8);
        // the training script's re.findall(r"[a-z0-9-]+", caption.lower()) gives the same words
        assertArrayEquals(new long[]{1, 3, 4, 5, 6, 7, 8, 0}, tok.ids("A small Ankle boot, UPSIDE down"));
        assertArrayEquals(new long[]{1, 3, 9, 2, 0, 0, 0, 0}, tok.ids("a T-shirt!! red"));
        assertArrayEquals(new long[]{1, 0, 0, 0, 0, 0, 0, 0}, tok.ids(""));
        assertEquals(List.of("red"), tok.unknownWords("a T-shirt!! red"));
        assertArrayEquals(new long[]{1, 3, 3, 3, 3, 3, 3, 3}, tok.ids("a a a a a a a a a a"));
    }
}
