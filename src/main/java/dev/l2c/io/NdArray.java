package dev.l2c.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * An n-dimensional array of float32, float64 or int64 elements in C (row-major) order, as read from or
 * written to a .npy file. Exactly one of {@code floats}, {@code longs}, {@code doubles} is non-null: the
 * one that matches {@link #kind}. A rank-0 array (numpy scalar) has an empty shape and one element.
 *
 * <p>Ownership: the factories and the constructor take the data array as it is, without copying, so
 * that reading a large file does not hold two copies. The raw accessors ({@link #floats()},
 * {@link #longs()}, {@link #doubles()}) return that same array; treat it as read-only. The
 * {@code as...} conversions always return a fresh array the caller may modify. {@link #shape()} is
 * copied both ways.
 */
public record NdArray(DataKind kind, long[] shape, float[] floats, long[] longs, double[] doubles) {

    public NdArray {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(shape, "shape");
        shape = shape.clone();
        int present = (floats != null ? 1 : 0) + (longs != null ? 1 : 0) + (doubles != null ? 1 : 0);
        int length = switch (kind) {
            case FLOAT32 -> floats == null ? -1 : floats.length;
            case INT64 -> longs == null ? -1 : longs.length;
            case FLOAT64 -> doubles == null ? -1 : doubles.length;
        };
        if (present != 1 || length < 0) {
            throw new IllegalArgumentException("an NdArray of kind " + kind + " needs exactly its own data array");
        }
        long count = checkedElementCount(shape);
        if (count != length) {
            throw new IllegalArgumentException("shape " + formatShape(shape) + " holds " + count
                    + " elements but the data has " + length);
        }
    }

    public static NdArray ofFloats(float[] data, long... shape) {
        return new NdArray(DataKind.FLOAT32, shape, data, null, null);
    }

    public static NdArray ofLongs(long[] data, long... shape) {
        return new NdArray(DataKind.INT64, shape, null, data, null);
    }

    public static NdArray ofDoubles(double[] data, long... shape) {
        return new NdArray(DataKind.FLOAT64, shape, null, null, data);
    }

    /** A copy of the shape; empty for a scalar. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The size of dimension {@code axis}. */
    public long dim(int axis) {
        return shape[axis];
    }

    /** The number of elements: the product of the shape, 1 for a scalar. */
    public int elementCount() {
        return switch (kind) {
            case FLOAT32 -> floats.length;
            case INT64 -> longs.length;
            case FLOAT64 -> doubles.length;
        };
    }

    /**
     * The elements as float32, in a new array. float64 values are rounded to the nearest float; int64
     * values are converted exactly up to 2^24 in magnitude and rounded beyond that.
     */
    public float[] asFloats() {
        switch (kind) {
            case FLOAT32:
                return floats.clone();
            case FLOAT64: {
                float[] out = new float[doubles.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) doubles[i];
                }
                return out;
            }
            case INT64: {
                float[] out = new float[longs.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = longs[i];
                }
                return out;
            }
            default:
                throw new IllegalStateException("unhandled kind " + kind);
        }
    }

    /** The elements as float64, in a new array (exact for float32, rounded beyond 2^53 for int64). */
    public double[] asDoubles() {
        switch (kind) {
            case FLOAT64:
                return doubles.clone();
            case FLOAT32: {
                double[] out = new double[floats.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = floats[i];
                }
                return out;
            }
            case INT64: {
                double[] out = new double[longs.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = longs[i];
                }
                return out;
            }
            default:
                throw new IllegalStateException("unhandled kind " + kind);
        }
    }

    /**
     * The elements as int64, in a new array. Floating-point elements must be whole numbers in the
     * int64 range (labels or timesteps saved as floats); otherwise this throws ArithmeticException
     * naming the first offending element, which the caller should turn into a message about its file.
     */
    public long[] asLongs() {
        switch (kind) {
            case INT64:
                return longs.clone();
            case FLOAT32: {
                long[] out = new long[floats.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = wholeNumber(floats[i], i);
                }
                return out;
            }
            case FLOAT64: {
                long[] out = new long[doubles.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = wholeNumber(doubles[i], i);
                }
                return out;
            }
            default:
                throw new IllegalStateException("unhandled kind " + kind);
        }
    }

    /** The only element of a one-element array (a numpy scalar such as {@code cfg}), as a double. */
    public double doubleValue() {
        requireSingleElement();
        return switch (kind) {
            case FLOAT32 -> floats[0];
            case INT64 -> longs[0];
            case FLOAT64 -> doubles[0];
        };
    }

    /** The only element of a one-element array, as a long; floating-point values must be whole numbers. */
    public long longValue() {
        requireSingleElement();
        return asLongs()[0];
    }

    /** The shape written as numpy prints it: {@code (4, 1, 28, 28)}, {@code (5,)}, {@code ()}. */
    public String shapeString() {
        return formatShape(shape);
    }

    /** Formats a shape as numpy prints it: {@code (4, 1, 28, 28)}, {@code (5,)}, {@code ()}. */
    public static String formatShape(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        if (shape.length == 1) {
            sb.append(',');
        }
        return sb.append(')').toString();
    }

    /**
     * The product of {@code shape}; throws IllegalArgumentException for a negative dimension or a
     * product too large for a Java array (a zero dimension anywhere makes it 0, however large the rest).
     */
    static long checkedElementCount(long[] shape) {
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + formatShape(shape));
            }
            if (d == 0) {
                return 0;
            }
        }
        long count = 1;
        for (long d : shape) {
            if (count > Integer.MAX_VALUE / d) {
                throw new IllegalArgumentException("shape " + formatShape(shape)
                        + " has more elements than a Java array can hold (" + Integer.MAX_VALUE + ")");
            }
            count *= d;
        }
        return count;
    }

    private void requireSingleElement() {
        if (elementCount() != 1) {
            throw new IllegalStateException("expected a single value, but the array has shape " + shapeString());
        }
    }

    private static long wholeNumber(double v, int index) {
        // 2^63 is exactly representable; anything at or above it does not fit a long.
        if (v != Math.rint(v) || v >= 0x1p63 || v < -0x1p63) {
            throw new ArithmeticException("element " + index + " is " + v + ", not a whole number that fits int64");
        }
        return (long) v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NdArray other
                && kind == other.kind
                && Arrays.equals(shape, other.shape)
                && Arrays.equals(floats, other.floats)
                && Arrays.equals(longs, other.longs)
                && Arrays.equals(doubles, other.doubles);
    }

    @Override
    public int hashCode() {
        int h = kind.hashCode();
        h = 31 * h + Arrays.hashCode(shape);
        h = 31 * h + Arrays.hashCode(floats);
        h = 31 * h + Arrays.hashCode(longs);
        return 31 * h + Arrays.hashCode(doubles);
    }

    /** Kind and shape only: the data can be millions of elements. */
    @Override
    public String toString() {
        return "NdArray[" + kind.numpyName + " " + shapeString() + "]";
    }
}
