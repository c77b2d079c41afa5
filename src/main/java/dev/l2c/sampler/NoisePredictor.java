package dev.l2c.sampler;

import dev.l2c.error.L2cException;

/**
 * The ε-prediction model as a sampler sees it. Classifier-free guidance, if any, is already applied by
 * the implementation (see {@link Guidance}).
 */
@FunctionalInterface
public interface NoisePredictor {
    /**
     * Predicts the noise in {@code x}.
     *
     * @param evaluation index 0..nfe-1 of this model evaluation in the sampler's sequence; the same index
     *                   as in {@link Sampler#modelTimes()}, so an implementation can pick a per-timestep graph
     * @param x          current samples {@code [batch, C, H, W]} flattened; must not be modified
     * @param modelTime  the timestep value to feed the model: a discrete index 0..T-1 for DDIM, possibly
     *                   fractional for DPM-Solver; always {@code modelTimes()[evaluation]}
     * @return ε, the same length as {@code x}
     */
    float[] predictNoise(int evaluation, float[] x, double modelTime) throws L2cException;
}
