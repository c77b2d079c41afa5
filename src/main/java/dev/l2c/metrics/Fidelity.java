package dev.l2c.metrics;

/**
 * How close generated samples are to reference samples made from the same initial noise and labels,
 * typically a cached schedule's output against the full (uncached) schedule's: the mean squared error
 * over all pixels, the PSNR derived from it, and the largest absolute difference of any pixel.
 *
 * <p>PSNR is {@code 10 · log10(peak² / MSE)} with {@code peak} = {@value #PEAK_TO_PEAK}, the
 * peak-to-peak range of images in [-1, 1]; so it equals the PSNR of the same images mapped to [0, 1]
 * with peak 1, and the values are comparable with the usual 8-bit image PSNR figures. It is
 * {@code +∞} when the samples are identical. Sums are taken in double over float32 differences; a NaN
 * anywhere makes the MSE, the PSNR and the maximum NaN, so a broken run cannot look good.
 *
 * @param mse        mean of the squared pixel differences
 * @param psnr       peak signal-to-noise ratio in dB; {@code +∞} when {@code mse} is 0
 * @param maxAbsDiff the largest absolute pixel difference
 */
public record Fidelity(double mse, double psnr, double maxAbsDiff) {
    /** Peak-to-peak range of the images (from -1 to 1). */
    public static final double PEAK_TO_PEAK = 2.0;

    /**
     * Compares {@code test} with {@code reference}, element by element; both are the same batch
     * flattened in the same order (e.g. {@code [n, C, H, W]}).
     *
     * @throws IllegalArgumentException if the lengths differ or the arrays are empty
     */
    public static Fidelity of(float[] test, float[] reference) {
        if (test.length != reference.length) {
            throw new IllegalArgumentException("cannot compare " + test.length + " values with a reference of "
                    + reference.length + "; the samples must come from the same noise and labels");
        }
        if (test.length == 0) {
            throw new IllegalArgumentException("no samples to compare");
        }
        double sumSquares = 0;
        double max = 0;
        for (int i = 0; i < test.length; i++) {
            double d = (double) test[i] - reference[i];
            sumSquares += d * d;
            max = Math.max(max, Math.abs(d)); // Math.max keeps a NaN once it appears
        }
        double mse = sumSquares / test.length;
        return new Fidelity(mse, psnr(mse), max);
    }

    /** PSNR in dB of a given MSE for images in [-1, 1]; {@code +∞} for 0. */
    public static double psnr(double mse) {
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(PEAK_TO_PEAK * PEAK_TO_PEAK / mse);
    }
}
