package dev.l2c.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A constant tensor (an initializer or a tensor attribute): name, element type, dimensions and where
 * its bytes live. Immutable; the bytes are not loaded until someone asks for them.
 */
public final class Tensor {
    private final String name;
    private final DataType type;
    private final long[] dims;
    private final TensorData data;
    private final ProtoExtras extras;

    public Tensor(String name, DataType type, long[] dims, TensorData data, ProtoExtras extras) {
        this.name = name;
        this.type = type;
        this.dims = dims.clone();
        this.data = data;
        this.extras = extras == null ? ProtoExtras.NONE : extras;
        long expected = type.bitWidth == 0 ? -1 : type.byteSize(elementCount());
        if (expected >= 0 && data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' " + type.shortName + Arrays.toString(dims)
                    + " needs " + expected + " bytes but its data (" + data.origin() + ") has " + data.byteSize());
        }
    }

    public Tensor(String name, DataType type, long[] dims, TensorData data) {
        this(name, type, dims, data, ProtoExtras.NONE);
    }

    public static Tensor ofFloats(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new Tensor(name, DataType.FLOAT, dims, TensorData.of(b));
    }

    public static Tensor ofLongs(String name, long[] dims, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new Tensor(name, DataType.INT64, dims, TensorData.of(b));
    }

    public String name() {
        return name;
    }

    public DataType type() {
        return type;
    }

    public long[] dims() {
        return dims.clone();
    }

    public Shape shape() {
        return Shape.of(dims);
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    public TensorData data() {
        return data;
    }

    public ProtoExtras extras() {
        return extras;
    }

    public Tensor withName(String newName) {
        return new Tensor(newName, type, dims, data, extras);
    }

    /** The values of an integer tensor (int64/int32), for shape computations. Small tensors only. */
    public long[] toLongs() {
        ByteBuffer b = data.bytes();
        int n = (int) elementCount();
        long[] out = new long[n];
        switch (type) {
            case INT64 -> b.asLongBuffer().get(out);
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(4 * i);
                }
            }
            default -> throw new IllegalStateException("tensor '" + name + "' is " + type.shortName + ", not an integer tensor");
        }
        return out;
    }

    /** The values of a float32 tensor. */
    public float[] toFloats() {
        if (type != DataType.FLOAT) {
            throw new IllegalStateException("tensor '" + name + "' is " + type.shortName + ", not float32");
        }
        float[] out = new float[(int) elementCount()];
        data.bytes().asFloatBuffer().get(out);
        return out;
    }

    @Override
    public String toString() {
        return name + ":" + type.shortName + Arrays.toString(dims);
    }
}
