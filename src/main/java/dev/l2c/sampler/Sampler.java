package dev.l2c.sampler;

import dev.l2c.error.L2cException;

/**
 * A deterministic diffusion sampler: a fixed sequence of model evaluations at model times known in
 * advance, and a linear update rule between them, written out as a {@link SamplingPlan}.
 * Implementations are immutable and may be shared between threads.
 */
public interface Sampler {
    /** The sampler's name as the command line spells it: "ddim", "dpm2s" or "dpm2m". */
    String name();

    /**
     * The L2C step pattern whose routers fit this sampler: "dit-ddim" for one evaluation per step
     * (DDIM and DPM-Solver++(2M)), "uvit-dpm2s" for two evaluations per step (DPM-Solver++(2S)).
     */
    String schedulePattern();

    /** The sampler as data: per evaluation its model time, data-prediction coefficients and update. */
    SamplingPlan plan();

    /** Number of function (model) evaluations, NFE. */
    default int evaluations() {
        return plan().size();
    }

    /** The model's timestep input for each evaluation, in the order the sampler evaluates; a fresh copy. */
    default double[] modelTimes() {
        return plan().modelTimes();
    }

    /** The range the predicted x0 is clipped to before each update, or null for none. */
    default ClipRange clipRange() {
        return plan().clip();
    }

    /**
     * Runs the sampler from the initial noise {@code xT} (not modified) and returns the final sample.
     *
     * @throws L2cException whatever the model throws, unchanged
     * @throws IllegalStateException if the model returns ε of the wrong length (a broken predictor)
     */
    default float[] sample(float[] xT, NoisePredictor model, StepObserver observer) throws L2cException {
        return plan().run(xT, model, observer);
    }
}
