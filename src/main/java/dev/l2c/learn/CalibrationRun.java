package dev.l2c.learn;

import dev.l2c.conditioning.Conditions;
import dev.l2c.error.L2cException;
import dev.l2c.io.Progress;
import dev.l2c.runtime.ModelExecutor;
import dev.l2c.runtime.SampleRun;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * A sampler run over the calibration noise and labels in which the learner answers every model
 * evaluation itself (the full model, a routing, a forecast rollout): the sampler's loop and guidance
 * are {@link SampleRun}'s, so the learner sees the trajectory {@code l2c sample} would.
 */
final class CalibrationRun {
    /** One model evaluation of the run: evaluation index and input (the doubled batch under guidance). */
    @FunctionalInterface
    interface Evaluation {
        float[] evaluate(int evaluation, ModelInput in) throws L2cException;
    }

    private CalibrationRun() {
    }

    /** The final samples, each evaluation answered by {@code f}; {@code runNanos} reports time inside ONNX Runtime. */
    static float[] samples(LearningSetup setup, LongSupplier runNanos, Evaluation f) throws L2cException {
        ModelExecutor executor = new ModelExecutor() {
            @Override
            public float[] evaluate(int k, float[] x, int batch, double timestep, Conditions labels) throws L2cException {
                return f.evaluate(k, new ModelInput(Arrays.copyOf(x, batch * setup.card().sampleElements()), timestep,
                        labels));
            }

            @Override
            public void reset() {
            }

            @Override
            public int evaluations() {
                return -1;
            }

            @Override
            public long runNanos() {
                return runNanos.getAsLong();
            }

            @Override
            public void close() {
            }
        };
        try (Progress none = Progress.start("", 1, false)) {
            return SampleRun.run(executor, setup.card(), setup.sampler(),
                    new SampleRun.Request(setup.xT(), setup.conditions(), setup.unconditional(), setup.cfg()), none).samples();
        }
    }
}
