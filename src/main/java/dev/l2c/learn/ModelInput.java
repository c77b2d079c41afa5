package dev.l2c.learn;

import dev.l2c.conditioning.Conditions;

/**
 * What one model evaluation of the calibration trajectory was given: the samples (the doubled
 * batch under classifier-free guidance), the model time, and the labels.
 *
 * @param x         [batch, C, H, W] flattened; owned by this record (callers pass a copy)
 * @param modelTime the timestep input
 * @param conditions [batch]: class labels or text embeddings
 */
record ModelInput(float[] x, double modelTime, Conditions conditions) {
    int batch() {
        return conditions.batch();
    }
}
