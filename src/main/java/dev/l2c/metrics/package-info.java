/**
 * Quality metrics for generated samples: how close a cached schedule's samples are to the full
 * schedule's from the same noise and labels ({@link dev.l2c.metrics.Fidelity}: MSE, PSNR, max |Δ|), and
 * how close a set of samples is to real images as a distribution ({@link dev.l2c.metrics.FrechetDistance}
 * between {@link dev.l2c.metrics.FeatureStatistics} of the Fashion-MNIST classifier's features,
 * {@link dev.l2c.metrics.ClassifierFeatures}), against the test set's statistics, which
 * {@link dev.l2c.metrics.FashionMnistReference} computes once and caches. {@link dev.l2c.metrics.FashionMnist}
 * locates and loads the data set and makes class-balanced labels for generation.
 *
 * <p>Statistics and distances are computed in double; features and images are float32 arrays,
 * flattened in row-major order ({@code [n, d]} and {@code [n, C, H, W]}).
 */
package dev.l2c.metrics;
