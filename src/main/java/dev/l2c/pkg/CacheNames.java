package dev.l2c.pkg;

/**
 * Names of cache tensors in step graphs. A layer's cached value is output under {@code cache_layer_<j>}
 * by the step that computes it; a step that reuses it, or forecasts from it as its most recent value,
 * reads it under the same name, so a runner can pass the tensor along by name. A forecast reading
 * older values reads the i-th most recent one under {@code cache_layer_<j>_h<i>} (i ≥ 1); the
 * manifest names the step each comes from.
 */
public final class CacheNames {
    private static final String PREFIX = "cache_layer_";

    private CacheNames() {
    }

    public static String of(int layer) {
        return PREFIX + layer;
    }

    /** The input name of layer {@code layer}'s {@code history}-th most recent computed value (0: {@link #of}). */
    public static String of(int layer, int history) {
        if (history < 0) {
            throw new IllegalArgumentException("history index " + history);
        }
        return history == 0 ? of(layer) : PREFIX + layer + "_h" + history;
    }
}
