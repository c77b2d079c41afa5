package dev.l2c.runtime;

import dev.l2c.conditioning.Conditions;

import dev.l2c.error.L2cException;

/**
 * Runs the model evaluations of one sampling run: evaluation k of the sampler runs the graph the
 * schedule assigns to step k, with whatever cached branch values that step reads. Implementations
 * hold their sessions open between runs; {@link #reset()} forgets the caches of a finished run.
 */
public interface ModelExecutor extends AutoCloseable {

    /**
     * Runs evaluation {@code evaluation} on a batch of {@code batch} samples.
     *
     * @param x        samples [batch, C, H, W], flattened; not modified
     * @param timestep the model's timestep input for every sample (rounded for integer timesteps)
     * @param conditions what each of the batch's samples is conditioned on (class labels or text embeddings)
     * @return the model output [batch, outC, H, W], flattened
     */
    float[] evaluate(int evaluation, float[] x, int batch, double timestep, Conditions conditions) throws L2cException;

    /** {@link #evaluate(int, float[], int, double, Conditions)} for a class-conditional model. */
    default float[] evaluate(int evaluation, float[] x, int batch, double timestep, long[] labels) throws L2cException {
        return evaluate(evaluation, x, batch, timestep, Conditions.labels(java.util.Arrays.copyOf(labels, batch)));
    }

    /** Drops the cached tensors of the current run, so the next evaluation may start a new one at 0. */
    void reset();

    /** Number of evaluations this executor is compiled for, or -1 when any number works (plain model). */
    int evaluations();

    /** Time spent inside ONNX Runtime's run calls since creation, in nanoseconds. */
    long runNanos();

    @Override
    void close();
}
