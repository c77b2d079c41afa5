package dev.l2c.metrics;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.OutputException;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npz;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.l2c.metrics.MetricsTesting.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the reference-statistics cache is used and invalidated, on a small images file of random
 * pixels so that it runs without the data set and in milliseconds.
 */
class FashionMnistReferenceCacheTest {
    private static ClassifierFeatures classifier;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() throws Exception {
        classifier = ClassifierFeatures.open(ClassifierFeatures.DEFAULT_MODEL);
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    @Test
    void theFirstRunComputesAndTheSecondLoads() throws Exception {
        Path images = MetricsTesting.writeRandomIdxImages(dir.resolve("images-idx3-ubyte"), 40, 1);
        Path cache = dir.resolve("stats").resolve("ref.npz"); // the folder is created on the way

        FashionMnistReference first = FashionMnistReference.of(classifier, images, cache);
        assertFalse(first.fromCache());
        assertTrue(first.recomputedBecause().contains("no cache"), first.recomputedBecause());
        assertEquals(40, first.statistics().n());
        assertEquals(128, first.statistics().dim());
        assertEquals(FashionMnistReference.sha256(images), first.imagesSha256());
        assertEquals(FashionMnistReference.sha256(ClassifierFeatures.DEFAULT_MODEL), first.classifierSha256());

        FashionMnistReference second = FashionMnistReference.of(classifier, images, cache);
        assertTrue(second.fromCache());
        assertEquals(first.statistics(), second.statistics());

        // The cache is an ordinary statistics file as well.
        assertEquals(first.statistics(), FeatureStatistics.load(cache));
    }

    @Test
    void anotherImagesFileIsRecomputed() throws Exception {
        Path cache = dir.resolve("ref.npz");
        Path images = dir.resolve("images-idx3-ubyte");
        FashionMnistReference before = FashionMnistReference.of(classifier,
                MetricsTesting.writeRandomIdxImages(images, 20, 1), cache);
        FashionMnistReference after = FashionMnistReference.of(classifier,
                MetricsTesting.writeRandomIdxImages(images, 20, 2), cache);
        assertTrue(after.recomputedBecause().contains("another images file"), after.recomputedBecause());
        assertNotEquals(before.statistics(), after.statistics());
        assertTrue(FashionMnistReference.of(classifier, images, cache).fromCache());
    }

    @Test
    void aCacheFromAnotherClassifierOrVersionIsRecomputed() throws Exception {
        Path images = MetricsTesting.writeRandomIdxImages(dir.resolve("images-idx3-ubyte"), 20, 1);
        Path cache = dir.resolve("ref.npz");
        FashionMnistReference.of(classifier, images, cache);

        Map<String, NdArray> arrays = new LinkedHashMap<>(Npz.read(cache));
        arrays.put(FashionMnistReference.CLASSIFIER_SHA256, FashionMnistReference.digestArray("00".repeat(32)));
        Npz.write(cache, arrays);
        FashionMnistReference again = FashionMnistReference.of(classifier, images, cache);
        assertTrue(again.recomputedBecause().contains("another classifier"), again.recomputedBecause());

        arrays = new LinkedHashMap<>(Npz.read(cache));
        arrays.put(FashionMnistReference.VERSION, NdArray.ofLongs(new long[] {FashionMnistReference.CACHE_VERSION + 1}));
        Npz.write(cache, arrays);
        again = FashionMnistReference.of(classifier, images, cache);
        assertTrue(again.recomputedBecause().contains("another version"), again.recomputedBecause());
        assertTrue(FashionMnistReference.of(classifier, images, cache).fromCache());
    }

    @Test
    void aShiftedMeanInTheCacheIsFoundByItsDigestAndRecomputed() throws Exception {
        Path images = MetricsTesting.writeRandomIdxImages(dir.resolve("images-idx3-ubyte"), 20, 1);
        Path cache = dir.resolve("shifted.npz");
        FashionMnistReference first = FashionMnistReference.of(classifier, images, cache);
        java.util.Map<String, dev.l2c.io.NdArray> arrays = new java.util.LinkedHashMap<>(dev.l2c.io.Npz.read(cache));
        double[] mu = arrays.get(FeatureStatistics.MEAN).asDoubles();
        mu[0] += 0.5; // the edit that moved a reported FD from 645 to 746
        arrays.put(FeatureStatistics.MEAN, dev.l2c.io.NdArray.ofDoubles(mu, mu.length));
        dev.l2c.io.Npz.write(cache, arrays);
        FashionMnistReference again = FashionMnistReference.of(classifier, images, cache);
        assertFalse(again.fromCache());
        assertTrue(again.recomputedBecause().contains("do not match the digest"), again.recomputedBecause());
        assertEquals(first.statistics(), again.statistics());
    }

    @Test
    void aDamagedCacheIsRecomputedAndReplaced() throws Exception {
        Path images = MetricsTesting.writeRandomIdxImages(dir.resolve("images-idx3-ubyte"), 20, 1);
        Path cache = Files.writeString(dir.resolve("ref.npz"), "not a zip");
        FashionMnistReference r = FashionMnistReference.of(classifier, images, cache);
        assertTrue(r.recomputedBecause().contains("unreadable"), r.recomputedBecause());
        assertTrue(FashionMnistReference.of(classifier, images, cache).fromCache());
    }

    @Test
    void digestsRoundTripThroughTheirArrays() {
        String hex = "00ff7f80" + "0123456789abcdef".repeat(3) + "deadbeef";
        assertEquals(hex, FashionMnistReference.digestHex(FashionMnistReference.digestArray(hex)));
    }

    @Test
    void aMissingDataSetSaysWhatToInstall() {
        Path absent = dir.resolve("t10k-images-idx3-ubyte.gz");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> FashionMnistReference.of(classifier, absent, dir.resolve("ref.npz")));
        assertNamesFile(e, absent, "apt-get install dataset-fashion-mnist");
    }

    @Test
    void anUnwritableCacheLocationIsAnOutputError() throws Exception {
        Path images = MetricsTesting.writeRandomIdxImages(dir.resolve("images-idx3-ubyte"), 20, 1);
        Path notAFolder = Files.writeString(dir.resolve("file"), "x");
        Path cache = notAFolder.resolve("ref.npz");
        OutputException e = assertThrows(OutputException.class,
                () -> FashionMnistReference.of(classifier, images, cache));
        assertNamesFile(e, cache, "choose another cache location");
    }
}
