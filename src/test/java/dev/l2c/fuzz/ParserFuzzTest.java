package dev.l2c.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.error.L2cException;
import dev.l2c.metrics.FashionMnistReference;
import dev.l2c.metrics.FeatureStatistics;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.OptimizedModelCache;
import dev.l2c.schedule.Schedule;
import dev.l2c.io.Npy;
import dev.l2c.io.Npz;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.modelcard.LayerMapFile;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.ManifestJson;
import dev.l2c.schedule.RouterCheckpoint;
import dev.l2c.schedule.ScheduleJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz tests of every reader of a file a user hands us. The property is the same for all: any input
 * ends in a parsed value or in our own one-line error ({@link L2cException}) within a second; any other
 * exception, an error such as OutOfMemoryError (the fuzzing command bounds the heap), a multi-line
 * message or a slow input is a finding.
 *
 * <p>Under {@code mvn test} these run in regression mode: each file of the committed corpus
 * ({@code src/test/resources/dev/l2c/fuzz/ParserFuzzTestInputs/METHOD/}: valid files and the bad inputs
 * found by hand and by fuzzing) is one test case. {@code benchmarks/fuzzing/fuzz} fuzzes one target for
 * a given time ({@code JAZZER_FUZZ=1}); its README records the executions and the findings.
 *
 * <p>The readers of files that are read by path (zip archives) get their input through a file in a
 * private temporary folder, on tmpfs where there is one; an ONNX model is parsed from memory as if it
 * lay in that folder (its external data would resolve there, and the folder holds nothing else).
 */
class ParserFuzzTest {
    /** The slowest an input may take to be read or refused. */
    private static final long MAX_NANOS = 1_000_000_000L;

    private static Path folder;
    /** Targets that have run once in this JVM: the first read of each loads classes (seconds), untimed. */
    private static final Set<String> warmTargets = new HashSet<>();

    @BeforeAll
    static void createFolder() throws IOException {
        Path shm = Path.of("/dev/shm");
        folder = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "l2c-fuzz-")
                : Files.createTempDirectory("l2c-fuzz-");
    }

    @AfterAll
    static void removeFolder() throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @FuzzTest(maxDuration = "10m")
    void npy(byte[] input) {
        readOrRefuse("npy", input, bytes -> assertNotNull(Npy.read(fileWith(bytes, "input.npy"))));
    }

    @FuzzTest(maxDuration = "10m")
    void npz(byte[] input) {
        readOrRefuse("npz", input, bytes -> assertNotNull(Npz.read(fileWith(bytes, "input.npz"))));
    }

    @FuzzTest(maxDuration = "10m")
    void schedule(byte[] input) {
        readOrRefuse("schedule", input, bytes -> assertNotNull(ScheduleJson.parse(bytes, Path.of("schedule.json"))));
    }

    @FuzzTest(maxDuration = "10m")
    void layerMap(byte[] input) {
        readOrRefuse("layerMap", input, bytes -> assertFalse(LayerMapFile.parse(bytes, Path.of("layers.json")).isEmpty()));
    }

    @FuzzTest(maxDuration = "10m")
    void modelCard(byte[] input) {
        readOrRefuse("modelCard", input, bytes -> assertNotNull(ModelCard.parse(bytes, Path.of("model.card.json"))));
    }

    @FuzzTest(maxDuration = "10m")
    void manifest(byte[] input) {
        readOrRefuse("manifest", input, bytes -> assertNotNull(ManifestJson.parse(bytes, Path.of("manifest.json"))));
    }

    @FuzzTest(maxDuration = "10m")
    void routerCheckpoint(byte[] input) {
        readOrRefuse("routerCheckpoint", input, bytes -> assertNotNull(RouterCheckpoint.read(fileWith(bytes, "router.pth"))));
    }

    @FuzzTest(maxDuration = "10m")
    void onnxModel(byte[] input) {
        readOrRefuse("onnxModel", input, bytes -> assertNotNull(OnnxReader.read(bytes, folder.resolve("model.onnx"))));
    }

    // ------------------------------------------------------------ issue 24: the readers of what we read back

    /**
     * The manifest consistency check: the input is a manifest, resealed with its digest recomputed (as
     * someone editing it by hand would), so the fuzzer gets past the digest to the re-derivation. It is
     * checked against the schedule its {@code files} entry names among the committed schedules of the
     * seed packages ({@code fuzz/schedules/SHA256.json}; the first one when it names none of them). A
     * manifest the check passes must state exactly what the compiler writes for that schedule: the
     * fields the check compares are re-read from the parsed manifest and compared once more here.
     */
    @FuzzTest(maxDuration = "30m")
    void manifestConsistency(byte[] input) {
        readOrRefuse("manifestConsistency", input, bytes -> {
            Path file = Path.of("manifest.json");
            PackageManifest m = ManifestJson.parse(FuzzInputs.resealed(bytes), file);
            Schedule schedule = FuzzInputs.scheduleFor(m);
            ManifestConsistency.check(m, schedule, file);
            assertEquals(schedule.nfe(), m.steps().size(), "a passing manifest has one step per evaluation");
            dev.l2c.compiler.CachePlan plan = dev.l2c.compiler.ScheduleCompiler.plan(schedule);
            for (int k = 0; k < m.steps().size(); k++) {
                assertEquals(plan.step(k).full(), m.steps().get(k).full(), "a passing manifest's step modes are the plan's");
            }
        });
    }

    /**
     * The optimized-model cache's entry record ({@code entry.json}) against an entry whose two files
     * are fixed: the record is the input. An entry the check accepts must have a record naming the
     * expected key and both files' true sizes and SHA-256; {@code cache list} reads the same record and
     * must describe every entry in one line.
     */
    @FuzzTest(maxDuration = "20m")
    void cacheRecord(byte[] input) {
        readOrRefuse("cacheRecord", input, bytes -> {
            FuzzInputs.CacheEntry entry = FuzzInputs.cacheEntry(folder, bytes);
            String problem = OptimizedModelCache.problemWith(entry.folder(), FuzzInputs.MODEL_SHA, FuzzInputs.WEIGHTS_SHA,
                    FuzzInputs.PLATFORM);
            if (problem == null) {
                entry.assertRecordIsTrue();
            } else {
                assertFalse(problem.isBlank() || problem.contains("\n"), "one line: " + problem);
            }
            for (OptimizedModelCache.Entry e : OptimizedModelCache.list(entry.root())) {
                assertTrue(e.problem() == null || !e.problem().contains("\n"), "one line: " + e.problem());
                assertFalse(e.source().contains("\n"), "one line: " + e.source());
            }
        });
    }

    /**
     * The reference-statistics cache (a {@code .npz} with the statistics, their digest and the SHA-256s
     * of the classifier and images they come from), read under its 64 MiB expansion limit. Accepted
     * statistics must be finite, of the stated size and match their digest.
     */
    @FuzzTest(maxDuration = "20m")
    void referenceStatistics(byte[] input) {
        readOrRefuse("referenceStatistics", input, bytes -> {
            Path file = fileWith(bytes, "stats.npz");
            String why = FashionMnistReference.whyNotUsable(file, FuzzInputs.CLASSIFIER_SHA, FuzzInputs.IMAGES_SHA,
                    FuzzInputs.FEATURES);
            if (why == null) {
                FeatureStatistics stats = FeatureStatistics.load(file);
                assertEquals(FuzzInputs.FEATURES, stats.dim());
                for (double v : stats.mean()) {
                    assertTrue(Double.isFinite(v));
                }
            } else {
                assertFalse(why.isBlank() || why.contains("\n"), "one line: " + why);
            }
        });
    }

    /** A reader that may refuse its input with our error. */
    @FunctionalInterface
    private interface Reader {
        void read(byte[] input) throws L2cException;
    }

    private static void readOrRefuse(String target, byte[] input, Reader reader) {
        if (warmTargets.add(target)) {
            warmUp(target, reader);
        }
        long start = System.nanoTime();
        attempt(reader, input);
        long took = System.nanoTime() - start;
        assertTrue(took < MAX_NANOS, () -> "the input took " + took / 1_000_000 + " ms to read or refuse");
    }

    /**
     * Reads the target's committed corpus once, untimed: the first read of a format loads and
     * initializes its classes (the ONNX protobuf classes take over a second), which says nothing about
     * the input being timed.
     */
    private static void warmUp(String target, Reader reader) {
        Path corpus = Path.of("src/test/resources/dev/l2c/fuzz/ParserFuzzTestInputs", target);
        if (!Files.isDirectory(corpus)) {
            return;
        }
        try (Stream<Path> files = Files.list(corpus)) {
            for (Path f : files.sorted().toList()) {
                attempt(reader, Files.readAllBytes(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void attempt(Reader reader, byte[] input) {
        try {
            reader.read(input);
        } catch (L2cException e) {
            String message = e.getMessage();
            assertNotNull(message, "an error without a message");
            assertFalse(message.isBlank(), "an error with a blank message");
            assertFalse(message.contains("\n"), () -> "a multi-line message: " + message);
        }
    }

    private static Path fileWith(byte[] input, String name) {
        Path file = folder.resolve(name);
        try {
            Files.write(file, input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
