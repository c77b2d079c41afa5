package dev.l2c.runtime;

import dev.l2c.error.L2cException;

import java.util.ArrayList;
import java.util.List;

/** Wraps an executor and keeps every raw model output, so tests can compare single steps. */
final class RecordingExecutor implements ModelExecutor {
    private final ModelExecutor inner;
    final List<float[]> outputs = new ArrayList<>();

    RecordingExecutor(ModelExecutor inner) {
        this.inner = inner;
    }

    @Override
    public float[] evaluate(int evaluation, float[] x, int batch, double timestep, dev.l2c.conditioning.Conditions labels)
            throws L2cException {
        float[] out = inner.evaluate(evaluation, x, batch, timestep, labels);
        outputs.add(out.clone());
        return out;
    }

    @Override
    public void reset() {
        inner.reset();
    }

    @Override
    public int evaluations() {
        return inner.evaluations();
    }

    @Override
    public long runNanos() {
        return inner.runNanos();
    }

    @Override
    public void close() {
        inner.close();
    }
}
