package dev.l2c.passes;

/**
 * What a pass did: {@code changed} tells whether the graph differs, {@code note} says what was done or,
 * when nothing was, why (e.g. "no unused nodes").
 */
public record PassResult(boolean changed, String note) {

    public static PassResult changed(String note) {
        return new PassResult(true, note);
    }

    public static PassResult unchanged(String reason) {
        return new PassResult(false, reason);
    }
}
