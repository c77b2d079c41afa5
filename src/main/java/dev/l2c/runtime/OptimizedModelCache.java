package dev.l2c.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.io.Sha256;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * ONNX Runtime's optimized form of a linked model, saved once and reused. Creating a session for an
 * unrolled sampling run costs more than for one step: ONNX Runtime prepacks a weight once per node
 * that reads it, and each step has its own nodes (measured on DiT-XL/2 DDIM-20: 25 of the 28 s of
 * session creation; 1.3 s with prepacking off). Saved with its prepacked weights in an external file
 * ({@code session.save_external_prepacked_constant_initializers}), the optimized model opens without
 * optimizing again and maps the packed weights from disk instead of packing them: DiT-XL/2's peak
 * resident memory during creation drops from the original plus the packed weights to about the packed
 * weights alone.
 *
 * <p>The saved form is specific to the ONNX Runtime build and the CPU (its optimizations and packed
 * layouts may use the CPU's instruction set), so the cache key holds both, beside the SHA-256 of the
 * linked model and its weights: a changed package, another ONNX Runtime or another CPU gets a fresh
 * entry. Entries are written into a temporary folder and renamed into place, so a crash leaves no
 * half-written entry; a damaged entry that ONNX Runtime refuses is removed and rebuilt.
 */
final class OptimizedModelCache {
    static final String MODEL = "optimized.onnx";
    static final String WEIGHTS = "optimized.weights";
    private static final String COMPLETE = "complete";

    private OptimizedModelCache() {
    }

    /** The session for {@code model}, from the cache under {@code root} when present, else created and saved there. */
    static OrtSession open(OrtEnvironment env, Path root, Path model, String modelSha, String weightsSha,
                           OrtRuntime.Options options) throws L2cException {
        Path entry = root.resolve(key(modelSha, weightsSha));
        if (Files.isRegularFile(entry.resolve(COMPLETE))) {
            try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options, 1)) {
                so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
                return env.createSession(entry.resolve(MODEL).toString(), so);
            } catch (OrtException e) {
                // damaged or from another build after all: rebuild it
                AtomicOutput.deleteTreeQuietly(entry);
            }
        }
        Path temp = root.resolve(entry.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.createDirectories(temp);
        } catch (IOException e) {
            // no cache where it cannot be written: open as without one
            try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options, 1)) {
                return OrtRuntime.open(model, so);
            }
        }
        OrtSession session;
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options, 1)) {
            so.setOptimizedModelFilePath(temp.resolve(MODEL).toString());
            so.addConfigEntry("session.optimized_model_external_initializers_file_name", WEIGHTS);
            so.addConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", "1024");
            so.addConfigEntry("session.save_external_prepacked_constant_initializers", "1");
            session = OrtRuntime.open(model, so);
        } catch (OrtException e) {
            AtomicOutput.deleteTreeQuietly(temp);
            throw new ProviderException(model, "cannot configure ONNX Runtime: " + e.getMessage());
        } catch (L2cException e) {
            AtomicOutput.deleteTreeQuietly(temp); // a half-written entry never stays, whatever stopped it
            throw e;
        }
        try {
            Files.writeString(temp.resolve(COMPLETE), "ONNX Runtime's optimized form of " + model + "\n",
                    StandardCharsets.UTF_8);
            Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE);
            long bytes = Files.size(entry.resolve(MODEL)) + Files.size(entry.resolve(WEIGHTS));
            System.err.printf(Locale.ROOT, "l2c: saved ONNX Runtime's optimized form of %s in %s (%.1f MiB); later "
                    + "runs open it without optimizing or packing weights again (--ort-cache off: no cache)%n",
                    model.getParent().getFileName(), entry, bytes / 1048576.0);
        } catch (IOException e) {
            // another process saved the same entry first, or the disk is full: this run goes on uncached
            AtomicOutput.deleteTreeQuietly(temp);
        }
        return session;
    }

    /** SHA-256 over the model's and weights' checksums, ONNX Runtime's version, and the CPU. */
    static String key(String modelSha, String weightsSha) {
        MessageDigest d = Sha256.digest();
        List<String> parts = new java.util.ArrayList<>(List.of(modelSha, weightsSha));
        parts.addAll(OrtRuntime.platformSignature());
        for (String part : parts) {
            d.update(part.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
        }
        return Sha256.hex(d).substring(0, 32);
    }
}
