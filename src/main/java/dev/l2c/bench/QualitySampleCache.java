package dev.l2c.bench;

import dev.l2c.modelcard.Conditioning;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npy;
import dev.l2c.io.Sha256;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.sampler.Sampler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The benchmark's quality samples kept on disk, one file per batch, so that hours of FD generation
 * survive an interrupted run (the next run resumes at the first missing batch) and the configurations
 * every comparison shares (the full schedule, fewer steps) are generated once for all the benchmarks
 * that use them, at any sample count: sample i comes from the i-th image of one noise stream, so the
 * first 1 000 samples of a 2 000-sample run are those of a 1 000-sample run.
 *
 * <p>A batch's file is named by everything its bits depend on: the bytes of what runs (every file of
 * the compiled package; for the plain loop the model file, its card and the sampler), the noise seed,
 * the batch's first sample and size, the class count of the label rule, the guidance scale, the
 * threads and memory policy, and the platform ({@link OrtRuntime#platformSignature()}: ONNX Runtime's
 * version and the CPU). A changed schedule, model or runtime misses the cache instead of reusing it;
 * a change to this project's own runner code does not change the key, so clear the folder after one
 * (the runner is exact against the references, and its tests say so). Files are written atomically,
 * each named with the SHA-256 of its bytes, and checked against it when read ({@link #load}).
 */
final class QualitySampleCache {
    private static final String FORMAT = "l2c quality samples 1";

    private final Path folder;

    private QualitySampleCache(Path folder) {
        this.folder = folder;
    }

    /** A cache in {@code folder} (created on first write), or none when {@code folder} is null. */
    static QualitySampleCache at(Path folder) {
        return new QualitySampleCache(folder);
    }

    boolean enabled() {
        return folder != null;
    }

    /**
     * What identifies one configuration's quality samples, batches apart: SHA-256 hex over the bytes of
     * what runs and the settings that shape its samples.
     */
    String configurationKey(LoadedModel model, Path packageFolder, Sampler sampler, Benchmark.Settings s,
                            OrtRuntime.Options runtime, String conditions) throws L2cException {
        if (!enabled()) {
            return null;
        }
        MessageDigest d = Sha256.digest();
        List<String> parts = new ArrayList<>(List.of(FORMAT, "seed " + (s.seed() + 1), conditions,
                String.format(Locale.ROOT, "cfg %.9g", s.cfg()), "threads " + threadCount(runtime.threads()),
                "provider " + runtime.provider(), "memory " + runtime.memory(), "device " + runtime.deviceId()));
        parts.addAll(OrtRuntime.platformSignature());
        try {
            if (packageFolder == null) {
                parts.add("plain " + sampler.name() + " " + sampler.evaluations() + " clip " + sampler.clipRange());
                parts.add("model " + Sha256.of(model.file()));
                if (model.cardFile() != null) {
                    parts.add("card " + Sha256.of(model.cardFile()));
                    if (model.card().conditioning() instanceof Conditioning.TextTokens t && t.encoder() != null) {
                        parts.add("text encoder " + Sha256.of(model.cardFile().toAbsolutePath().getParent()
                                .resolve(t.encoder().model())));
                    }
                }
            } else {
                for (Path f : packageFiles(packageFolder)) {
                    parts.add(packageFolder.relativize(f) + " " + Sha256.of(f));
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException(packageFolder == null ? model.file() : packageFolder,
                    "cannot read it to key the sample cache: " + e.getMessage());
        }
        for (String part : parts) {
            d.update(part.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
        }
        return Sha256.hex(d);
    }

    /**
     * The cached samples of the batch of {@code size} samples from sample {@code start}, or null when
     * none are saved. A batch is checked, not trusted: its file name ends with the SHA-256 of its bytes,
     * and a file whose bytes do not hash to it (edited, zeroed, damaged), that does not read back as
     * {@code size} samples, or that holds a non-finite value is reported in one line, deleted and
     * generated again: it would otherwise change the reported FD silently.
     */
    float[] load(String key, int start, int size, int sampleElements) {
        if (!enabled()) {
            return null;
        }
        for (Path file : batchFiles(key, start, size)) {
            String problem = problemWith(file, size, sampleElements);
            if (problem == null) {
                try {
                    return Npy.read(file).asFloats();
                } catch (InvalidInputException | RuntimeException e) {
                    problem = "unreadable (" + e.getMessage() + ")";
                }
            }
            System.err.println("l2c: " + file + ": " + problem + "; deleted, the batch is generated again");
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // left in place; it fails its check again next time
            }
        }
        return null;
    }

    /** Why the batch file cannot be used, or null. */
    private static String problemWith(Path file, int size, int sampleElements) {
        String name = file.getFileName().toString();
        String declared = name.substring(name.lastIndexOf('-') + 1, name.length() - ".npy".length());
        try {
            if (!Sha256.of(file).equals(declared)) {
                return "its bytes do not match the SHA-256 in its name (edited or damaged)";
            }
            float[] x = Npy.read(file).asFloats();
            if (x.length != (long) size * sampleElements) {
                return "holds " + x.length + " values, not " + size + " samples of " + sampleElements;
            }
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(x[i])) {
                    return "holds " + x[i] + " at value " + i + " (samples are finite)";
                }
            }
            return null;
        } catch (IOException | InvalidInputException | RuntimeException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /** Saves one batch's samples (atomically: a stop mid-write leaves no file), named with its SHA-256. */
    void store(String key, int start, int size, int sampleElements, float[] samples) throws OutputException {
        if (!enabled()) {
            return;
        }
        Path dir = folder.resolve(key.substring(0, 32));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OutputException(dir, "cannot create the sample cache folder: " + e.getMessage());
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(samples.length * 4 + 128);
        try {
            Npy.write(bytes, NdArray.ofFloats(samples, size, sampleElements));
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        byte[] data = bytes.toByteArray();
        MessageDigest d = Sha256.digest();
        d.update(data);
        Path file = dir.resolve(String.format(Locale.ROOT, "samples-%07d-%d-%s.npy", start, size, Sha256.hex(d)));
        dev.l2c.io.AtomicOutput.writeFile(file, out -> out.write(data));
    }

    /** The files saved for one batch (normally one), in the folder named by the configuration's key. */
    List<Path> batchFiles(String key, int start, int size) {
        Path dir = folder.resolve(key.substring(0, 32));
        String prefix = String.format(Locale.ROOT, "samples-%07d-%d-", start, size);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> {
                String n = f.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(".npy") && n.length() == prefix.length() + 64 + 4
                        && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int threadCount(int threads) {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    private static List<Path> packageFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Override
    public String toString() {
        return enabled() ? "sample cache " + folder : "no sample cache";
    }
}
