package dev.l2c.analysis;

/** What a cacheable residual branch computes. */
public enum BranchKind {
    /** Self-attention: queries, keys and values all from the token stream. */
    ATTENTION("attention"),
    /** Cross-attention: queries from the token stream, keys and values from another input (text tokens). */
    CROSS_ATTENTION("cross_attention"),
    MLP("mlp");

    public final String jsonName;

    BranchKind(String jsonName) {
        this.jsonName = jsonName;
    }

    public static BranchKind fromJson(String name) {
        for (BranchKind k : values()) {
            if (k.jsonName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown layer kind '" + name + "' (expected attention, cross_attention or mlp)");
    }
}
