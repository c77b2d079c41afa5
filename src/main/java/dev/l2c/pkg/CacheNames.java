package dev.l2c.pkg;

/**
 * Names of cache tensors in step graphs. A layer's cached value has the same name as the output of
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
}
