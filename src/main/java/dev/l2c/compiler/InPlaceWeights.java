package dev.l2c.compiler;

import dev.l2c.io.Sha256;
import dev.l2c.ir.ExternalTensorData;
import dev.l2c.ir.Model;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The source model's external-data file, referenced in place: the package's weights file is a hard
 * link to it, and every tensor keeps its source offset. No weight byte is copied. Applies only when
 * every initializer of the source lives in one external file at 4096-aligned offsets and the package
 * is on the same file system; {@link #tryLink} says null otherwise and the compiler copies instead.
 *
 * <p>A hard link shares the file: changing the source weights in place would change the package too
 * (its manifest checksum then no longer matches, and the runner refuses it).
 */
public final class InPlaceWeights implements WeightsSink {
    private final Path source;
    private final Path link;
    private final long size;
    private long hashNanos;
    private String sha;

    private InPlaceWeights(Path source, Path link, long size) {
        this.source = source;
        this.link = link;
        this.size = size;
    }

    /** Links {@code target} to the model's single external-data file, or returns null when that cannot apply. */
    public static InPlaceWeights tryLink(Model model, Path target) {
        Path file = null;
        for (Value init : model.graph().initializers()) {
            Tensor t = init.initializer();
            if (!(t.data() instanceof ExternalTensorData ext) || ext.offset() % WeightsFileWriter.ALIGNMENT != 0) {
                return null;
            }
            if (file == null) {
                file = ext.file();
            } else if (!file.equals(ext.file())) {
                return null;
            }
        }
        if (file == null) {
            return null;
        }
        try {
            Files.createLink(target, file);
            return new InPlaceWeights(file, target, Files.size(file));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null; // another file system, or links not allowed: copy instead
        }
    }

    @Override
    public OnnxWriter.ExternalRef place(Tensor tensor) {
        if (WeightsSink.embedded(tensor)) {
            return null;
        }
        if (!(tensor.data() instanceof ExternalTensorData ext) || !ext.file().equals(source)) {
            throw new IllegalStateException("tensor " + tensor.name() + " is not in the linked weights file");
        }
        return new OnnxWriter.ExternalRef(link.getFileName().toString(), ext.offset(), ext.byteSize());
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String sha256() throws IOException {
        if (sha == null) {
            long t0 = System.nanoTime();
            sha = Sha256.of(link);
            hashNanos = System.nanoTime() - t0;
        }
        return sha;
    }

    @Override
    public long copyNanos() {
        return hashNanos;
    }

    @Override
    public String mode() {
        return "linked";
    }

    @Override
    public void close() {
        // nothing open
    }
}
