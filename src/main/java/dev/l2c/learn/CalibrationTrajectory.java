package dev.l2c.learn;

import dev.l2c.error.L2cException;

/**
 * Phase 1: the full sampler run from the calibration noise, which gives every step's input and
 * full output (all later phases evaluate steps on these inputs), and, when learning, the
 * single-layer measurements at each cache step, taken while that step's caches are at hand.
 *
 * @param models per evaluation, the cache step's measurements (null at full steps, and when only measuring)
 */
record CalibrationTrajectory(ModelInput[] inputs, float[][] fullOutputs, float[] fullSamples, StepModel[] models) {

    /** Runs the calibration; {@code probes} is null when only schedules are measured. */
    static CalibrationTrajectory run(LearningSession session, LearningSetup setup, LayerProbes probes) throws L2cException {
        int n = setup.evaluations();
        ModelInput[] inputs = new ModelInput[n];
        float[][] fullOutputs = new float[n][];
        StepModel[] models = new StepModel[n];
        float[] samples = session.runSampler((k, in) -> {
            inputs[k] = in;
            boolean keep = setup.nextIsCache(k);
            float[] out = session.full(k, in, keep);
            fullOutputs[k] = out;
            if (setup.isCacheStep()[k] && probes != null) {
                models[k] = probes.measure(k, in, out);
            }
            if (keep) {
                session.promoteFreshBranches();
            }
            return out;
        });
        return new CalibrationTrajectory(inputs, fullOutputs, samples, models);
    }

    StepModel model(int k) {
        return models[k];
    }
}
