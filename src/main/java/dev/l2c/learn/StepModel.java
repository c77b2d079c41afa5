package dev.l2c.learn;

/**
 * What was measured at one cache step: its input, the full output, the single-layer deltas
 * around both anchors (v_j: reuse only j; w_j: compute only j, from everything reused) and the
 * error model built from them.
 */
record StepModel(int step, ModelInput input, float[] fullOutput, float[][] reuseOne, float[][] computeOne,
                 float[] allReusedError, StepSurrogate surrogate) {
}
