package dev.l2c.schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A layer-caching schedule: for each model evaluation k = 0..NFE-1 of a sampler, which of the
 * model's L cacheable layers are computed. Layers follow L2C's numbering: layer 2i is the attention
 * branch of block i, layer 2i+1 its MLP branch. A layer that a step does not compute reuses the
 * branch value it had at the most recent evaluation that computed it,
 * so evaluation 0 must be full: there is nothing to reuse yet.
 *
 * <p>The pattern names the sampler the evaluations belong to, because the same evaluation count
 * means different timesteps under different samplers:
 * <ul>
 *   <li>{@value #DIT_DDIM}: DDIM, one evaluation per sampling step, noisiest first;</li>
 *   <li>{@value #UVIT_DPM2S}: DPM-Solver-2 singlestep, two evaluations per step (t_i, then the
 *       intermediate s_i), so NFE is even;</li>
 *   <li>{@value #FREE}: not tied to a sampler; it fits any sampler with the same NFE.</li>
 * </ul>
 *
 * <p>Immutable. Provenance says where the schedule came from (a router file and its hash, a
 * threshold); its values are JSON values: String, Boolean, Integer, Long, Double, null, and Lists
 * and String-keyed Maps of those. Scores are optional per-step numbers behind the decision (a
 * router's sigmoid outputs): either empty, or one entry per step that is null or has L values.
 */
public final class Schedule {
    public static final String DIT_DDIM = "dit-ddim";
    public static final String UVIT_DPM2S = "uvit-dpm2s";
    public static final String FREE = "free";
    /** Every pattern a schedule may have. */
    public static final List<String> PATTERNS = List.of(DIT_DDIM, UVIT_DPM2S, FREE);

    private final int layers;
    private final String pattern;
    private final List<ScheduleStep> steps;
    private final Map<String, Object> provenance;
    private final List<float[]> scores;

    /**
     * @param layers     the model's cacheable layer count L
     * @param pattern    one of {@link #PATTERNS}
     * @param steps      one step per model evaluation; the first must be full
     * @param provenance where the schedule came from (JSON values only); copied
     * @param scores     empty, or one entry per step (null or L values); copied
     * @throws IllegalArgumentException when the parts do not make a valid schedule (the message
     *                                  names the step and the problem)
     */
    public Schedule(int layers, String pattern, List<ScheduleStep> steps, Map<String, Object> provenance,
                    List<float[]> scores) {
        String problem = problem(layers, pattern, steps, scores);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        this.layers = layers;
        this.pattern = pattern;
        this.steps = List.copyOf(steps);
        this.provenance = copyJsonObject(provenance, "provenance");
        List<float[]> copied = new ArrayList<>(scores.size());
        for (float[] s : scores) {
            copied.add(s == null ? null : s.clone());
        }
        this.scores = Collections.unmodifiableList(copied);
    }

    /** A schedule that computes every layer at every evaluation: the uncached baseline. */
    /** Most model evaluations a schedule may have: far beyond any sampler's, small enough to hold in memory. */
    public static final int MAX_NFE = 10_000;
    /** Most cacheable layers a schedule may have (DiT-XL/2 has 56). */
    public static final int MAX_LAYERS = 10_000;

    /** Null when {@code nfe} and {@code layers} are in range, else the reason. */
    public static String sizeProblem(int nfe, int layers) {
        if (nfe < 1 || nfe > MAX_NFE) {
            return "nfe must be between 1 and " + MAX_NFE + ", not " + nfe;
        }
        if (layers < 1 || layers > MAX_LAYERS) {
            return "layers must be between 1 and " + MAX_LAYERS + ", not " + layers;
        }
        return null;
    }

    public static Schedule allFull(int nfe, int layers, String pattern) {
        if (nfe < 1) {
            throw new IllegalArgumentException("a sampler makes at least one model evaluation, not " + nfe);
        }
        ScheduleStep full = ScheduleStep.full(layers);
        return new Schedule(layers, pattern, Collections.nCopies(nfe, full), Map.of("source", "all-full"), List.of());
    }

    /** This schedule with {@code provenance} in place of its own. */
    public Schedule withProvenance(Map<String, Object> provenance) {
        return new Schedule(layers, pattern, steps, provenance, scores);
    }

    /**
     * Why these parts do not make a schedule, in one line, or null when they do. The JSON reader
     * calls this too, so that a file and a constructor call are held to the same rules.
     */
    static String problem(int layers, String pattern, List<ScheduleStep> steps, List<float[]> scores) {
        if (layers < 1) {
            return "a schedule needs at least one layer, not " + layers;
        }
        if (!PATTERNS.contains(pattern)) {
            return "unknown pattern \"" + pattern + "\" (expected one of " + String.join(", ", PATTERNS) + ")";
        }
        if (steps.isEmpty()) {
            return "a schedule needs at least one step";
        }
        if (UVIT_DPM2S.equals(pattern) && steps.size() % 2 != 0) {
            return "pattern " + UVIT_DPM2S + " makes two model evaluations per sampling step, so the step count must be even, not "
                    + steps.size();
        }
        for (int k = 0; k < steps.size(); k++) {
            ScheduleStep s = Objects.requireNonNull(steps.get(k), "step");
            if (s.full() && s.maxLayer() != layers - 1) {
                return "step " + k + " is full for a model with " + (s.maxLayer() + 1) + " layers, but the schedule has "
                        + layers;
            }
            if (s.maxLayer() >= layers) {
                return "step " + k + " computes layer " + s.maxLayer() + " but the schedule has " + layers
                        + " layers (0.." + (layers - 1) + ")";
            }
        }
        if (!steps.get(0).full()) {
            return "step 0 must be full: the first evaluation has no cached values to reuse";
        }
        String history = historyProblem(layers, steps);
        if (history != null) {
            return history;
        }
        if (!scores.isEmpty()) {
            if (scores.size() != steps.size()) {
                return "scores has " + scores.size() + " entries but the schedule has " + steps.size() + " steps";
            }
            for (int k = 0; k < scores.size(); k++) {
                float[] s = scores.get(k);
                if (s == null) {
                    continue;
                }
                if (s.length != layers) {
                    return "scores of step " + k + " have " + s.length + " values but the schedule has " + layers + " layers";
                }
                for (float v : s) {
                    if (!Float.isFinite(v)) {
                        return "scores of step " + k + " hold a non-finite value " + v;
                    }
                }
            }
        }
        return null;
    }

    /**
     * Why a forecast reads more history than the schedule provides, or null: a forecast of layer j
     * at step k with K weights needs K earlier evaluations that computed j.
     */
    private static String historyProblem(int layers, List<ScheduleStep> steps) {
        int[] computedSoFar = new int[layers];
        for (int k = 0; k < steps.size(); k++) {
            ScheduleStep s = steps.get(k);
            for (Map.Entry<Integer, Forecast> e : s.forecasts().entrySet()) {
                int j = e.getKey();
                int need = e.getValue().history();
                if (computedSoFar[j] < need) {
                    return "step " + k + ": layer " + j + " is forecast from its last " + need + " computed values, but only "
                            + computedSoFar[j] + " earlier step" + (computedSoFar[j] == 1 ? "" : "s") + " computed it";
                }
            }
            for (int j = 0; j < layers; j++) {
                if (s.full() || s.computes(j)) {
                    computedSoFar[j]++;
                }
            }
        }
        return null;
    }

    /** Whether any step forms a layer otherwise than by plain reuse (the schedule needs format version 2). */
    public boolean hasForecasts() {
        for (ScheduleStep s : steps) {
            if (s.hasForecasts()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The {@code count} most recent evaluations before {@code step} that computed {@code layer}, most
     * recent first: the history a forecast at {@code step} reads.
     *
     * @throws IllegalArgumentException when fewer than {@code count} earlier evaluations computed it
     */
    public int[] computedBefore(int step, int layer, int count) {
        if (step < 1 || step > nfe()) {
            throw new IllegalArgumentException("step " + step + " has no earlier evaluation in 0.." + (nfe() - 1));
        }
        int[] out = new int[count];
        int found = 0;
        for (int k = step - 1; k >= 0 && found < count; k--) {
            if (steps.get(k).full() || steps.get(k).computes(layer)) {
                out[found++] = k;
            }
        }
        if (found < count) {
            throw new IllegalArgumentException("layer " + layer + " was computed " + found + " times before step " + step
                    + ", not " + count);
        }
        return out;
    }

    /** Model evaluations the schedule covers (the sampler's NFE). */
    public int nfe() {
        return steps.size();
    }

    /** Cacheable layers of the model it is for. */
    public int layers() {
        return layers;
    }

    /** One of {@link #PATTERNS}. */
    public String pattern() {
        return pattern;
    }

    public List<ScheduleStep> steps() {
        return steps;
    }

    public ScheduleStep step(int k) {
        return steps.get(k);
    }

    /** Where the schedule came from; unmodifiable. */
    public Map<String, Object> provenance() {
        return provenance;
    }

    /** Per-step scores, copied: empty, or one entry per step that is null or holds L values. */
    public List<float[]> scores() {
        List<float[]> out = new ArrayList<>(scores.size());
        for (float[] s : scores) {
            out.add(s == null ? null : s.clone());
        }
        return out;
    }

    /** Layer evaluations actually computed, over all steps (a full step counts all L). */
    public long layerEvaluations() {
        long n = 0;
        for (ScheduleStep s : steps) {
            n += s.computedCount(layers);
        }
        return n;
    }

    /** Layer evaluations an uncached run computes: NFE × L. */
    public long totalLayerEvaluations() {
        return (long) nfe() * layers;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Schedule s) || s.layers != layers || !s.pattern.equals(pattern) || !s.steps.equals(steps)
                || !s.provenance.equals(provenance) || s.scores.size() != scores.size()) {
            return false;
        }
        for (int k = 0; k < scores.size(); k++) {
            if (!Arrays.equals(s.scores.get(k), scores.get(k))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(layers, pattern, steps, provenance);
        for (float[] s : scores) {
            h = h * 31 + Arrays.hashCode(s);
        }
        return h;
    }

    @Override
    public String toString() {
        return "Schedule[" + pattern + ", nfe=" + nfe() + ", layers=" + layers + ", computed " + layerEvaluations() + "/"
                + totalLayerEvaluations() + "]";
    }

    private static Map<String, Object> copyJsonObject(Map<?, ?> map, String where) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException(where + " has a key that is not a string: " + e.getKey());
            }
            out.put(key, copyJsonValue(e.getValue(), where + "." + key));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * A deep, unmodifiable copy of a JSON value. Integral numbers become Integer where they fit and
     * Long otherwise, exactly as the JSON reader returns them, so that a schedule equals itself
     * after a round trip through a file.
     */
    private static Object copyJsonValue(Object v, String where) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer) {
            return v;
        }
        if (v instanceof Double d) {
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException(where + " is " + d + "; JSON has no non-finite numbers");
            }
            return d;
        }
        if (v instanceof Long l) {
            // Not a conditional expression: that would unbox both arms and box the Integer back to a Long.
            if (l == l.intValue()) {
                return l.intValue();
            }
            return l;
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                out.add(copyJsonValue(list.get(i), where + "[" + i + "]"));
            }
            return Collections.unmodifiableList(out);
        }
        if (v instanceof Map<?, ?> map) {
            return copyJsonObject(map, where);
        }
        throw new IllegalArgumentException(where + " is a " + v.getClass().getSimpleName()
                + "; provenance holds JSON values only (String, Boolean, Integer, Long, Double, List, Map, null)");
    }
}
