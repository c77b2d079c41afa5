package dev.l2c.bench;

import dev.l2c.metrics.FdBootstrap;

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
 * @param runSeconds    wall time of each measured run, in round order
 * @param fullStepMillis median wall time of a full step
 * @param cacheStepMillis median wall time of a cache step (NaN when there are none)
 * @param overheadShare median share of a run spent outside ONNX Runtime's run calls
 * @param samples       final samples used for quality (same noise and labels for every configuration)
 * @param sampleCount   how many images {@code samples} holds
 * @param timedSamples  final samples of the timed runs (the same noise for every configuration: the grids)
 * @param quality       fidelity to the reference configuration over {@code psnrImages} images and Fréchet
 *                      distance over {@code fdImages} (NaN and 0 when not measured)
 * @param openSeconds   time to create the configuration's ONNX Runtime sessions
 */
public record BenchResult(BenchConfig config, int nfe, int graphs, long macsPerSample, long layerEvaluations,
                          long totalLayerEvaluations, double[] runSeconds, double fullStepMillis,
                          double cacheStepMillis, double overheadShare, float[] samples, int sampleCount,
                          float[] timedSamples, Quality quality, double openSeconds) {

    /**
     * Quality figures of a configuration.
     *
     * @param fdIntervals the FD's bootstrap interval and paired comparisons, or null when FD was not measured
     */
    public record Quality(double psnr, double maxAbsDiff, double fd, int fdImages, int psnrImages, FdIntervals fdIntervals) {
        public static final Quality NONE = new Quality(Double.NaN, Double.NaN, Double.NaN, 0, 0, null);
    }

    /**
     * This configuration's FD minus another's, paired over the same bootstrap replicates (same noise
     * and labels), absolute and relative (FD / FD(against) − 1).
     */
    public record FdComparison(String against, FdBootstrap.Interval difference, FdBootstrap.Interval relative) {
    }

    /**
     * @param fd           the FD with its interval
     * @param vsReference  against the reference configuration (null for the reference itself)
     * @param vsFewerSteps against the fewer-steps configuration of the nearest compute (null on that curve
     *                     itself, or when the benchmark has none)
     * @param onFirstSamples by sample count n, the same figures on the first n samples (how the
     *                     intervals narrow with n; {@code --fd-widths-at})
     * @param vsTaylorSeer against the TaylorSeer configuration ({@code taylorseer-*}) of equal compute (within
     *                     2 % of its layer evaluations), or null when there is none or this is one
     */
    public record FdIntervals(FdBootstrap.Interval fd, FdComparison vsReference, FdComparison vsFewerSteps,
                              java.util.SortedMap<Integer, FdIntervals> onFirstSamples, FdComparison vsTaylorSeer) {
        public FdIntervals {
            onFirstSamples = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(onFirstSamples));
        }

        public FdIntervals(FdBootstrap.Interval fd, FdComparison vsReference, FdComparison vsFewerSteps,
                           java.util.SortedMap<Integer, FdIntervals> onFirstSamples) {
            this(fd, vsReference, vsFewerSteps, onFirstSamples, null);
        }

        /** The same figures computed on the first {@code n} samples only (empty unless asked for). */
        public FdIntervals withFirstSamples(java.util.SortedMap<Integer, FdIntervals> byCount) {
            return new FdIntervals(fd, vsReference, vsFewerSteps, byCount, vsTaylorSeer);
        }
    }

    public double median() {
        return Stats.median(runSeconds);
    }

    public double min() {
        return Arrays.stream(runSeconds).min().orElse(Double.NaN);
    }

    public double max() {
        return Arrays.stream(runSeconds).max().orElse(Double.NaN);
    }

    public BenchResult withQuality(Quality q) {
        return new BenchResult(config, nfe, graphs, macsPerSample, layerEvaluations, totalLayerEvaluations, runSeconds,
                fullStepMillis, cacheStepMillis, overheadShare, samples, sampleCount, timedSamples, q, openSeconds);
    }

    public BenchResult withSamples(float[] newSamples, int count) {
        return new BenchResult(config, nfe, graphs, macsPerSample, layerEvaluations, totalLayerEvaluations, runSeconds,
                fullStepMillis, cacheStepMillis, overheadShare, newSamples, count, timedSamples, quality, openSeconds);
    }
}
