package dev.l2c.passes;

/**
 * A pass asked to work on a value the graph does not have, or has in a form the pass cannot rewrite (a
 * branch that is not computed here, or that is a graph output). It names the pass and the value; it is
 * a broken invariant of the compiler (the layer map and the schedule were checked against the graph
 * before any pass runs), so it stays an IllegalStateException.
 */
public final class PassPreconditionException extends IllegalStateException {
    private final String pass;
    private final String value;

    public PassPreconditionException(GraphPass pass, String value, String problem) {
        super(pass.name() + ": value '" + value + "' " + problem);
        this.pass = pass.name();
        this.value = value;
    }

    /** The pass that could not apply. */
    public String pass() {
        return pass;
    }

    /** The value it could not apply to. */
    public String value() {
        return value;
    }
}
