package dev.l2c.schedule;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

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
 * <p>A layer a cache step does not compute is, by default, reused as it is; {@code forecasts} may
 * instead give it a {@link Forecast}: a linear combination of its last K computed values. Only
 * forecasts other than plain reuse are kept, so a step that reuses everything equals the same step
 * written without forecasts. Whether each forecast has the history it reads is a property of the
 * whole schedule ({@link Schedule}).
 *
 * @param full      whether the step computes every layer
 * @param computed  the layers computed, ascending
 * @param forecasts by layer not computed, how its value is formed when it is not plain reuse
 */
public record ScheduleStep(boolean full, int[] computed, SortedMap<Integer, Forecast> forecasts) {

    public ScheduleStep(boolean full, int[] computed) {
        this(full, computed, new TreeMap<>());
    }

    public ScheduleStep {
        computed = computed.clone();
        TreeMap<Integer, Forecast> kept = new TreeMap<>();
        for (Map.Entry<Integer, Forecast> e : forecasts.entrySet()) {
            if (!e.getValue().isReuse()) {
                kept.put(e.getKey(), e.getValue());
            }
        }
        forecasts = Collections.unmodifiableSortedMap(kept);
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
        for (int layer : forecasts.keySet()) {
            if (layer < 0) {
                throw new IllegalArgumentException("negative layer index " + layer + " in a forecast");
            }
            if (Arrays.binarySearch(computed, layer) >= 0) {
                throw new IllegalArgumentException("layer " + layer + " is computed at this step, so it has no forecast");
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

    /** This cache step with {@code forecasts} for (some of) the layers it does not compute. */
    public ScheduleStep withForecasts(Map<Integer, Forecast> forecasts) {
        if (full) {
            throw new IllegalArgumentException("a full step computes every layer; it forecasts none");
        }
        return new ScheduleStep(false, computed, new TreeMap<>(forecasts));
    }

    /** How this step forms layer {@code layer}'s value when it does not compute it: reuse unless a forecast says otherwise. */
    public Forecast forecast(int layer) {
        return forecasts.getOrDefault(layer, Forecast.REUSE);
    }

    /** Whether any layer is formed otherwise than by plain reuse. */
    public boolean hasForecasts() {
        return !forecasts.isEmpty();
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

    /** The largest layer index this step names (computed or forecast), or -1 when it names none. */
    int maxLayer() {
        int m = computed.length == 0 ? -1 : computed[computed.length - 1];
        return forecasts.isEmpty() ? m : Math.max(m, forecasts.lastKey());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScheduleStep s && s.full == full && Arrays.equals(s.computed, computed)
                && s.forecasts.equals(forecasts);
    }

    @Override
    public int hashCode() {
        return (Boolean.hashCode(full) * 31 + Arrays.hashCode(computed)) * 31 + forecasts.hashCode();
    }

    @Override
    public String toString() {
        return full ? "full" : "cache" + Arrays.toString(computed) + (forecasts.isEmpty() ? "" : " " + forecasts);
    }
}
