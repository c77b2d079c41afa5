package dev.l2c.analysis;

/** What a cacheable residual branch computes. */
public enum BranchKind {
    ATTENTION("attention"),
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
        throw new IllegalArgumentException("unknown layer kind '" + name + "' (expected attention or mlp)");
    }
}
