package dev.l2c.metrics;

import org.junit.jupiter.api.AfterAll;
import dev.l2c.testing.Skip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sanity checks of the whole FD pipeline on real data; skipped when Fashion-MNIST is not installed. */
class FashionMnistReferenceTest {
    @TempDir
    static Path dir;
    private static ClassifierFeatures classifier;
    private static FashionMnistReference reference;

    /**
     * Each test asks for the statistics (computed once): the assumption is per test, so where the data set is
     * absent every test is reported as skipped (an assumption in @BeforeAll hides them from the counts).
     */
    static synchronized void requireTestSetStatistics() throws Exception {
        Skip.unless(Files.exists(FashionMnist.testImages()), FashionMnist.testImages()
                + " is absent (apt-get install " + FashionMnist.APT_PACKAGE + ")");
        if (reference != null) {
            return;
        }
        classifier = ClassifierFeatures.open(ClassifierFeatures.DEFAULT_MODEL);
        long t0 = System.nanoTime();
        reference = FashionMnistReference.of(classifier, FashionMnist.testImages(), dir.resolve("ref.npz"));
        System.out.printf(Locale.ROOT, "test-set statistics: %.2f s (%s)%n", (System.nanoTime() - t0) / 1e9,
                reference.recomputedBecause());
    }

    @AfterAll
    static void close() {
        if (classifier != null) {
            classifier.close();
        }
    }

    @Test
    void realTrainingImagesAreCloseToTheTestSet() throws Exception {
        requireTestSetStatistics();
        FashionMnist.Images train = FashionMnist.readImages(FashionMnist.DEFAULT_DIR.resolve(FashionMnist.TRAIN_IMAGES), 2000);
        long t0 = System.nanoTime();
        FrechetDistance fd = FrechetDistance.between(classifier.statistics(train.pixels(), train.n()),
                reference.statistics());
        System.out.printf(Locale.ROOT, "FD(2000 train images, test set) = %.3f (mean %.3f + covariance %.3f), %.2f s%n",
                fd.value(), fd.meanTerm(), fd.covarianceTerm(), (System.nanoTime() - t0) / 1e9);
        assertTrue(fd.value() > 3 && fd.value() < 9, "FD " + fd);
    }

    @Test
    void noiseIsFarFromTheTestSet() throws Exception {
        requireTestSetStatistics();
        int n = 1000;
        Random r = new Random(5);
        float[] noise = new float[n * 784];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) Math.max(-1, Math.min(1, r.nextGaussian() * 0.5));
        }
        FrechetDistance fd = FrechetDistance.between(classifier.statistics(noise, n), reference.statistics());
        System.out.printf(Locale.ROOT, "FD(1000 noise images, test set) = %.1f%n", fd.value());
        assertTrue(fd.value() > 100, "FD " + fd);
    }
}
