package dev.l2c.fuzz;

import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.metrics.FashionMnistReference;
import dev.l2c.pkg.ManifestJson;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.OptimizedModelCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seeds of the fuzz targets for what l2c reads back are what they claim: the valid ones pass every
 * check (so fuzzing starts from inputs that reach the deepest checks, not from early refusals), and
 * each damaged one is refused for its own reason.
 */
class FuzzSeedsTest {
    static final Path CORPUS = Path.of("src/test/resources/dev/l2c/fuzz/ParserFuzzTestInputs");

    @TempDir
    Path tmp;

    @Test
    void everySeedManifestPassesTheConsistencyCheckAndAResealedEditDoesNot() throws Exception {
        int seeds = 0;
        try (Stream<Path> files = Files.list(CORPUS.resolve("manifestConsistency"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("seed_")).sorted().toList()) {
                byte[] bytes = Files.readAllBytes(f);
                assertEquals(new String(bytes), new String(FuzzInputs.resealed(bytes)), f + ": resealing a sealed manifest changes nothing");
                PackageManifest m = ManifestJson.parse(bytes, f);
                ManifestConsistency.check(m, FuzzInputs.scheduleFor(m), f);
                // an edit of a derived number, resealed, reaches the consistency check and is refused there
                String edited = new String(bytes).replaceFirst("\"alpha\" : ([0-9.E-]+)", "\"alpha\" : 0.5");
                PackageManifest e = ManifestJson.parse(FuzzInputs.resealed(edited.getBytes()), f);
                Exception refused = assertThrows(Exception.class, () -> ManifestConsistency.check(e, FuzzInputs.scheduleFor(e), f));
                assertTrue(refused.getMessage().contains("alpha"), refused.getMessage());
                seeds++;
            }
        }
        assertTrue(seeds >= 5, "seed manifests: " + seeds);
    }

    @Test
    void theValidCacheRecordIsAcceptedAndEachDamagedOneRefused() throws Exception {
        Path dir = CORPUS.resolve("cacheRecord");
        assertNull(problem(dir.resolve("seed_valid.json")));
        assertTrue(problem(dir.resolve("seed_other_key.json")).contains("another model"));
        assertTrue(problem(dir.resolve("seed_other_weights.json")).contains("SHA-256"));
        assertTrue(problem(dir.resolve("seed_version2.json")).contains("version 1"));
    }

    private String problem(Path record) throws Exception {
        FuzzInputs.CacheEntry entry = FuzzInputs.cacheEntry(tmp, Files.readAllBytes(record));
        String p = OptimizedModelCache.problemWith(entry.folder(), FuzzInputs.MODEL_SHA, FuzzInputs.WEIGHTS_SHA, FuzzInputs.PLATFORM);
        if (p == null) {
            entry.assertRecordIsTrue();
        }
        return p;
    }

    @Test
    void theValidReferenceStatisticsAreUsableAndEachDamagedOneIsNot() {
        Path dir = CORPUS.resolve("referenceStatistics");
        assertNull(why(dir.resolve("seed_valid.npz")));
        assertNull(why(dir.resolve("seed_valid_compressed.npz")));
        assertTrue(why(dir.resolve("seed_shifted_mean.npz")).contains("do not match the digest"));
        assertNotNull(why(dir.resolve("seed_nan_covariance.npz")));
    }

    private static String why(Path file) {
        return FashionMnistReference.whyNotUsable(file, FuzzInputs.CLASSIFIER_SHA, FuzzInputs.IMAGES_SHA, FuzzInputs.FEATURES);
    }
}
