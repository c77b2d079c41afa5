package dev.l2c.sampler;

import dev.l2c.error.L2cException;

/**
 * A deterministic diffusion sampler: a fixed sequence of model evaluations at model times known in
 * advance, and an update rule between them. Implementations are immutable and may be shared between
 * threads; {@link #sample} keeps its state in local buffers.
 */
public interface Sampler {
    /** The sampler's name as the command line spells it: "ddim", "dpm2s" or "dpm2m". */
    String name();

    /**
     * The L2C step pattern whose routers fit this sampler: "dit-ddim" for one evaluation per step
     * (DDIM and DPM-Solver++(2M)), "uvit-dpm2s" for two evaluations per step (DPM-Solver++(2S)).
     */
    String schedulePattern();

    /** Number of function (model) evaluations, NFE. */
    int evaluations();

    /** The model's timestep input for each evaluation, in the order the sampler evaluates; a fresh copy. */
    double[] modelTimes();

    /** Whether the predicted x0 is clipped to [-1, 1] before each update. */
    boolean clipsX0();

    /**
     * Runs the sampler from the initial noise {@code xT} (not modified) and returns the final sample.
     *
     * @throws L2cException whatever the model throws, unchanged
     * @throws IllegalStateException if the model returns ε of the wrong length (a broken predictor)
     */
    float[] sample(float[] xT, NoisePredictor model, StepObserver observer) throws L2cException;
}
