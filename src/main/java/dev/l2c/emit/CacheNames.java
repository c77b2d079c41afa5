package dev.l2c.emit;

/**
 * Names of cache tensors in emitted graphs. A layer's cached value has the same name as the output of
 * the step that computes it and as the input of the steps that reuse it, so a runner can pass the
 * tensor along by name.
 */
public final class CacheNames {
    private static final String PREFIX = "cache_layer_";

    private CacheNames() {
    }

    public static String of(int layer) {
        return PREFIX + layer;
    }

    /** The layer a cache tensor name refers to, or -1 when the name is not a cache name. */
    public static int layerOf(String name) {
        if (!name.startsWith(PREFIX)) {
            return -1;
        }
        try {
            return Integer.parseInt(name.substring(PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
