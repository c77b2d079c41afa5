package dev.l2c.metrics;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets (FID when the features come from
 * Inception; here they come from the Fashion-MNIST classifier):
 *
 * <pre>  FD = ‖μ1 − μ2‖² + tr(S1) + tr(S2) − 2 · tr((S1^½ S2 S1^½)^½)</pre>
 *
 * <p>The last trace equals the usual {@code tr((S1 S2)^½)}, but written this way every matrix involved
 * is symmetric positive semi-definite, so it is computed with symmetric eigen-decompositions only: no
 * general matrix square root (which for the non-symmetric S1 S2 can come out complex and needs the
 * "discard the imaginary part" patch-up of scipy-based FID code). S1^½ is V·diag(√λ)·Vᵀ from the
 * eigen-decomposition of S1; then the eigenvalues of S1^½ S2 S1^½ are square-rooted and summed.
 * Eigenvalues that rounding makes slightly negative are clipped to 0 in both places; that also keeps
 * rank-deficient covariances (fewer vectors than dimensions) finite. All arithmetic is in double.
 *
 * @param value          the Fréchet distance, never negative (rounding below 0 is clipped)
 * @param meanTerm       {@code ‖μ1 − μ2‖²}, the part due to the means
 * @param covarianceTerm {@code tr(S1) + tr(S2) − 2 · tr((S1^½ S2 S1^½)^½)}, the part due to the covariances
 */
public record FrechetDistance(double value, double meanTerm, double covarianceTerm) {

    /**
     * The distance between the Gaussians of {@code a} and {@code b}.
     *
     * @throws IllegalArgumentException if the feature dimensions differ
     */
    public static FrechetDistance between(FeatureStatistics a, FeatureStatistics b) {
        int d = a.dim();
        if (b.dim() != d) {
            throw new IllegalArgumentException("cannot compare statistics of " + d + "-value features with "
                    + b.dim() + "-value ones; they come from different feature extractors");
        }
        double meanTerm = squaredDistance(a.meanView(), b.meanView());
        double[] s1 = a.covarianceView();
        double[] s2 = b.covarianceView();
        double covarianceTerm = trace(s1, d) + trace(s2, d) - 2 * traceOfSqrtProduct(s1, s2, d);
        return new FrechetDistance(Math.max(0, meanTerm + covarianceTerm), meanTerm, covarianceTerm);
    }

    /**
     * Distances to one fixed set of statistics, with its covariance's square root computed once:
     * {@code tr((Sr^½ S Sr^½)^½)} is the same trace as in {@link #between} (the eigenvalues of
     * S1^½ S2 S1^½ and S2^½ S1 S2^½ agree), at one eigen-decomposition per distance instead of two.
     * For many distances to the test set (bootstrap replicates).
     */
    public static final class Against {
        private final FeatureStatistics reference;
        private final DMatrixRMaj sqrtReference;
        private final double referenceTrace;

        private Against(FeatureStatistics reference) {
            this.reference = reference;
            int d = reference.dim();
            double[] s = reference.covarianceView();
            this.sqrtReference = symmetricSqrt(DMatrixRMaj.wrap(d, d, s.clone()));
            this.referenceTrace = trace(s, d);
        }

        /** The Fréchet distance of {@code a} to the reference. Safe to call from several threads. */
        public double distance(FeatureStatistics a) {
            int d = reference.dim();
            if (a.dim() != d) {
                throw new IllegalArgumentException("cannot compare statistics of " + a.dim() + "-value features with "
                        + d + "-value ones; they come from different feature extractors");
            }
            double meanTerm = squaredDistance(a.meanView(), reference.meanView());
            double[] s1 = a.covarianceView();
            double traces = referenceTrace + trace(s1, d);
            return Math.max(0, meanTerm + traces - 2 * traceOfSqrtSandwich(sqrtReference, s1, d));
        }
    }

    private static double squaredDistance(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double diff = a[i] - b[i];
            sum += diff * diff;
        }
        return sum;
    }

    /** The trace of a row-major d × d matrix. */
    private static double trace(double[] m, int d) {
        double t = 0;
        for (int i = 0; i < d; i++) {
            t += m[i * d + i];
        }
        return t;
    }

    /** Distances to {@code reference}, many of them. */
    public static Against against(FeatureStatistics reference) {
        return new Against(reference);
    }

    /**
     * {@code tr((S1^½ S2 S1^½)^½)} for symmetric positive semi-definite {@code s1} and {@code s2}
     * ({@code d × d}, row-major), via two symmetric eigen-decompositions.
     */
    static double traceOfSqrtProduct(double[] s1, double[] s2, int d) {
        return traceOfSqrtSandwich(symmetricSqrt(DMatrixRMaj.wrap(d, d, s1.clone())), s2, d);
    }

    /** {@code tr((R S2 R)^½)} for the symmetric square root R of S1. */
    private static double traceOfSqrtSandwich(DMatrixRMaj sqrtS1, double[] s2, int d) {
        DMatrixRMaj temp = new DMatrixRMaj(d, d);
        DMatrixRMaj product = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(sqrtS1, DMatrixRMaj.wrap(d, d, s2), temp);
        CommonOps_DDRM.mult(temp, sqrtS1, product);
        symmetrize(product);
        double trace = 0;
        for (double lambda : symmetricEigenvalues(product, false).values) {
            trace += Math.sqrt(Math.max(0, lambda));
        }
        return trace;
    }

    /** The square root V·diag(√max(λ, 0))·Vᵀ of the symmetric {@code m}, which may be overwritten. */
    static DMatrixRMaj symmetricSqrt(DMatrixRMaj m) {
        int d = m.numRows;
        Eigen eigen = symmetricEigenvalues(m, true);
        // Scale column k of V by √λk, then multiply by Vᵀ.
        DMatrixRMaj basis = new DMatrixRMaj(d, d);
        DMatrixRMaj scaled = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double root = Math.sqrt(Math.max(0, eigen.values[k]));
            DMatrixRMaj v = eigen.vectors[k];
            for (int i = 0; i < d; i++) {
                basis.unsafe_set(i, k, v.data[i]);
                scaled.unsafe_set(i, k, v.data[i] * root);
            }
        }
        DMatrixRMaj root = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransB(scaled, basis, root);
        symmetrize(root);
        return root;
    }

    /** Eigenvalues and (when asked for) the unit eigenvectors as columns d × 1, in matching order. */
    private record Eigen(double[] values, DMatrixRMaj[] vectors) {
    }

    /** The decomposition of the symmetric {@code m}, which may be overwritten. */
    private static Eigen symmetricEigenvalues(DMatrixRMaj m, boolean wantVectors) {
        int d = m.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, wantVectors, true);
        if (!eig.decompose(m)) {
            // The symmetric QR algorithm converges for every finite symmetric matrix; only NaN/∞ gets here.
            throw new IllegalStateException("symmetric eigen-decomposition of a " + d + "×" + d
                    + " matrix failed; does a covariance hold NaN or infinity?");
        }
        double[] values = new double[d];
        DMatrixRMaj[] vectors = wantVectors ? new DMatrixRMaj[d] : null;
        for (int k = 0; k < d; k++) {
            values[k] = eig.getEigenvalue(k).real;
            if (wantVectors) {
                vectors[k] = eig.getEigenVector(k);
            }
        }
        return new Eigen(values, vectors);
    }

    /** Replaces m by (m + mᵀ)/2, removing the asymmetry that rounding in products leaves. */
    private static void symmetrize(DMatrixRMaj m) {
        int d = m.numRows;
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double v = (m.unsafe_get(i, j) + m.unsafe_get(j, i)) / 2;
                m.unsafe_set(i, j, v);
                m.unsafe_set(j, i, v);
            }
        }
    }
}
