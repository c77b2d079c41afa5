package dev.l2c.bench;

import java.util.Arrays;

/**
 * What one configuration measured.
 *
 * @param config        the configuration
 * @param nfe           model evaluations per run
 * @param graphs        distinct step graphs (sessions); 1 for the plain loop
 * @param macsPerSample multiply-accumulates of one run, per model-batch sample
 * @param layerEvaluations computed layer evaluations of one run
 * @param totalLayerEvaluations layer evaluations of the same NFE without caching
 * @param runSeconds    wall time of each measured run
 * @param fullStepMillis median wall time of a full step
 * @param cacheStepMillis median wall time of a cache step (NaN when there are none)
 * @param overheadShare median share of a run spent outside ONNX Runtime's run calls
 * @param samples       final samples of the last run (same noise and labels for every configuration)
 */
public record BenchResult(BenchConfig config, int nfe, int graphs, long macsPerSample, long layerEvaluations,
                          long totalLayerEvaluations, double[] runSeconds, double fullStepMillis,
                          double cacheStepMillis, double overheadShare, float[] samples) {

    public double median() {
        return Stats.median(runSeconds);
    }

    public double min() {
        return Arrays.stream(runSeconds).min().orElse(Double.NaN);
    }

    public double max() {
        return Arrays.stream(runSeconds).max().orElse(Double.NaN);
    }
}
