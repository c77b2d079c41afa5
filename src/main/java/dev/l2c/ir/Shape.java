package dev.l2c.ir;

import java.util.ArrayList;
import java.util.List;

/** A tensor shape: an immutable list of {@link Dim}s. A rank-0 shape is a scalar. */
public record Shape(List<Dim> dims) {

    public Shape {
        dims = List.copyOf(dims);
    }

    public static final Shape SCALAR = new Shape(List.of());

    public static Shape of(long... sizes) {
        List<Dim> d = new ArrayList<>(sizes.length);
        for (long s : sizes) {
            d.add(Dim.of(s));
        }
        return new Shape(d);
    }

    public static Shape of(Dim... dims) {
        return new Shape(List.of(dims));
    }

    public int rank() {
        return dims.size();
    }

    public Dim dim(int axis) {
        return dims.get(axis);
    }

    public boolean hasUnknown() {
        return dims.stream().anyMatch(Dim::isUnknown);
    }

    /** Product of all dimensions (UNKNOWN where a factor is unknown or two symbols meet). */
    public Dim elementCount() {
        Dim n = Dim.of(1);
        for (Dim d : dims) {
            n = n.times(d);
        }
        return n;
    }

    /** Element count with every symbolic dimension bound to {@code symbolValue} (e.g. batch = 1). */
    public long elementCount(long symbolValue) {
        long n = 1;
        for (Dim d : dims) {
            n *= d.evaluate(symbolValue);
        }
        return n;
    }

    /** The concrete sizes with every symbol bound to {@code symbolValue}. */
    public long[] evaluate(long symbolValue) {
        long[] out = new long[dims.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dims.get(i).evaluate(symbolValue);
        }
        return out;
    }

    @Override
    public String toString() {
        return dims.toString();
    }
}
