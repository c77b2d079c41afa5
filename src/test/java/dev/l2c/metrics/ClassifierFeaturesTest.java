package dev.l2c.metrics;

import dev.l2c.error.InvalidInputException;
import dev.l2c.testing.Skip;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

import static dev.l2c.metrics.MetricsTesting.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassifierFeaturesTest {
    private static final Path MODEL = ClassifierFeatures.DEFAULT_MODEL;

    private static float[] randomImages(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat() * 2 - 1;
        }
        return x;
    }

    @Test
    void readsTheGeometryFromTheGraph() throws Exception {
        try (ClassifierFeatures c = ClassifierFeatures.open(MODEL)) {
            assertArrayEquals(new long[] {1, 28, 28}, c.imageShape());
            assertEquals(784, c.imageElements());
            assertEquals(128, c.featureDim());
            assertEquals(10, c.classes());
        }
    }

    @Test
    void resultsDoNotDependOnTheBatchSize() throws Exception {
        float[] images = randomImages(7, 1);
        try (ClassifierFeatures whole = ClassifierFeatures.open(MODEL);
             ClassifierFeatures inThrees = ClassifierFeatures.open(MODEL, 3)) {
            ClassifierFeatures.Outputs a = whole.run(images, 7, true);
            ClassifierFeatures.Outputs b = inThrees.run(images, 7, true);
            assertArrayEquals(a.features(), b.features(), 1e-4f);
            assertArrayEquals(a.logits(), b.logits(), 1e-4f);
            assertNull(whole.run(images, 7, false).logits());
            // Features are the penultimate ReLU: never negative, and not all zero.
            float sum = 0;
            for (float f : a.features()) {
                assertTrue(f >= 0, "feature " + f);
                sum += f;
            }
            assertTrue(sum > 0);
        }
    }

    @Test
    void classifiesTheTestSetAsTheCardSays() throws Exception {
        Path imagesFile = FashionMnist.testImages();
        Path labelsFile = FashionMnist.DEFAULT_DIR.resolve(FashionMnist.TEST_LABELS);
        Skip.unless(Files.exists(imagesFile) && Files.exists(labelsFile), "Fashion-MNIST is absent (apt-get install dataset-fashion-mnist)");
        FashionMnist.Images images = FashionMnist.readImages(imagesFile, -1);
        long[] labels = FashionMnist.readLabels(labelsFile);
        try (ClassifierFeatures c = ClassifierFeatures.open(MODEL)) {
            ClassifierFeatures.Outputs out = c.run(images.pixels(), images.n(), true);
            int correct = 0;
            for (int i = 0; i < images.n(); i++) {
                if (out.predictedClass(i) == labels[i]) {
                    correct++;
                }
            }
            double accuracy = (double) correct / images.n();
            System.out.printf(Locale.ROOT, "classifier accuracy on the test set: %.2f %%%n", 100 * accuracy);
            // The card says 92.2 %; a preprocessing mistake ([0, 1] instead of [-1, 1], transposed images)
            // drops it far below 90 %.
            assertTrue(accuracy > 0.9, "accuracy " + accuracy);
        }
    }

    @Test
    void anotherModelIsRefusedWhenOpened() {
        Path dit = Path.of("onnx-models", "dit_fmnist.onnx");
        Skip.unless(Files.exists(dit), dit + " is absent");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ClassifierFeatures.open(dit));
        assertNamesFile(e, dit, "has no tensor 'image'", "expected the Fashion-MNIST classifier");
    }

    @Test
    void aMissingModelIsNamed() {
        Path absent = Path.of("onnx-models", "no_such_classifier.onnx");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ClassifierFeatures.open(absent));
        assertNamesFile(e, absent, "classifier model not found", "onnx-models");
    }

    @Test
    void imagesOfTheWrongSizeAreRefused() throws Exception {
        try (ClassifierFeatures c = ClassifierFeatures.open(MODEL)) {
            assertThrows(IllegalArgumentException.class, () -> c.features(new float[784 * 2 + 1], 2));
        }
    }
}
