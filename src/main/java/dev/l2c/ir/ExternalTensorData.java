package dev.l2c.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Tensor bytes in an ONNX external-data file, mapped into memory only when {@link #bytes()} is
 * called. The reader has already checked that {@code offset + length} lies inside the file.
 */
public final class ExternalTensorData implements TensorData {
    private final Path file;
    private final long offset;
    private final long length;

    public ExternalTensorData(Path file, long offset, long length) {
        this.file = file;
        this.offset = offset;
        this.length = length;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    @Override
    public long byteSize() {
        return length;
    }

    @Override
    public ByteBuffer bytes() {
        if (length > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException(origin() + ": tensors over 2 GiB are not supported");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, length).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(origin() + ": cannot read external data: " + e.getMessage(), e);
        }
    }

    @Override
    public String origin() {
        return file.getFileName() + "@" + offset;
    }
}
