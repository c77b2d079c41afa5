package dev.l2c.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Tensor bytes held in a buffer: a slice of a memory-mapped model file, or bytes made in memory. */
public final class BufferTensorData implements TensorData {
    private final ByteBuffer bytes;
    private final String origin;

    public BufferTensorData(ByteBuffer bytes, String origin) {
        this.bytes = bytes.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        this.origin = origin;
    }

    @Override
    public long byteSize() {
        return bytes.remaining();
    }

    @Override
    public ByteBuffer bytes() {
        return bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String origin() {
        return origin;
    }
}
