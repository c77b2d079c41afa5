package dev.l2c.learn;

import dev.l2c.error.L2cException;

import static dev.l2c.learn.LearnMath.difference;
import static dev.l2c.learn.LearnMath.gram;
import static dev.l2c.learn.LearnMath.sumSquares;

/**
 * Phase 1b, with {@link LearnOptions#SAMPLE}: how each cache step's error reaches the final
 * samples. Per cache step k, the change of the final samples when the error of reusing every layer
 * at k is added to the model output at k (the calibration run replayed, later evaluations computed
 * in full from the perturbed states), and the products of those changes between steps. Replayed
 * evaluations before k cost nothing: their inputs are the calibration run's.
 */
final class SampleGains {
    private SampleGains() {
    }

    static SampleErrorModel measure(LearningSession session, LearningSetup setup, CalibrationTrajectory calibration)
            throws L2cException {
        int[] steps = setup.cacheSteps();
        float[] fullSamples = calibration.fullSamples();
        double[] allMse = new double[steps.length];
        float[][] change = new float[steps.length][];
        for (int i = 0; i < steps.length; i++) {
            float[] error = calibration.model(steps[i]).allReusedError();
            allMse[i] = sumSquares(error) / error.length;
            change[i] = allMse[i] > 0 ? difference(replayWithError(session, calibration, steps[i], error), fullSamples)
                    : new float[fullSamples.length];
        }
        double[][] cross = gram(change, fullSamples.length);
        return new SampleErrorModel(steps.clone(), allMse, cross);
    }

    /** Per-step weights from the gains; a step whose error does not reach the samples still may not be free. */
    static double[] weights(SampleErrorModel m, int evaluations) {
        double[] w = new double[evaluations];
        double largest = 0;
        for (int i = 0; i < m.steps().length; i++) {
            largest = Math.max(largest, m.gain(i));
        }
        // the penalty is divided by the weight: keep it positive
        double floor = largest > 0 ? largest * 1e-6 : 1;
        for (int i = 0; i < m.steps().length; i++) {
            w[m.steps()[i]] = Math.max(m.gain(i), floor);
        }
        return w;
    }

    /** The final samples of the calibration run with {@code error} added to the model output at evaluation k. */
    private static float[] replayWithError(LearningSession session, CalibrationTrajectory calibration, int k, float[] error)
            throws L2cException {
        float[][] fullOutputs = calibration.fullOutputs();
        return session.runSampler((e, in) -> {
            if (e < k) {
                return fullOutputs[e].clone();
            }
            if (e == k) {
                float[] out = fullOutputs[e].clone();
                for (int i = 0; i < out.length; i++) {
                    out[i] += error[i];
                }
                return out;
            }
            return session.full(e, in, false);
        });
    }
}
