package dev.l2c.sampler;

/** Told after each model evaluation, for progress bars. */
@FunctionalInterface
public interface StepObserver {
    /**
     * @param evaluation the 0-based index of the evaluation that just finished (so {@code evaluation + 1}
     *                   of {@code total} are done)
     * @param total      the sampler's number of function evaluations
     */
    void evaluated(int evaluation, int total);

    /** Ignores every call. */
    StepObserver NONE = (e, t) -> {
    };
}
