package dev.l2c.ir;

/**
 * One dimension of a tensor shape: a known size, a symbolic size ({@code factor × symbol}, e.g. the
 * dynamic batch "batch" or the doubled batch "2*batch"), or unknown. Immutable.
 *
 * <p>The factor lets shape inference follow the reshapes transformers do with a dynamic batch
 * (attention folds heads into the batch: {@code 4*batch}) without a symbolic algebra.
 */
public record Dim(long factor, String symbol) {

    public static final String UNKNOWN_SYMBOL = "?";
    public static final Dim UNKNOWN = new Dim(1, UNKNOWN_SYMBOL);

    public static Dim of(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative dimension " + size);
        }
        return new Dim(size, null);
    }

    public static Dim symbolic(String symbol) {
        return new Dim(1, symbol);
    }

    public boolean isKnown() {
        return symbol == null;
    }

    public boolean isUnknown() {
        return UNKNOWN_SYMBOL.equals(symbol);
    }

    /** The size; only for known dimensions. */
    public long value() {
        if (!isKnown()) {
            throw new IllegalStateException("dimension " + this + " is not a known size");
        }
        return factor;
    }

    public Dim times(Dim other) {
        if (isKnown() && other.isKnown()) {
            return of(factor * other.factor);
        }
        if (isUnknown() || other.isUnknown()) {
            return UNKNOWN;
        }
        if (isKnown()) {
            return factor == 0 ? of(0) : new Dim(factor * other.factor, other.symbol);
        }
        if (other.isKnown()) {
            return other.factor == 0 ? of(0) : new Dim(factor * other.factor, symbol);
        }
        return UNKNOWN; // symbol × symbol is outside what we track
    }

    /** This divided by a known size, or UNKNOWN where that is not exact. */
    public Dim dividedBy(Dim divisor) {
        if (divisor.isKnown() && divisor.factor != 0 && factor % divisor.factor == 0 && !isUnknown()) {
            return new Dim(factor / divisor.factor, symbol);
        }
        if (!divisor.isKnown() && !isKnown() && !isUnknown() && symbol.equals(divisor.symbol)
                && factor % divisor.factor == 0) {
            return of(factor / divisor.factor);
        }
        return UNKNOWN;
    }

    /** The value this dimension takes when every symbol is bound to {@code symbolValue}. */
    public long evaluate(long symbolValue) {
        if (isUnknown()) {
            throw new IllegalStateException("cannot evaluate an unknown dimension");
        }
        return isKnown() ? factor : factor * symbolValue;
    }

    @Override
    public String toString() {
        if (isKnown()) {
            return Long.toString(factor);
        }
        return factor == 1 ? symbol : factor + "*" + symbol;
    }
}
