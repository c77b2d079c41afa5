package dev.l2c.learn;

/**
 * What one model evaluation of the calibration trajectory was given: the samples (the doubled
 * batch under classifier-free guidance), the model time, and the labels.
 *
 * @param x         [batch, C, H, W] flattened; owned by this record (callers pass a copy)
 * @param modelTime the timestep input
 * @param labels    [batch]
 */
record ModelInput(float[] x, double modelTime, long[] labels) {
    int batch() {
        return labels.length;
    }
}
