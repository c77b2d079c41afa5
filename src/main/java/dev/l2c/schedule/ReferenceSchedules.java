package dev.l2c.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Fixed schedules that reference runs and tests are defined with, independent of any router. */
public final class ReferenceSchedules {
    private ReferenceSchedules() {
    }

    /**
     * The "cached" schedule of the exactness reference ({@code dit_reference_l2c_ddim20.npz}): even
     * steps k are full; at odd k, layer j is computed when (7·j + k) mod 3 = 0 and otherwise reuses
     * the value from step k-1. It caches about two thirds of the layers at every other step and
     * mixes attention and MLP branches of all depths, so it exercises reuse everywhere.
     */
    public static Schedule referenceAlternating(int nfe, int layers) {
        return referenceMask(nfe, layers, Schedule.DIT_DDIM);
    }

    /**
     * The reference mask rule on the cache steps of a sampler pattern: for {@code dit-ddim} the cache
     * steps are the odd k (as above); for {@code uvit-dpm2s} they are the evaluations at t_i, i ≥ 1
     * (even k ≥ 2), which reuse the evaluation at s_(i-1) just before, as the L2C U-ViT code does. At
     * a cache step k, layer j is computed when (7·j + k) mod 3 = 0.
     */
    public static Schedule referenceMask(int nfe, int layers, String pattern) {
        if (!pattern.equals(Schedule.DIT_DDIM) && !pattern.equals(Schedule.UVIT_DPM2S)) {
            throw new IllegalArgumentException("the reference mask is defined for dit-ddim and uvit-dpm2s, not " + pattern);
        }
        boolean uvit = pattern.equals(Schedule.UVIT_DPM2S);
        if (nfe < 1) {
            throw new IllegalArgumentException("a sampler makes at least one model evaluation, not " + nfe);
        }
        List<ScheduleStep> steps = new ArrayList<>(nfe);
        for (int k = 0; k < nfe; k++) {
            boolean cacheStep = uvit ? (k % 2 == 0 && k > 0) : k % 2 == 1;
            if (!cacheStep) {
                steps.add(ScheduleStep.full(layers));
                continue;
            }
            List<Integer> computed = new ArrayList<>();
            for (int j = 0; j < layers; j++) {
                if ((7 * j + k) % 3 == 0) {
                    computed.add(j);
                }
            }
            steps.add(ScheduleStep.cache(computed.stream().mapToInt(Integer::intValue).toArray()));
        }
        String rule = uvit
                ? "k odd or 0: full; k even >= 2 (t_i, reusing s_(i-1)): compute layer j when (7*j + k) % 3 == 0"
                : "k even: full; k odd: compute layer j when (7*j + k) % 3 == 0";
        return new Schedule(layers, pattern, steps, Map.of("source", "reference-mask", "rule", rule), List.of());
    }
}
