package dev.l2c.runtime;

import dev.l2c.error.L2cException;
import dev.l2c.io.Progress;

/**
 * Turns initial noise and labels into final samples, one batch per call: a sampler in Java driving a
 * model evaluation at a time ({@link SamplerLoop}), or a linked model that runs the whole loop inside
 * ONNX Runtime ({@link LinkedModelRun}). What `sample` and `bench` run.
 */
public interface SampleGenerator extends AutoCloseable {

    /** Generates the samples of one batch; advances {@code progress} by {@link #evaluations()} in total. */
    SampleRun.Output generate(SampleRun.Request request, Progress progress) throws L2cException;

    /** Model evaluations per run. */
    int evaluations();

    /** Per evaluation, whether every layer is computed. */
    boolean[] fullSteps();

    /** Seconds it took to create the ONNX Runtime sessions. */
    double openSeconds();

    /** What runs, for messages: "1 linked model", "6 graphs", "plain model". */
    String describe();

    @Override
    void close();
}
