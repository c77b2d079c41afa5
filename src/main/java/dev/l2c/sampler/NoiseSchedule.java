package dev.l2c.sampler;

import dev.l2c.error.UsageException;

import java.util.Arrays;

/**
 * A discrete-time variance-preserving noise schedule with {@code T} steps: x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε
 * for t = 0..T−1, with ᾱ_t = Π_{s≤t}(1 − β_s).
 *
 * <p>The betas are built the way numpy's {@code linspace} builds them in float64 (start + i·step, the last
 * value set to the end exactly) and ᾱ is their running product in double, so the values agree bit for
 * bit with {@code np.cumprod(1 - betas)} of the training recipes. Immutable.
 */
public final class NoiseSchedule {
    private final String name;
    private final double[] betas;
    private final double[] alphaBars;
    /** log √ᾱ_t as a running sum of ½·log(1 − β), the form DPM-Solver's discrete schedule uses. */
    private final double[] logAlphas;

    private NoiseSchedule(String name, double[] betas) {
        if (betas.length < 2) {
            throw new IllegalArgumentException("a noise schedule needs at least 2 steps, got " + betas.length);
        }
        this.name = name;
        this.betas = betas.clone();
        this.alphaBars = new double[betas.length];
        this.logAlphas = new double[betas.length];
        double product = 1.0;
        double logSum = 0.0;
        for (int t = 0; t < betas.length; t++) {
            double b = betas[t];
            if (!(b > 0.0 && b < 1.0)) {
                throw new IllegalArgumentException("beta[" + t + "] = " + b + " is outside (0, 1)");
            }
            product *= 1.0 - b;
            logSum += 0.5 * Math.log1p(-b);
            alphaBars[t] = product;
            logAlphas[t] = logSum;
        }
    }

    /** β linear from {@code betaStart} to {@code betaEnd} (DiT: 1e-4 → 0.02 over 1000 steps). */
    public static NoiseSchedule linear(int steps, double betaStart, double betaEnd) {
        return new NoiseSchedule("linear", linspace(betaStart, betaEnd, steps));
    }

    /** √β linear from √betaStart to √betaEnd, squared (Stable Diffusion / U-ViT: 0.00085 → 0.012). */
    public static NoiseSchedule scaledLinear(int steps, double betaStart, double betaEnd) {
        double[] b = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), steps);
        for (int i = 0; i < b.length; i++) {
            b[i] = b[i] * b[i];
        }
        return new NoiseSchedule("scaled_linear", b);
    }

    /** A schedule with the given betas, each in (0, 1). */
    public static NoiseSchedule fromBetas(String name, double[] betas) {
        return new NoiseSchedule(name, betas);
    }

    /**
     * The schedule called {@code name} ("linear" or "scaled_linear") as a command line or model card names
     * it.
     */
    public static NoiseSchedule fromName(String name, int steps, double betaStart, double betaEnd)
            throws UsageException {
        if (steps < 2) {
            throw new UsageException("noise schedule needs at least 2 training steps, got " + steps);
        }
        if (!(betaStart > 0 && betaEnd > 0 && betaStart < 1 && betaEnd < 1)) {
            throw new UsageException("noise schedule betas must lie in (0, 1), got start " + betaStart
                    + " and end " + betaEnd);
        }
        return switch (name) {
            case "linear" -> linear(steps, betaStart, betaEnd);
            case "scaled_linear" -> scaledLinear(steps, betaStart, betaEnd);
            default -> throw new UsageException("unknown noise schedule '" + name
                    + "'; valid schedules: linear, scaled_linear");
        };
    }

    /** numpy.linspace(start, end, n) in float64, element for element. */
    static double[] linspace(double start, double end, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("linspace needs at least one point, got " + n);
        }
        double[] y = new double[n];
        if (n == 1) {
            y[0] = start;
            return y;
        }
        double step = (end - start) / (n - 1);
        for (int i = 0; i < n; i++) {
            y[i] = i * step + start;
        }
        y[n - 1] = end;
        return y;
    }

    /** "linear", "scaled_linear", or the name given to {@link #fromBetas}. */
    public String name() {
        return name;
    }

    /** Number of discrete steps T. */
    public int steps() {
        return betas.length;
    }

    public double beta(int t) {
        return betas[t];
    }

    /** ᾱ_t = Π_{s≤t}(1 − β_s). */
    public double alphaBar(int t) {
        return alphaBars[t];
    }

    /** log √ᾱ_t, accumulated as Σ_{s≤t} ½·log(1 − β_s). */
    public double logAlpha(int t) {
        return logAlphas[t];
    }

    @Override
    public String toString() {
        return "NoiseSchedule[" + name + ", T=" + betas.length + ", beta " + betas[0] + " .. "
                + betas[betas.length - 1] + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoiseSchedule other && Arrays.equals(betas, other.betas);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(betas);
    }
}
