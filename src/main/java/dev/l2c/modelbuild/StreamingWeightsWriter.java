package dev.l2c.modelbuild;

import dev.l2c.ir.DataType;
import dev.l2c.ir.ExternalTensorData;
import dev.l2c.ir.Tensor;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Generates float32 weight tensors straight into an ONNX external-data file, one chunk of at most
 * {@value #CHUNK_BYTES} bytes at a time, so building a model of any size holds one chunk of weights
 * in memory, never a tensor. Each tensor starts at a multiple of {@value #ALIGNMENT} bytes (so ONNX
 * Runtime can memory-map it) and is returned as a {@link Tensor} whose bytes are that region of the
 * file ({@link ExternalTensorData}).
 *
 * <p>Each tensor's random values come from a generator seeded by the model seed and the tensor's
 * name alone, so a tensor's values do not depend on which tensors were written before it: a model
 * one block deeper shares the first blocks' weights with the shallower one.
 */
final class StreamingWeightsWriter implements Closeable {
    static final int ALIGNMENT = 4096;
    static final int CHUNK_BYTES = 1 << 20;

    private final Path file;
    private final long seed;
    private final FileChannel channel;
    private final ByteBuffer chunk;
    private final ByteBuffer padding;
    private final LongConsumer bytesWritten;
    private long position;
    private long parameters;
    private int tensors;
    private long largestBufferBytes;

    /**
     * @param file         the external-data file to create (must not exist)
     * @param seed         the model seed
     * @param bytesWritten told the file size after every chunk (for a progress bar)
     */
    StreamingWeightsWriter(Path file, long seed, LongConsumer bytesWritten) throws IOException {
        this.file = file;
        this.seed = seed;
        this.bytesWritten = bytesWritten;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.chunk = allocate(CHUNK_BYTES);
        this.padding = allocate(ALIGNMENT);
    }

    private ByteBuffer allocate(int bytes) {
        largestBufferBytes = Math.max(largestBufferBytes, bytes);
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes a float32 tensor of shape {@code dims} made by {@code init}; returns it, backed by the file. */
    Tensor write(String name, long[] dims, WeightInit init) throws IOException {
        long elements = 1;
        for (long d : dims) {
            elements *= d;
        }
        if (elements <= 0 || elements > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("weight '" + name + "' " + Arrays.toString(dims)
                    + " is empty or over 2 GiB");
        }
        align();
        long offset = position;
        WeightInit.Source source = init.open(tensorSeed(seed, name));
        long left = elements;
        while (left > 0) {
            int count = (int) Math.min(left, CHUNK_BYTES / Float.BYTES);
            chunk.clear();
            FloatBuffer floats = chunk.asFloatBuffer();
            source.fill(floats, count);
            chunk.limit(count * Float.BYTES);
            writeFully(chunk);
            left -= count;
        }
        parameters += elements;
        tensors++;
        long length = elements * Float.BYTES;
        return new Tensor(name, DataType.FLOAT, dims, new ExternalTensorData(file, offset, length));
    }

    private void align() throws IOException {
        long aligned = (position + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        if (aligned > position) {
            padding.clear().limit((int) (aligned - position));
            writeFully(padding);
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            position += channel.write(b);
        }
        bytesWritten.accept(position);
    }

    /** The seed of one tensor: the model seed mixed with a 64-bit hash of the tensor's name. */
    static long tensorSeed(long modelSeed, String name) {
        long h = 0xcbf29ce484222325L; // FNV-1a
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(modelSeed * 0x9e3779b97f4a7c15L + h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Bytes written so far, alignment padding included. */
    long size() {
        return position;
    }

    /** Float32 values written. */
    long parameters() {
        return parameters;
    }

    int tensorCount() {
        return tensors;
    }

    /** The largest buffer this writer allocated: what building holds of the weights at any moment. */
    long largestBufferBytes() {
        return largestBufferBytes;
    }

    Path file() {
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
