package dev.l2c.runtime;

import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX Runtime's optimized-model cache cannot lie (issue 24): an entry of another package put in
 * place, a flipped bit in its packed weights, a foreign model that loads, a missing record — each is
 * reported in one line, discarded and rebuilt, and the samples are those of the package itself
 * (compared with a run without the cache). A cache that cannot be written runs uncached; the size
 * limit evicts the least recently used entries; clearing touches nothing that is not an entry.
 */
class OptimizedModelCacheTest {
    static LoadedModel dit;
    static CompiledPackage a;
    static CompiledPackage b;
    static float[] uncachedA;

    @TempDir
    static Path tmp;

    final List<String> reports = new ArrayList<>();

    @BeforeAll
    static void compile() throws Exception {
        dit = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        a = linked(ReferenceSchedules.referenceAlternating(4, 24), "a");
        b = linked(BaselineSchedules.fora(4, 24, "dit-ddim", 2), "b");
        uncachedA = run(a, null);
    }

    static CompiledPackage linked(dev.l2c.schedule.Schedule s, String name) throws Exception {
        Path pkg = tmp.resolve("pkg-" + name);
        ScheduleCompiler.compile(dit, s, Path.of(name + ".json"), dit.card().sampler("ddim", 4, true), pkg,
                ScheduleCompiler.Options.linked(true));
        return CompiledPackage.open(pkg);
    }

    @BeforeEach
    void captureReports() {
        OptimizedModelCache.report = reports::add;
    }

    @AfterEach
    void restoreReports() {
        OptimizedModelCache.report = System.err::println;
    }

    static float[] run(CompiledPackage pkg, Path cache) throws Exception {
        OrtRuntime.Options options = new OrtRuntime.Options(OrtRuntime.Provider.CPU, 0, MemoryPolicy.AUTO, 0, cache);
        try (LinkedModelRun r = new LinkedModelRun(pkg, options); Progress p = Progress.start("t", 4, false)) {
            return r.generate(LinkedModelTest.request(dit, 2, 1.5f), p).samples();
        }
    }

    static Path onlyEntry(Path cache) throws Exception {
        try (var files = Files.list(cache)) {
            List<Path> all = files.toList();
            assertEquals(1, all.size(), all.toString());
            return all.get(0);
        }
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    static void deleteTree(Path p) throws Exception {
        try (var walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private void assertReportedOnce(String... fragments) {
        List<String> problems = reports.stream().filter(r -> r.contains("discarded")).toList();
        assertEquals(1, problems.size(), reports.toString());
        for (String f : fragments) {
            assertTrue(problems.get(0).contains(f), "'" + f + "' in " + problems.get(0));
        }
        assertEquals(1, problems.get(0).lines().count());
    }

    @Test
    void anEntryIsRecordedAndReused() throws Exception {
        Path cache = tmp.resolve("reused");
        assertEquals(0f, OrtTesting.maxAbsDiff(uncachedA, run(a, cache)));
        Path entry = onlyEntry(cache);
        assertTrue(Files.isRegularFile(entry.resolve(OptimizedModelCache.RECORD)));
        long saved = Files.getLastModifiedTime(entry.resolve(OptimizedModelCache.WEIGHTS)).toMillis();
        reports.clear();
        float[] second = run(a, cache);
        assertTrue(OrtTesting.maxAbsDiff(uncachedA, second) <= 1e-6f);
        assertEquals(saved, Files.getLastModifiedTime(entry.resolve(OptimizedModelCache.WEIGHTS)).toMillis());
        assertTrue(reports.isEmpty(), "a sound entry is used silently: " + reports);
    }

    @Test
    void anotherPackagesEntryPutInPlaceIsDiscardedNotRun() throws Exception {
        Path cacheA = tmp.resolve("foreign-a");
        Path cacheB = tmp.resolve("foreign-b");
        run(a, cacheA);
        run(b, cacheB);
        Path entryA = onlyEntry(cacheA);
        deleteTree(entryA);
        copyTree(onlyEntry(cacheB), entryA); // B's entry under A's key
        reports.clear();
        float[] out = run(a, cacheA);
        assertReportedOnce(entryA.toString(), "another model");
        assertTrue(OrtTesting.maxAbsDiff(uncachedA, out) <= 1e-6f, "A's images, not B's");
    }

    @Test
    void aFlippedBitOrAForeignModelInAnEntryIsFoundByItsRecord() throws Exception {
        Path cache = tmp.resolve("flipped");
        run(a, cache);
        Path entry = onlyEntry(cache);
        Path weights = entry.resolve(OptimizedModelCache.WEIGHTS);
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length / 3] ^= 0x08;
        Files.write(weights, bytes);
        reports.clear();
        float[] out = run(a, cache);
        assertReportedOnce("optimized.weights", "SHA-256");
        assertTrue(OrtTesting.maxAbsDiff(uncachedA, out) <= 1e-6f);

        // a model that loads, but is another's: B's optimized model in A's entry
        Path cacheB = tmp.resolve("flipped-b");
        run(b, cacheB);
        Files.copy(onlyEntry(cacheB).resolve(OptimizedModelCache.MODEL), entry.resolve(OptimizedModelCache.MODEL),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        reports.clear();
        out = run(a, cache);
        assertReportedOnce("optimized.onnx");
        assertTrue(OrtTesting.maxAbsDiff(uncachedA, out) <= 1e-6f);
    }

    @Test
    void anEntryWithoutRecordIsRebuilt() throws Exception {
        Path cache = tmp.resolve("norecord");
        run(a, cache);
        Path entry = onlyEntry(cache);
        Files.delete(entry.resolve(OptimizedModelCache.RECORD));
        Files.writeString(entry.resolve("complete"), "what an older l2c wrote\n");
        reports.clear();
        run(a, cache);
        assertReportedOnce("has no entry.json");
        assertTrue(Files.isRegularFile(entry.resolve(OptimizedModelCache.RECORD)));
    }

    @Test
    void aCacheThatCannotBeWrittenRunsUncachedAndSaysSo() throws Exception {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "not a folder");
        float[] out = run(a, file.resolve("ort"));
        assertEquals(0f, OrtTesting.maxAbsDiff(uncachedA, out));
        assertTrue(reports.stream().anyMatch(r -> r.contains("running without the cache")), reports.toString());
    }

    @Test
    void theLimitEvictsTheLeastRecentlyUsedAndClearLeavesWhatIsNotOurs() throws Exception {
        Path cache = tmp.resolve("limit");
        run(a, cache);
        Path first = onlyEntry(cache);
        Files.setLastModifiedTime(first.resolve(OptimizedModelCache.RECORD),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        run(b, cache);
        List<OptimizedModelCache.Entry> entries = OptimizedModelCache.list(cache);
        assertEquals(2, entries.size());
        assertFalse(entries.get(0).folder().equals(first), "most recently used first");
        assertTrue(entries.stream().allMatch(e -> e.problem() == null), entries.toString());
        Path second = entries.get(0).folder();
        OptimizedModelCache.evict(cache, entries.get(0).bytes() + 1, second);
        assertFalse(Files.exists(first), "the older entry went");
        assertTrue(Files.exists(second));

        Path stale = cache.resolve("0123456789abcdef0123456789abcdef.tmp-999999999-1f");
        Files.createDirectories(stale);
        Path live = cache.resolve("0123456789abcdef0123456789abcdef.tmp-" + ProcessHandle.current().pid() + "-2e");
        Files.createDirectories(live);
        Path mine = cache.resolve("notes.txt");
        Files.writeString(mine, "the user's");
        long freed = OptimizedModelCache.clear(cache);
        assertTrue(freed > 0);
        assertFalse(Files.exists(second));
        assertFalse(Files.exists(stale), "a killed run's temporary entry is removed");
        assertTrue(Files.exists(live), "a running process's temporary entry is left");
        assertTrue(Files.exists(mine), "clear touches only entries");
    }

    @Test
    void sizesParse() {
        assertEquals(6L << 30, OptimizedModelCache.parseBytes("6G"));
        assertEquals(500L << 20, OptimizedModelCache.parseBytes("500m"));
        assertEquals(123L, OptimizedModelCache.parseBytes("123"));
        assertEquals(null, OptimizedModelCache.parseBytes("-1"));
        assertEquals(null, OptimizedModelCache.parseBytes("lots"));
    }
}
