package dev.l2c.fuzz;

import dev.l2c.error.InvalidInputException;
import dev.l2c.io.Sha256;
import dev.l2c.pkg.ManifestDigest;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.OptimizedModelCache;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fixed surroundings of the fuzz targets for what l2c reads back (issue 24): the schedules the
 * seed manifests were compiled from, an optimized-model cache entry whose files are known, and the
 * provenance digests of the seed reference statistics. The seeds in the corpus were made with these
 * values, so they are accepted as they are and the fuzzer starts from inputs that pass every check.
 */
final class FuzzInputs {
    /** The committed schedules of the seed packages, by the SHA-256 their manifests list. */
    static final Path SCHEDULES = Path.of("src/test/resources/dev/l2c/fuzz/schedules");

    /** What the fuzzed cache entry was built from: fixed values, not this machine's. */
    static final String MODEL_SHA = "1".repeat(64);
    static final String WEIGHTS_SHA = "2".repeat(64);
    static final List<String> PLATFORM = List.of("1.24.1", "amd64", "model name : fuzz cpu\nflags : avx2\n");
    /** The entry's two files. */
    static final byte[] MODEL_BYTES = "optimized model bytes".getBytes(StandardCharsets.US_ASCII);
    static final byte[] WEIGHTS_BYTES = "optimized weights bytes, packed".getBytes(StandardCharsets.US_ASCII);

    /** Provenance the fuzzed reference statistics must state, and their feature count. */
    static final String CLASSIFIER_SHA = "3".repeat(64);
    static final String IMAGES_SHA = "4".repeat(64);
    static final int FEATURES = 4;

    private static final Pattern DIGEST_VALUE = Pattern.compile("\"" + ManifestDigest.FIELD + "\"\\s*:\\s*\"([^\"]{64})\"");
    private static Map<String, Schedule> schedules;

    private FuzzInputs() {
    }

    /**
     * {@code json} with its digest recomputed over its content, as a hand edit followed by resealing
     * would leave it; as it is when it has no digest field to reseal.
     */
    static byte[] resealed(byte[] json) {
        String text = new String(json, StandardCharsets.ISO_8859_1); // one char per byte: offsets are byte offsets
        Matcher m = DIGEST_VALUE.matcher(text);
        int at = -1;
        while (m.find()) {
            at = m.start(1);
        }
        if (at < 0) {
            return json;
        }
        byte[] zeroed = json.clone();
        for (int i = 0; i < 64; i++) {
            zeroed[at + i] = '0';
        }
        try {
            return ManifestDigest.seal(zeroed);
        } catch (IllegalStateException e) {
            return json; // the field the digest reader finds is another occurrence: leave the input as it is
        }
    }

    /** The schedule the manifest's files entry names, else the first committed one. */
    static synchronized Schedule scheduleFor(PackageManifest m) throws InvalidInputException {
        if (schedules == null) {
            schedules = new TreeMap<>();
            try (Stream<Path> files = Files.list(SCHEDULES)) {
                for (Path f : files.sorted().toList()) {
                    String name = f.getFileName().toString();
                    schedules.put(name.substring(0, name.length() - ".json".length()), ScheduleJson.read(f));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Schedule named = schedules.get(m.files().get(PackageFiles.SCHEDULE));
        return named != null ? named : schedules.values().iterator().next();
    }

    /** A cache entry under {@code folder}/cache with the fixed files and {@code record} as its entry.json. */
    record CacheEntry(Path root, Path folder) {
        /** An accepted record must state the expected key and source, and the files' true sizes and SHA-256s. */
        void assertRecordIsTrue() {
            com.fasterxml.jackson.databind.JsonNode r;
            try {
                r = new com.fasterxml.jackson.databind.ObjectMapper().readTree(folder.resolve("entry.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertEquals(OptimizedModelCache.key(MODEL_SHA, WEIGHTS_SHA, PLATFORM), r.path("key").asText());
            assertEquals(MODEL_SHA, r.path("linked_model_sha256").asText());
            assertEquals(WEIGHTS_SHA, r.path("weights_sha256").asText());
            assertEquals(sha(MODEL_BYTES), r.path("files").path("optimized.onnx").path("sha256").asText());
            assertEquals(MODEL_BYTES.length, r.path("files").path("optimized.onnx").path("bytes").asLong());
            assertEquals(sha(WEIGHTS_BYTES), r.path("files").path("optimized.weights").path("sha256").asText());
            assertEquals(WEIGHTS_BYTES.length, r.path("files").path("optimized.weights").path("bytes").asLong());
        }
    }

    static CacheEntry cacheEntry(Path folder, byte[] record) {
        Path root = folder.resolve("cache");
        Path entry = root.resolve(OptimizedModelCache.key(MODEL_SHA, WEIGHTS_SHA, PLATFORM));
        try {
            if (!Files.isDirectory(entry)) {
                Files.createDirectories(entry);
                Files.write(entry.resolve("optimized.onnx"), MODEL_BYTES);
                Files.write(entry.resolve("optimized.weights"), WEIGHTS_BYTES);
            }
            Files.write(entry.resolve("entry.json"), record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new CacheEntry(root, entry);
    }

    static String sha(byte[] bytes) {
        return Sha256.of(bytes);
    }
}
