package dev.l2c.metrics;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.OutputException;
import dev.l2c.io.DataKind;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npz;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Gaussian fitted to a set of feature vectors, which is all the Fréchet distance needs: the number
 * of vectors, their mean and their covariance. The covariance is the unbiased one (divided by n − 1),
 * as numpy's {@code np.cov(features, rowvar=False)} computes it. Everything is double: the features are
 * float32, but sums over thousands of them are not.
 *
 * <p>The arrays are copied in and out, so a record cannot be changed after it is made. The covariance
 * is a symmetric {@code d × d} matrix in row-major order.
 *
 * <p>Saved as a .npz archive (see {@link #toArrays()}): {@code mu} float64 [d], {@code sigma} float64
 * [d, d] and {@code n} int64 scalar, the names that FID tools such as pytorch-fid use for their
 * statistics files, so {@code np.load(file)} gives the same numbers in Python.
 *
 * @param n          how many feature vectors the statistics describe (at least 2)
 * @param mean       the mean vector, {@code d} values
 * @param covariance the covariance matrix, {@code d · d} values in row-major order
 */
public record FeatureStatistics(int n, double[] mean, double[] covariance) {
    /** Archive entry names. */
    public static final String MEAN = "mu";
    public static final String COVARIANCE = "sigma";
    public static final String COUNT = "n";
    /** Relative asymmetry of a loaded covariance that is put down to rounding. */
    private static final double SYMMETRY_TOLERANCE = 1e-6;

    public FeatureStatistics {
        if (n < 2) {
            throw new IllegalArgumentException("a covariance needs at least 2 feature vectors, not " + n);
        }
        if (mean.length == 0) {
            throw new IllegalArgumentException("features must have at least one dimension");
        }
        if ((long) mean.length * mean.length != covariance.length) {
            throw new IllegalArgumentException("a mean of " + mean.length + " values needs a " + mean.length + "×"
                    + mean.length + " covariance, not " + covariance.length + " values");
        }
        mean = mean.clone();
        covariance = covariance.clone();
    }

    /**
     * Fits the Gaussian to {@code n} feature vectors of {@code d} values each, given row after row in
     * {@code features} ({@code [n, d]} flattened).
     *
     * @throws IllegalArgumentException if {@code features} does not hold {@code n · d} values, or n < 2
     */
    public static FeatureStatistics of(float[] features, int n, int d) {
        if (n < 2 || d < 1) {
            throw new IllegalArgumentException("need at least 2 feature vectors of at least 1 value, not n=" + n
                    + ", d=" + d);
        }
        if ((long) n * d != features.length) {
            throw new IllegalArgumentException("features hold " + features.length + " values, not n·d = " + n + "·"
                    + d + " = " + (long) n * d);
        }
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += features[i * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        // Two passes (centre, then multiply) rather than E[xxᵀ] − μμᵀ, which cancels catastrophically
        // when the mean is large compared with the spread.
        DMatrixRMaj centred = new DMatrixRMaj(n, d);
        double[] c = centred.data;
        for (int i = 0; i < n * d; i++) {
            c[i] = features[i] - mean[i % d];
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransA(centred, centred, cov);
        double[] s = cov.data;
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                // Blocked products need not be bit-for-bit symmetric; make them so.
                double v = (s[i * d + j] + s[j * d + i]) / 2 / (n - 1);
                s[i * d + j] = v;
                s[j * d + i] = v;
            }
        }
        return new FeatureStatistics(n, mean, s);
    }

    /** The number of values per feature vector. */
    public int dim() {
        return mean.length;
    }

    /** A copy of the mean vector. */
    @Override
    public double[] mean() {
        return mean.clone();
    }

    /** A copy of the covariance, row-major {@code d × d}. */
    @Override
    public double[] covariance() {
        return covariance.clone();
    }

    /** The mean and covariance read-only, without copying, for the computations in this package. */
    double[] meanView() {
        return mean;
    }

    double[] covarianceView() {
        return covariance;
    }

    /** The arrays this is saved as: {@code mu} [d], {@code sigma} [d, d] (float64), {@code n} (int64 scalar). */
    public Map<String, NdArray> toArrays() {
        Map<String, NdArray> arrays = new LinkedHashMap<>();
        arrays.put(MEAN, NdArray.ofDoubles(mean.clone(), mean.length));
        arrays.put(COVARIANCE, NdArray.ofDoubles(covariance.clone(), mean.length, mean.length));
        arrays.put(COUNT, NdArray.ofLongs(new long[] {n}));
        return arrays;
    }

    /**
     * Reads statistics back from the arrays of an archive (other entries are ignored); {@code file} is
     * only for messages.
     *
     * @throws InvalidInputException if an entry is missing, has the wrong shape, or holds values that no
     *     covariance can have (not finite, not symmetric)
     */
    public static FeatureStatistics fromArrays(Map<String, NdArray> arrays, Path file) throws InvalidInputException {
        NdArray mu = require(arrays, MEAN, file);
        NdArray sigma = require(arrays, COVARIANCE, file);
        NdArray count = require(arrays, COUNT, file);
        if (mu.rank() != 1 || mu.dim(0) < 1) {
            throw new InvalidInputException(file, "'" + MEAN + "' has shape " + Arrays.toString(mu.shape())
                    + "; expected a vector [d]");
        }
        int d = (int) mu.dim(0);
        if (sigma.rank() != 2 || sigma.dim(0) != d || sigma.dim(1) != d) {
            throw new InvalidInputException(file, "'" + COVARIANCE + "' has shape " + Arrays.toString(sigma.shape())
                    + " but the mean has " + d + " values; expected [" + d + ", " + d + "]");
        }
        if (count.elementCount() != 1 || count.kind() != DataKind.INT64 || count.longValue() < 2
                || count.longValue() > Integer.MAX_VALUE) {
            String found = count.elementCount() == 1 ? count.kind().numpyName + " " + count.doubleValue()
                    : "an array of shape " + count.shapeString();
            throw new InvalidInputException(file, "'" + COUNT + "' must be one integer >= 2 (the number of feature "
                    + "vectors), not " + found);
        }
        double[] mean = mu.asDoubles();
        double[] cov = sigma.asDoubles();
        for (double v : mean) {
            if (!Double.isFinite(v)) {
                throw new InvalidInputException(file, "'" + MEAN + "' holds " + v + "; the statistics are damaged");
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double a = cov[i * d + j];
                double b = cov[j * d + i];
                // Files written by other tools may be symmetric only up to rounding; accept that and
                // make the matrix exactly symmetric, which the eigen-decompositions assume.
                double scale = Math.sqrt(Math.abs(cov[i * d + i] * cov[j * d + j]));
                if (!Double.isFinite(a) || !Double.isFinite(b) || Math.abs(a - b) > SYMMETRY_TOLERANCE * scale) {
                    throw new InvalidInputException(file, "'" + COVARIANCE + "' is not a symmetric finite matrix (["
                            + i + ", " + j + "] = " + a + ", [" + j + ", " + i + "] = " + b + "); the statistics are "
                            + "damaged; recompute them");
                }
                cov[i * d + j] = cov[j * d + i] = (a + b) / 2;
            }
        }
        return new FeatureStatistics((int) count.longValue(), mean, cov);
    }

    /** Saves as a .npz archive with {@code mu}, {@code sigma} and {@code n}, atomically. */
    public void save(Path file) throws OutputException {
        Npz.write(file, toArrays());
    }

    /**
     * The most an archive of statistics may expand to: a covariance of 2 048 features is 32 MiB, and
     * a statistics file is never more; a larger one is refused before it fills the heap.
     */
    public static final long MAX_ARCHIVE_BYTES = 64L << 20;

    /** Loads statistics saved by {@link #save} (or by numpy with the same names). */
    public static FeatureStatistics load(Path file) throws InvalidInputException {
        return fromArrays(Npz.read(file, MAX_ARCHIVE_BYTES), file);
    }

    /** SHA-256 (hex) of n, the mean and the covariance, bit for bit: what a cache of them records. */
    public String sha256() {
        java.security.MessageDigest d = dev.l2c.io.Sha256.digest();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * (2 + mean.length + covariance.length))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).putLong(mean.length);
        for (double v : mean) {
            b.putLong(Double.doubleToLongBits(v));
        }
        for (double v : covariance) {
            b.putLong(Double.doubleToLongBits(v));
        }
        d.update(b.array());
        return dev.l2c.io.Sha256.hex(d);
    }

    private static NdArray require(Map<String, NdArray> arrays, String name, Path file) throws InvalidInputException {
        NdArray a = arrays.get(name);
        if (a == null) {
            throw new InvalidInputException(file, "has no array '" + name + "'; feature statistics need '" + MEAN
                    + "', '" + COVARIANCE + "' and '" + COUNT + "'");
        }
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureStatistics other && n == other.n && Arrays.equals(mean, other.mean)
                && Arrays.equals(covariance, other.covariance);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * n + Arrays.hashCode(mean)) + Arrays.hashCode(covariance);
    }

    @Override
    public String toString() {
        return "FeatureStatistics[n=" + n + ", d=" + mean.length + "]";
    }
}
