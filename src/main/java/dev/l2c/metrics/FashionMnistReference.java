package dev.l2c.metrics;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.io.DataKind;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npz;
import dev.l2c.io.Sha256;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reference side of the Fréchet distance: the classifier-feature statistics of the 10 000
 * Fashion-MNIST test images, computed once and cached in a .npz file so later runs load them in
 * milliseconds. See {@code benchmarks/reference-stats/README.md}.
 *
 * <p>The cache holds the statistics ({@code mu}, {@code sigma}, {@code n}, as {@link FeatureStatistics}
 * saves them) together with what they were computed from: {@code classifier_sha256} and
 * {@code dataset_sha256}, the SHA-256 digests of the classifier graph and of the images file, each
 * stored as 32 int64 byte values (numpy: {@code bytes(a.astype('u1')).hex()}), and {@code version}, the
 * version of this computation, and {@code statistics_sha256}, the digest of the statistics themselves
 * ({@link FeatureStatistics#sha256()}). A cache that is absent, unreadable, of another version, or made from a
 * different classifier or images file, or whose statistics no longer match their digest, is recomputed and replaced (atomically), so a stale cache can
 * never be used silently.
 *
 * @param statistics       the feature statistics of the reference images
 * @param cache            the cache file they were loaded from or written to
 * @param classifierSha256 SHA-256 (hex) of the classifier graph they were computed with
 * @param imagesSha256     SHA-256 (hex) of the images file they were computed from
 * @param recomputedBecause null when loaded from the cache; otherwise why the cache was not used
 */
public record FashionMnistReference(FeatureStatistics statistics, Path cache, String classifierSha256,
                                    String imagesSha256, String recomputedBecause) {
    /** The default cache, relative to the working directory (the project folder). */
    public static final Path DEFAULT_CACHE = Path.of("benchmarks", "reference-stats",
            "fmnist_test_classifier_features.npz");
    /** Bump when the way the statistics are computed changes; older caches are then recomputed. */
    public static final long CACHE_VERSION = 2;
    static final String VERSION = "version";
    static final String CLASSIFIER_SHA256 = "classifier_sha256";
    static final String IMAGES_SHA256 = "dataset_sha256";
    /** SHA-256 of the statistics themselves ({@link FeatureStatistics#sha256()}): an edited mean or covariance is found. */
    static final String STATISTICS_SHA256 = "statistics_sha256";

    /** Whether the statistics came from the cache rather than from running the classifier now. */
    public boolean fromCache() {
        return recomputedBecause == null;
    }

    /** The test-set statistics from the default images file and the default cache. */
    public static FashionMnistReference testSet(ClassifierFeatures classifier)
            throws L2cException {
        return of(classifier, FashionMnist.testImages(), DEFAULT_CACHE);
    }

    /**
     * The statistics of all images in the IDX file {@code images} under {@code classifier}: loaded from
     * {@code cache} when it was made from the same classifier and images file, otherwise computed and
     * written to {@code cache} (creating its folder).
     *
     * @throws InvalidInputException if {@code images} is missing (the message says how to install the
     *     data set) or damaged, or the classifier file cannot be read
     * @throws OutputException if the cache cannot be written; choose another cache location
     */
    public static FashionMnistReference of(ClassifierFeatures classifier, Path images, Path cache)
            throws L2cException {
        FashionMnist.requirePresent(images);
        String classifierSha = sha256(classifier.model());
        String imagesSha = sha256(images);
        String why = whyNotUsable(cache, classifierSha, imagesSha, classifier.featureDim());
        if (why == null) {
            return new FashionMnistReference(FeatureStatistics.load(cache), cache, classifierSha, imagesSha, null);
        }
        FashionMnist.Images set = FashionMnist.readImages(images, -1);
        FeatureStatistics stats = classifier.statistics(set.pixels(), set.n());
        write(cache, stats, classifierSha, imagesSha);
        return new FashionMnistReference(stats, cache, classifierSha, imagesSha, why);
    }

    /**
     * Null when the cache can be used; otherwise a short reason, for the caller to report (public for
     * the fuzz tests of this reader).
     */
    public static String whyNotUsable(Path cache, String classifierSha, String imagesSha, int featureDim) {
        if (!Files.exists(cache)) {
            return "no cache at " + cache;
        }
        Map<String, NdArray> arrays;
        FeatureStatistics stats;
        try {
            arrays = Npz.read(cache, FeatureStatistics.MAX_ARCHIVE_BYTES);
            stats = FeatureStatistics.fromArrays(arrays, cache);
        } catch (InvalidInputException e) {
            return "the cache is unreadable (" + e.getMessage() + ")";
        }
        NdArray version = arrays.get(VERSION);
        if (version == null || version.elementCount() != 1 || version.kind() != DataKind.INT64
                || version.longValue() != CACHE_VERSION) {
            return "the cache is from another version of this computation";
        }
        if (!classifierSha.equals(digestHex(arrays.get(CLASSIFIER_SHA256)))) {
            return "the cache was made with another classifier";
        }
        if (!imagesSha.equals(digestHex(arrays.get(IMAGES_SHA256)))) {
            return "the cache was made from another images file";
        }
        if (!stats.sha256().equals(digestHex(arrays.get(STATISTICS_SHA256)))) {
            return "the statistics do not match the digest stored with them (edited or damaged)";
        }
        if (stats.dim() != featureDim) {
            return "the cache holds " + stats.dim() + "-value features, the classifier gives " + featureDim;
        }
        return null;
    }

    private static void write(Path cache, FeatureStatistics stats, String classifierSha, String imagesSha)
            throws OutputException {
        Path folder = cache.toAbsolutePath().getParent();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new OutputException(cache, "cannot create the folder for the reference-statistics cache ("
                    + e.getMessage() + "); choose another cache location");
        }
        Map<String, NdArray> arrays = new LinkedHashMap<>(stats.toArrays());
        arrays.put(VERSION, NdArray.ofLongs(new long[] {CACHE_VERSION}));
        arrays.put(CLASSIFIER_SHA256, digestArray(classifierSha));
        arrays.put(IMAGES_SHA256, digestArray(imagesSha));
        arrays.put(STATISTICS_SHA256, digestArray(stats.sha256()));
        Npz.write(cache, arrays);
    }

    /** A hex digest as its bytes, one int64 each: the writer has no uint8 type, and numpy converts easily. */
    static NdArray digestArray(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        long[] values = new long[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            values[i] = bytes[i] & 0xFF;
        }
        return NdArray.ofLongs(values, values.length);
    }

    /** The hex digest stored by {@link #digestArray}, or null if {@code a} is not such an array. */
    static String digestHex(NdArray a) {
        if (a == null || a.kind() != DataKind.INT64 || a.rank() != 1 || a.elementCount() != 32) {
            return null;
        }
        byte[] bytes = new byte[32];
        for (int i = 0; i < 32; i++) {
            long v = a.longs()[i];
            if (v < 0 || v > 255) {
                return null;
            }
            bytes[i] = (byte) v;
        }
        return HexFormat.of().formatHex(bytes);
    }

    static String sha256(Path file) throws InvalidInputException {
        try {
            return Sha256.of(file);
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + e.getMessage(), e);
        }
    }
}
