package dev.l2c.schedule;

import java.util.Arrays;

/**
 * What one model evaluation does with the cacheable layers: a full step computes every layer and
 * refreshes every cache; a cache step computes only the listed layers and reuses, for every other
 * layer, the branch value that layer had at the most recent evaluation that computed it.
 *
 * <p>Immutable: {@code computed} is copied on the way in and on the way out. It is sorted and
 * distinct; for a full step it is {@code 0..L-1}. A cache step may list every layer (a router can
 * decide so); it is still a cache step, kept apart from a full step because that is what its source
 * said.
 *
 * @param full     whether the step computes every layer
 * @param computed the layers computed, ascending
 */
public record ScheduleStep(boolean full, int[] computed) {

    public ScheduleStep {
        computed = computed.clone();
        for (int i = 0; i < computed.length; i++) {
            if (computed[i] < 0) {
                throw new IllegalArgumentException("negative layer index " + computed[i]);
            }
            if (i > 0 && computed[i] <= computed[i - 1]) {
                throw new IllegalArgumentException("layer indices must be ascending and distinct: "
                        + Arrays.toString(computed));
            }
            if (full && computed[i] != i) {
                throw new IllegalArgumentException("a full step computes layers 0..L-1, not " + Arrays.toString(computed));
            }
        }
    }

    /** A step that computes all {@code layers} layers. */
    public static ScheduleStep full(int layers) {
        if (layers < 1) {
            throw new IllegalArgumentException("a model has at least one cacheable layer, not " + layers);
        }
        int[] all = new int[layers];
        Arrays.setAll(all, i -> i);
        return new ScheduleStep(true, all);
    }

    /**
     * A cache step computing {@code computed} (any order; sorted here) and reusing every other layer.
     *
     * @throws IllegalArgumentException on a negative or repeated index
     */
    public static ScheduleStep cache(int... computed) {
        int[] sorted = computed.clone();
        Arrays.sort(sorted);
        return new ScheduleStep(false, sorted);
    }

    /** A copy of the computed layers, ascending. */
    @Override
    public int[] computed() {
        return computed.clone();
    }

    public boolean computes(int layer) {
        return Arrays.binarySearch(computed, layer) >= 0;
    }

    /** How many of a model's {@code layers} layers this step computes. */
    public int computedCount(int layers) {
        return full ? layers : computed.length;
    }

    /** The largest layer index this step names, or -1 when it names none. */
    int maxLayer() {
        return computed.length == 0 ? -1 : computed[computed.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScheduleStep s && s.full == full && Arrays.equals(s.computed, computed);
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(full) * 31 + Arrays.hashCode(computed);
    }

    @Override
    public String toString() {
        return full ? "full" : "cache" + Arrays.toString(computed);
    }
}
