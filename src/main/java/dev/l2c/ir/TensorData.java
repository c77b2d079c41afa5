package dev.l2c.ir;

import java.nio.ByteBuffer;

/**
 * Where the bytes of a constant tensor live. The IR never copies weight bytes: a reader hands out
 * views of the memory-mapped model file (embedded {@code raw_data}) or of an external-data file, and
 * a writer streams them to their destination.
 */
public interface TensorData {

    /** Size in bytes. */
    long byteSize();

    /**
     * The bytes, little-endian, as a read-only buffer positioned at 0. May be memory-mapped; may be
     * created on each call, so callers that need them twice should keep the buffer.
     *
     * @throws java.io.UncheckedIOException when an external file cannot be read
     */
    ByteBuffer bytes();

    /** Where the bytes come from, for messages: "embedded", or "file.bin@offset". */
    String origin();

    /** In-memory bytes; the buffer is not copied, so the caller must not change it afterwards. */
    static TensorData of(ByteBuffer bytes) {
        return new BufferTensorData(bytes.asReadOnlyBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN), "embedded");
    }

    static TensorData of(byte[] bytes) {
        return of(ByteBuffer.wrap(bytes));
    }
}
