package dev.l2c.metrics;

import dev.l2c.testing.Skip;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caption detectors on real test images transformed as their captions say: what they can tell. */
class CaptionAdherenceTest {

    @Test
    void parsesTheGrammarAndRefusesOtherText() {
        CaptionAdherence.Caption c = CaptionAdherence.parse("a small ankle boot, upside down, inverted");
        assertEquals(9, c.label());
        assertTrue(c.small() && c.upsideDown() && c.inverted());
        assertEquals(c, CaptionAdherence.parse(c.text()));
        assertEquals(80, CaptionAdherence.allCaptions().size());
        assertThrows(IllegalArgumentException.class, () -> CaptionAdherence.parse("a red sneaker"));
    }

    @Test
    void detectorsTellRealTransformedImagesApart() throws Exception {
        Path images = FashionMnist.DEFAULT_DIR.resolve(FashionMnist.TEST_IMAGES);
        Skip.unless(Files.exists(images), "Fashion-MNIST is absent (apt-get install dataset-fashion-mnist)");
        int n = 800;
        FashionMnist.Images real = FashionMnist.readImages(images, n);
        long[] labels = FashionMnist.readLabels(FashionMnist.DEFAULT_DIR.resolve(FashionMnist.TEST_LABELS));
        List<CaptionAdherence.Caption> all = CaptionAdherence.allCaptions();
        CaptionAdherence.Caption[] captions = new CaptionAdherence.Caption[n];
        float[] transformed = new float[n * 784];
        for (int i = 0; i < n; i++) {
            CaptionAdherence.Caption pattern = all.get(i % all.size());
            captions[i] = new CaptionAdherence.Caption((int) labels[i], pattern.small(), pattern.upsideDown(), pattern.inverted());
            float[] img = java.util.Arrays.copyOfRange(real.pixels(), i * 784, (i + 1) * 784);
            System.arraycopy(CaptionAdherence.transform(img, captions[i]), 0, transformed, i * 784, 784);
        }
        try (ClassifierFeatures classifier = ClassifierFeatures.open(ClassifierFeatures.DEFAULT_MODEL)) {
            CaptionAdherence.Scores s = CaptionAdherence.score(classifier, transformed, captions);
            System.out.println("real transformed test images: " + s.summary());
            assertTrue(s.classAccuracy() > 0.85, s.summary());
            for (int a = 0; a < 3; a++) {
                assertTrue(s.hitRate(a) > 0.8, s.summary());
                assertTrue(s.falseAlarmRate(a) < 0.2, s.summary());
            }
        }
    }
}
