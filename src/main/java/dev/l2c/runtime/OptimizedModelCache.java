package dev.l2c.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.ToolVersion;
import dev.l2c.error.Interrupted;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.error.ProviderException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.io.Sha256;
import dev.l2c.io.StrictJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * ONNX Runtime's optimized form of a linked model, saved once and reused. Creating a session for an
 * unrolled sampling run costs more than for one step: ONNX Runtime prepacks a weight once per node
 * that reads it, and each step has its own nodes (measured on DiT-XL/2 DDIM-20: 25 of the 28 s of
 * session creation; 1.3 s with prepacking off). Saved with its prepacked weights in an external file
 * ({@code session.save_external_prepacked_constant_initializers}), the optimized model opens without
 * optimizing again and maps the packed weights from disk instead of packing them.
 *
 * <p>An entry is checked, not trusted: the saved form is ONNX Runtime's, loaded without any check of
 * ours, so an entry put in place by another package, a damaged byte or a foreign model would change
 * the images silently. Each entry therefore holds a record ({@value #RECORD}) of its key, what it was
 * built from (the linked model's and weights' SHA-256, ONNX Runtime's version and the CPU) and the
 * size and SHA-256 of both files; it is written last, into a temporary folder renamed into place. On
 * every use the record is compared with the expected key and both files are hashed (a flipped bit in
 * the packed weights is otherwise invisible); an entry that fails is reported in one line, discarded
 * and rebuilt. Where the cache cannot be written (full disk, read-only), the run goes on uncached
 * with one line saying so. The cache keeps to a size limit ({@link #limitBytes()}), evicting the
 * entries used least recently; {@code l2c cache list|clear} shows and empties it, touching nothing in
 * the folder that is not an entry of ours.
 */
public final class OptimizedModelCache {
    static final String MODEL = "optimized.onnx";
    static final String WEIGHTS = "optimized.weights";
    /** The entry's record, written last: an entry without it is incomplete. */
    static final String RECORD = "entry.json";
    static final String FORMAT = "l2c-ort-cache-entry";
    /** The size limit's environment variable: bytes, or with a K, M or G suffix (binary). */
    public static final String LIMIT_ENV = "L2C_ORT_CACHE_LIMIT";
    /** Default limit: one DiT-XL/2 linked model's entry (about 5 GiB) and some small ones. */
    public static final long DEFAULT_LIMIT_BYTES = 6L << 30;

    private static final Pattern ENTRY_NAME = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern TEMP_NAME = Pattern.compile("[0-9a-f]{32}\\.tmp-(\\d+)-[0-9a-f]+");
    private static final JsonMapper JSON = StrictJson.mapper(false);

    /** Where problems with the cache are reported (stderr; tests replace it). */
    static Consumer<String> report = System.err::println;

    /**
     * The folder {@code --ort-cache} names: null for off; {@code auto} is {@code $L2C_CACHE/ort}, else
     * {@code $XDG_CACHE_HOME/l2c/ort}, else {@code ~/.cache/l2c/ort}; an empty or blank value is refused
     * (it would mean the current folder), and so is a file.
     */
    public static Path folder(String ortCache) throws UsageException {
        if (ortCache == null || ortCache.isBlank()) {
            throw new UsageException("--ort-cache must be a folder, auto or off; got an empty value (which"
                    + " would put the cache in the current folder)");
        }
        if (Files.exists(Path.of(ortCache)) && !Files.isDirectory(Path.of(ortCache))) {
            throw new UsageException("--ort-cache " + ortCache + " is a file, not a folder");
        }
        return switch (ortCache) {
            case "off" -> null;
            case "auto" -> {
                String l2c = System.getenv("L2C_CACHE");
                String xdg = System.getenv("XDG_CACHE_HOME");
                Path base = l2c != null && !l2c.isBlank() ? Path.of(l2c)
                        : xdg != null && !xdg.isBlank() ? Path.of(xdg, "l2c")
                        : Path.of(System.getProperty("user.home"), ".cache", "l2c");
                yield base.resolve("ort");
            }
            default -> Path.of(ortCache);
        };
    }

    private OptimizedModelCache() {
    }

    /** What an entry was built from: compared on every use. */
    record Source(String key, String modelSha, String weightsSha, List<String> platform) {
        static Source of(String modelSha, String weightsSha) {
            return of(modelSha, weightsSha, OrtRuntime.platformSignature());
        }

        static Source of(String modelSha, String weightsSha, List<String> platform) {
            return new Source(OptimizedModelCache.key(modelSha, weightsSha, platform), modelSha, weightsSha,
                    List.copyOf(platform));
        }
    }

    /** The session for {@code model}, from the cache under {@code root} when a sound entry is there, else created and saved there. */
    static OrtSession open(OrtEnvironment env, Path root, Path model, String modelSha, String weightsSha,
                           OrtRuntime.Options options) throws L2cException {
        Source source = Source.of(modelSha, weightsSha);
        Path entry = root.resolve(source.key());
        removeStaleTemporaryFolders(root);
        if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
            String problem = problemWith(entry, source);
            if (problem == null) {
                try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options)) {
                    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
                    OrtSession session = env.createSession(entry.resolve(MODEL).toString(), so);
                    touch(entry);
                    return session;
                } catch (OrtException e) {
                    problem = "ONNX Runtime cannot load it (" + firstLine(e.getMessage()) + ")";
                }
            }
            report.accept("l2c: " + entry + ": " + problem + "; discarded, rebuilding the ONNX Runtime cache entry");
            AtomicOutput.deleteTreeQuietly(entry);
        }
        return createAndSave(root, entry, source, model, options);
    }

    private static OrtSession createAndSave(Path root, Path entry, Source source, Path model, OrtRuntime.Options options)
            throws L2cException {
        Path temp = root.resolve(entry.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
        try {
            Files.createDirectories(temp);
        } catch (IOException e) {
            return uncached(model, options, root, "cannot create a folder there (" + e.getMessage() + ")");
        }
        OrtSession session;
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options)) {
            so.setOptimizedModelFilePath(temp.resolve(MODEL).toString());
            so.addConfigEntry("session.optimized_model_external_initializers_file_name", WEIGHTS);
            so.addConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", "1024");
            so.addConfigEntry("session.save_external_prepacked_constant_initializers", "1");
            session = OrtRuntime.open(model, so);
        } catch (OrtException e) {
            AtomicOutput.deleteTreeQuietly(temp);
            throw new ProviderException(model, "cannot configure ONNX Runtime: " + e.getMessage());
        } catch (Interrupted e) {
            AtomicOutput.deleteTreeQuietly(temp);
            throw e;
        } catch (L2cException e) {
            // saving the optimized form failed (a full disk fails the session creation), or the model
            // itself cannot be loaded: without the cache, the first case runs and the second fails as it should
            AtomicOutput.deleteTreeQuietly(temp);
            return uncached(model, options, root, e.getMessage());
        }
        try {
            writeRecord(temp, source, model);
            Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE);
            long bytes = folderBytes(entry);
            report.accept(String.format(Locale.ROOT, "l2c: saved ONNX Runtime's optimized form of %s in %s (%.1f MiB);"
                    + " later runs open it without optimizing or packing weights again (--ort-cache off: no cache)",
                    model.getParent().getFileName(), entry, bytes / 1048576.0));
            evict(root, limitBytes(), entry);
        } catch (IOException e) {
            // another process saved the same entry first, or the disk filled up: this run goes on uncached
            AtomicOutput.deleteTreeQuietly(temp);
            if (!Files.exists(entry)) {
                report.accept("l2c: " + root + ": cannot save ONNX Runtime's optimized form (" + e.getMessage()
                        + "); running without the cache");
            }
        }
        return session;
    }

    private static OrtSession uncached(Path model, OrtRuntime.Options options, Path root, String why) throws L2cException {
        OrtSession session;
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options)) {
            session = OrtRuntime.open(model, so);
        }
        report.accept("l2c: " + root + ": cannot save ONNX Runtime's optimized form (" + firstLine(why)
                + "); running without the cache");
        return session;
    }

    // ------------------------------------------------------------------ the record

    private static void writeRecord(Path temp, Source source, Path model) throws IOException {
        ObjectNode r = JSON.createObjectNode();
        r.put("format", FORMAT);
        r.put("version", 1);
        r.put("key", source.key());
        r.put("linked_model_sha256", source.modelSha());
        r.put("weights_sha256", source.weightsSha());
        source.platform().forEach(r.putArray("platform")::add);
        r.put("source", model.toAbsolutePath().toString());
        r.put("created_by", ToolVersion.nameAndVersion());
        ObjectNode files = r.putObject("files");
        for (String name : List.of(MODEL, WEIGHTS)) {
            Path f = temp.resolve(name);
            files.putObject(name).put("bytes", Files.size(f)).put("sha256", Sha256.of(f));
        }
        Files.write(temp.resolve(RECORD), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r));
    }

    /**
     * Why the entry at {@code entry} cannot be used for {@code expected}, or null when it can: its
     * record, key and source, and both files' sizes and SHA-256.
     */
    static String problemWith(Path entry, Source expected) {
        // the record's values are quoted into the message: a newline in them must not make a second line
        String problem = findProblem(entry, expected);
        return problem == null ? null : L2cException.oneLine(problem);
    }

    private static String findProblem(Path entry, Source expected) {
        JsonNode r;
        try {
            r = readRecord(entry);
        } catch (BadEntry e) {
            return e.getMessage();
        }
        if (!expected.key().equals(r.path("key").asText())) {
            return "its record is for another model (key " + r.path("key").asText() + ", expected " + expected.key() + ")";
        }
        if (!expected.modelSha().equals(r.path("linked_model_sha256").asText())
                || !expected.weightsSha().equals(r.path("weights_sha256").asText())) {
            return "its record names another linked model or weights than this package's";
        }
        List<String> platform = new ArrayList<>();
        r.path("platform").forEach(p -> platform.add(p.asText()));
        if (!expected.platform().equals(platform)) {
            return "it was built by another ONNX Runtime or for another CPU";
        }
        for (String name : List.of(MODEL, WEIGHTS)) {
            JsonNode f = r.path("files").path(name);
            Path file = entry.resolve(name);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return name + " is missing or not a regular file";
            }
            try {
                long size = Files.size(file);
                if (size != f.path("bytes").asLong(-1)) {
                    return name + " has " + size + " bytes, its record " + f.path("bytes").asText() + " (truncated or replaced)";
                }
                if (!Sha256.of(file).equals(f.path("sha256").asText())) {
                    return name + " does not match the SHA-256 of its record (damaged or replaced)";
                }
            } catch (IOException e) {
                return "cannot read " + name + " (" + e.getMessage() + ")";
            }
        }
        return null;
    }

    /**
     * As {@link #problemWith(Path, Source)} for an entry built from {@code modelSha}/{@code weightsSha} on
     * {@code platform} (public for the fuzz tests of the record reader, which fix the platform).
     */
    public static String problemWith(Path entry, String modelSha, String weightsSha, List<String> platform) {
        return problemWith(entry, Source.of(modelSha, weightsSha, platform));
    }

    /** Why an entry's record cannot be used, in words that follow the entry's path. */
    private static final class BadEntry extends Exception {
        BadEntry(String why) {
            super(why, null, false, false);
        }
    }

    private static JsonNode readRecord(Path entry) throws BadEntry {
        if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            throw new BadEntry("is not a folder");
        }
        Path record = entry.resolve(RECORD);
        if (!Files.isRegularFile(record, LinkOption.NOFOLLOW_LINKS)) {
            throw new BadEntry("has no " + RECORD + " (incomplete, or written by an older l2c)");
        }
        JsonNode r;
        try {
            r = StrictJson.read(record, JSON, "cache entry record");
        } catch (InvalidInputException e) {
            throw new BadEntry(RECORD + " unreadable: " + e.getMessage());
        }
        if (!r.isObject() || !FORMAT.equals(r.path("format").asText()) || r.path("version").asInt() != 1) {
            throw new BadEntry(RECORD + " is not an l2c cache entry record of version 1");
        }
        return r;
    }

    // ------------------------------------------------------------------ listing, limit, eviction

    /** One entry as {@code l2c cache list} shows it; {@code problem} null when its record is sound (files not hashed). */
    public record Entry(Path folder, long bytes, Instant lastUsed, String source, String problem) {
    }

    /** The entries under {@code root}, most recently used first; cheap: records and sizes are checked, files not hashed. */
    public static List<Entry> list(Path root) {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (var children = Files.list(root)) {
            for (Path p : children.toList()) {
                if (!ENTRY_NAME.matcher(p.getFileName().toString()).matches()
                        || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                String problem = null;
                String source = "?";
                try {
                    JsonNode r = readRecord(p);
                    source = r.path("source").asText("?");
                    if (!p.getFileName().toString().equals(r.path("key").asText())) {
                        problem = "record is for another key";
                    }
                    for (String name : List.of(MODEL, WEIGHTS)) {
                        Path f = p.resolve(name);
                        if (problem == null && (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                                || Files.size(f) != r.path("files").path(name).path("bytes").asLong(-1))) {
                            problem = name + " missing or of another size than recorded";
                        }
                    }
                } catch (BadEntry | IOException e) {
                    problem = e.getMessage();
                }
                out.add(new Entry(p, folderBytes(p), lastUsed(p), L2cException.oneLine(source),
                        L2cException.oneLine(problem)));
            }
        } catch (IOException e) {
            // an unreadable cache folder lists as empty
        }
        out.sort(Comparator.comparing(Entry::lastUsed).reversed());
        return out;
    }

    /**
     * Deletes every entry under {@code root} and the temporary folders of runs that are gone; leaves
     * anything else in the folder alone (it is not ours). Returns the bytes freed.
     */
    public static long clear(Path root) {
        long freed = 0;
        for (Entry e : list(root)) {
            freed += e.bytes();
            AtomicOutput.deleteTreeQuietly(e.folder());
        }
        removeStaleTemporaryFolders(root);
        return freed;
    }

    /** The size limit: {@value #LIMIT_ENV} when set, else {@link #DEFAULT_LIMIT_BYTES}. */
    public static long limitBytes() {
        String v = System.getenv(LIMIT_ENV);
        if (v == null || v.isBlank()) {
            return DEFAULT_LIMIT_BYTES;
        }
        Long parsed = parseBytes(v.trim());
        if (parsed == null) {
            report.accept("l2c: " + LIMIT_ENV + "=" + L2cException.oneLine(v) + " is not a size (bytes, or with K, M or G); using "
                    + (DEFAULT_LIMIT_BYTES >> 30) + "G");
            return DEFAULT_LIMIT_BYTES;
        }
        return parsed;
    }

    static Long parseBytes(String v) {
        long unit = 1;
        char last = Character.toUpperCase(v.charAt(v.length() - 1));
        if (last == 'K' || last == 'M' || last == 'G') {
            unit = last == 'K' ? 1L << 10 : last == 'M' ? 1L << 20 : 1L << 30;
            v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v);
            return n < 0 ? null : Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    /** Removes the least recently used entries other than {@code keep} until the cache fits {@code limit}. */
    static void evict(Path root, long limit, Path keep) {
        List<Entry> entries = list(root);
        long total = entries.stream().mapToLong(Entry::bytes).sum();
        for (int i = entries.size() - 1; i >= 0 && total > limit; i--) {
            Entry e = entries.get(i);
            if (e.folder().equals(keep)) {
                continue;
            }
            AtomicOutput.deleteTreeQuietly(e.folder());
            total -= e.bytes();
            report.accept(String.format(Locale.ROOT, "l2c: removed %s from the ONNX Runtime cache (%.1f MiB, least"
                    + " recently used) to keep it within %.1f GiB (%s)", e.folder().getFileName(), e.bytes() / 1048576.0,
                    limit / 1073741824.0, LIMIT_ENV));
        }
    }

    /** Temporary entries of runs that were killed: nothing else would remove them. */
    static void removeStaleTemporaryFolders(Path root) {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (var children = Files.list(root)) {
            for (Path p : children.toList()) {
                var m = TEMP_NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        if (ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                            AtomicOutput.deleteTreeQuietly(p);
                        }
                    } catch (NumberFormatException e) {
                        // not a pid: not ours
                    }
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    private static void touch(Path entry) {
        try {
            Files.setLastModifiedTime(entry.resolve(RECORD), FileTime.from(Instant.now()));
        } catch (IOException e) {
            // a read-only cache still serves; its order of eviction is then its order of creation
        }
    }

    private static Instant lastUsed(Path entry) {
        try {
            return Files.getLastModifiedTime(entry.resolve(RECORD), LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    private static long folderBytes(Path folder) {
        try (var walk = Files.walk(folder)) {
            return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** SHA-256 over the model's and weights' checksums, ONNX Runtime's version, and the CPU. */
    static String key(String modelSha, String weightsSha) {
        return key(modelSha, weightsSha, OrtRuntime.platformSignature());
    }

    /** The key of an entry built from {@code modelSha}/{@code weightsSha} on {@code platform}. */
    public static String key(String modelSha, String weightsSha, List<String> platform) {
        MessageDigest d = Sha256.digest();
        List<String> parts = new ArrayList<>(List.of(modelSha, weightsSha));
        parts.addAll(platform);
        for (String part : parts) {
            d.update(part.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
        }
        return Sha256.hex(d).substring(0, 32);
    }
}
