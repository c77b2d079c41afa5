package dev.l2c.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Bootstrap confidence intervals for the Fréchet distances of several configurations that were
 * sampled from the same noise and labels (row i of every configuration's features comes from the
 * same initial noise and label), and for the paired differences between them.
 *
 * <p>Each bootstrap replicate draws n row indices with replacement, once, and uses the same indices
 * for every configuration: the configurations' sampling noise is shared, so the replicates of their
 * differences carry the correlation that makes a paired interval much narrower than two separate
 * ones. The reference statistics (the test set's) are held fixed: they are the same for every
 * configuration, so they move no difference, and the question is how much an FD depends on which n
 * generated images were drawn. Intervals are percentile intervals of the replicates, re-centred on
 * the estimate (see {@link #interval}).
 */
public final class FdBootstrap {
    /** Replicates used unless a caller asks otherwise. */
    public static final int DEFAULT_RESAMPLES = 1000;

    private final int configurations;
    private final double[] point;
    /** Per configuration, the FD of every replicate. */
    private final double[][] replicates;

    private FdBootstrap(double[] point, double[][] replicates) {
        this.configurations = point.length;
        this.point = point;
        this.replicates = replicates;
    }

    /**
     * An estimate with its central interval.
     *
     * @param value the estimate on all n samples
     * @param low   the lower end of the interval
     * @param high  the upper end
     * @param level the interval's coverage, e.g. 0.95
     */
    public record Interval(double value, double low, double high, double level) {
        /** Whether the interval leaves out zero (a difference that the samples decide). */
        public boolean excludesZero() {
            return low > 0 || high < 0;
        }

        public double width() {
            return high - low;
        }
    }

    /**
     * Runs the bootstrap.
     *
     * @param features  per configuration, its n feature vectors of d values ([n, d] flattened), rows aligned
     * @param n         samples per configuration
     * @param d         values per feature vector
     * @param reference the statistics every configuration is compared with
     * @param resamples bootstrap replicates (at least 2)
     * @param seed      seed of the index draws (the intervals are deterministic for a seed)
     */
    public static FdBootstrap run(List<float[]> features, int n, int d, FeatureStatistics reference, int resamples,
                                  long seed) {
        if (resamples < 2) {
            throw new IllegalArgumentException("need at least 2 bootstrap replicates, not " + resamples);
        }
        for (float[] f : features) {
            if (f.length != (long) n * d) {
                throw new IllegalArgumentException("features of " + f.length + " values, not n·d = " + n + "·" + d);
            }
        }
        int c = features.size();
        FrechetDistance.Against toReference = FrechetDistance.against(reference);
        double[] point = new double[c];
        for (int k = 0; k < c; k++) {
            point[k] = toReference.distance(FeatureStatistics.of(features.get(k), n, d));
        }
        // the draws first, in order, so the replicates do not depend on how the work is spread over threads
        SplittableRandom random = new SplittableRandom(seed);
        int[][] rows = new int[resamples][n];
        for (int[] r : rows) {
            for (int i = 0; i < n; i++) {
                r[i] = random.nextInt(n);
            }
        }
        double[][] replicates = new double[c][resamples];
        IntStream.range(0, resamples).parallel().forEach(b -> {
            float[] drawn = new float[n * d];
            for (int k = 0; k < c; k++) {
                float[] f = features.get(k);
                for (int i = 0; i < n; i++) {
                    System.arraycopy(f, rows[b][i] * d, drawn, i * d, d);
                }
                replicates[k][b] = toReference.distance(FeatureStatistics.of(drawn, n, d));
            }
        });
        return new FdBootstrap(point, replicates);
    }

    public int configurations() {
        return configurations;
    }

    public int resamples() {
        return replicates.length == 0 ? 0 : replicates[0].length;
    }

    /** Configuration k's FD with its {@code level} interval. */
    public Interval fd(int k, double level) {
        return interval(point[k], replicates[k], level);
    }

    /** FD(a) − FD(b), paired over the same replicates, with its {@code level} interval. */
    public Interval difference(int a, int b, double level) {
        double[] d = new double[replicates[a].length];
        for (int i = 0; i < d.length; i++) {
            d[i] = replicates[a][i] - replicates[b][i];
        }
        return interval(point[a] - point[b], d, level);
    }

    /** FD(a) / FD(b) − 1 (the relative excess of a over b), paired, with its {@code level} interval. */
    public Interval relativeExcess(int a, int b, double level) {
        double[] r = new double[replicates[a].length];
        for (int i = 0; i < r.length; i++) {
            r[i] = replicates[a][i] / replicates[b][i] - 1;
        }
        return interval(point[a] / point[b] - 1, r, level);
    }

    /** Every configuration's FD interval, in order. */
    public List<Interval> all(double level) {
        List<Interval> out = new ArrayList<>();
        for (int k = 0; k < configurations; k++) {
            out.add(fd(k, level));
        }
        return out;
    }

    /**
     * The percentile interval of the replicates, moved by the bootstrap's estimate of its own bias
     * (the replicates' mean minus the estimate). Why: an FD of n samples is biased upward, and
     * resampling with replacement (repeated images) biases the replicates further; on 1 000 samples
     * of 128-value features the plain percentile interval can miss its own estimate. Re-centred, the
     * interval keeps the replicates' spread around the estimate: how much an FD of n samples
     * moves with the draw of the n images.
     */
    private static Interval interval(double value, double[] replicates, double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("an interval's level is between 0 and 1, not " + level);
        }
        double[] sorted = replicates.clone();
        Arrays.sort(sorted);
        double bias = Arrays.stream(replicates).average().orElse(value) - value;
        double tail = (1 - level) / 2;
        return new Interval(value, quantile(sorted, tail) - bias, quantile(sorted, 1 - tail) - bias, level);
    }

    /** The q-quantile of sorted values, linearly interpolated between order statistics (numpy's default). */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
