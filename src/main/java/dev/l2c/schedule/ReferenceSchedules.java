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
        if (nfe < 1) {
            throw new IllegalArgumentException("a sampler makes at least one model evaluation, not " + nfe);
        }
        List<ScheduleStep> steps = new ArrayList<>(nfe);
        for (int k = 0; k < nfe; k++) {
            if (k % 2 == 0) {
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
        return new Schedule(layers, Schedule.DIT_DDIM, steps,
                Map.of("source", "reference-mask", "rule", "k even: full; k odd: compute layer j when (7*j + k) % 3 == 0"),
                List.of());
    }
}
