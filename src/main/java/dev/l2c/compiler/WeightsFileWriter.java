package dev.l2c.compiler;

import dev.l2c.error.Cancellation;
import dev.l2c.io.Sha256;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorData;
import dev.l2c.ir.serde.OnnxWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The one external-data file all step graphs of a package share. Each distinct tensor is written
 * once, at an offset that is a multiple of 4096 (so ONNX Runtime can memory-map it); a tensor met
 * again (the same bytes object, or equal bytes under another name) gets the existing offset.
 * The file's SHA-256 is computed while writing, so the weights are read once.
 *
 * <p>Acts as the {@link OnnxWriter.TensorPlacement} of every graph it serves.
 */
public final class WeightsFileWriter implements WeightsSink {
    public static final int ALIGNMENT = 4096;
    private static final int CHUNK = 1 << 20;

    private final Path file;
    private final String location;
    private final FileChannel channel;
    private final MessageDigest fileDigest;
    private final Map<TensorData, OnnxWriter.ExternalRef> byData = new IdentityHashMap<>();
    private final Map<Long, List<OnnxWriter.ExternalRef>> byChecksum = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    private long position;
    private long copyNanos;
    private int tensors;

    public WeightsFileWriter(Path file) throws IOException {
        this.file = file;
        this.location = file.getFileName().toString();
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        this.fileDigest = Sha256.digest();
    }

    @Override
    public OnnxWriter.ExternalRef place(Tensor tensor) {
        Cancellation.checkUnchecked(); // copying 2.5 GiB of weights takes seconds: stop between tensors
        if (WeightsSink.embedded(tensor)) {
            return null;
        }
        OnnxWriter.ExternalRef known = byData.get(tensor.data());
        if (known != null) {
            return known;
        }
        long t0 = System.nanoTime();
        try {
            ByteBuffer bytes = tensor.data().bytes();
            long checksum = checksum(bytes.duplicate(), bytes.remaining());
            for (OnnxWriter.ExternalRef candidate : byChecksum.getOrDefault(checksum, List.of())) {
                if (candidate.length() == bytes.remaining() && sameBytes(candidate, bytes.duplicate())) {
                    byData.put(tensor.data(), candidate);
                    return candidate;
                }
            }
            OnnxWriter.ExternalRef ref = append(bytes);
            byData.put(tensor.data(), ref);
            byChecksum.computeIfAbsent(checksum, k -> new ArrayList<>()).add(ref);
            names.add(tensor.name());
            tensors++;
            return ref;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            copyNanos += System.nanoTime() - t0;
        }
    }

    private static long checksum(ByteBuffer b, int length) {
        CRC32C crc = new CRC32C();
        crc.update(b);
        return crc.getValue() ^ ((long) length << 32);
    }

    private boolean sameBytes(OnnxWriter.ExternalRef ref, ByteBuffer bytes) throws IOException {
        ByteBuffer existing = channel.map(FileChannel.MapMode.READ_ONLY, ref.offset(), ref.length());
        return existing.equals(bytes);
    }

    private OnnxWriter.ExternalRef append(ByteBuffer bytes) throws IOException {
        long aligned = (position + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        if (aligned > position) {
            ByteBuffer pad = ByteBuffer.allocate((int) (aligned - position));
            fileDigest.update(pad.duplicate());
            writeFully(pad);
            position = aligned;
        }
        long offset = position;
        int length = bytes.remaining();
        ByteBuffer chunk = bytes.duplicate();
        while (chunk.hasRemaining()) {
            int n = Math.min(CHUNK, chunk.remaining());
            ByteBuffer part = chunk.slice().limit(n);
            fileDigest.update(part.duplicate());
            writeFully(part);
            chunk.position(chunk.position() + n);
        }
        position += length;
        return new OnnxWriter.ExternalRef(location, offset, length);
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    @Override
    public long copyNanos() {
        return copyNanos;
    }

    @Override
    public String mode() {
        return "copied";
    }

    /** Bytes written, including alignment padding. */
    @Override
    public long size() {
        return position;
    }

    /** Distinct tensors written. */
    public int tensorCount() {
        return tensors;
    }

    /** SHA-256 of the whole file, hex; valid after {@link #close()}. */
    @Override
    public String sha256() {
        return HexFormat.of().formatHex(digestCopy());
    }

    private byte[] digestCopy() {
        try {
            return ((MessageDigest) fileDigest.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            channel.force(false);
            channel.close();
        }
    }
}
