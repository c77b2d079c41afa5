package dev.l2c.testing;

import dev.l2c.schedule.Schedule;

/** Questions tests ask of a schedule that the product itself answers through the compiler's cache plan. */
public final class ScheduleQueries {
    private ScheduleQueries() {
    }

    /**
     * The most recent evaluation before {@code step} that computed {@code layer}: where the value that
     * {@code step} reuses for {@code layer} comes from. Always defined, since step 0 is full.
     *
     * @param step  1..NFE (NFE asks where the value after the last step comes from)
     * @param layer 0..L-1
     */
    public static int lastComputedBefore(Schedule s, int step, int layer) {
        if (step < 1 || step > s.nfe()) {
            throw new IllegalArgumentException("step " + step + " has no earlier evaluation in 0.." + (s.nfe() - 1));
        }
        if (layer < 0 || layer >= s.layers()) {
            throw new IllegalArgumentException("layer " + layer + " is out of range 0.." + (s.layers() - 1));
        }
        for (int k = step - 1; k > 0; k--) {
            if (s.step(k).computes(layer)) {
                return k;
            }
        }
        return 0;
    }
}
