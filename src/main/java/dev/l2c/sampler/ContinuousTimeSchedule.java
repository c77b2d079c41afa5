package dev.l2c.sampler;

/**
 * The continuous-time view of a discrete {@link NoiseSchedule} that DPM-Solver integrates in, following
 * the "discrete" noise schedule of the DPM-Solver reference implementation (Lu et al. 2022):
 *
 * <ul>
 *   <li>Time t runs over [1/T, 1]. Discrete step n = 0..T−1 sits at t_n = (n + 1)/T.</li>
 *   <li>log α_t is interpolated piecewise-linearly in t between the knots (t_n, log √ᾱ_n), and
 *       continued linearly beyond the end knots (never needed for t in [1/T, 1]).</li>
 *   <li>σ_t = √(1 − α_t²), and the half log-SNR is λ_t = log α_t − log σ_t.</li>
 *   <li>The inverse λ → t is exact for this interpolant: log α = −½·log(1 + e^{−2λ}), then t is
 *       interpolated piecewise-linearly in log α on the same knots (log α decreases strictly in t).</li>
 *   <li>The model's input time is the "type-1 discrete" label (t − 1/T)·T, so t = 1/T feeds timestep 0
 *       and t = 1 feeds T − 1. The reference writes it as (t − 1/T)·1000, identical for T = 1000; using T
 *       keeps the model time an index into this schedule for other T. (The L2C U-ViT script feeds
 *       t·T instead because the original U-ViT counts training timesteps from 1; the demo models here
 *       count from 0, as ᾱ is indexed.)</li>
 * </ul>
 *
 * Everything is double precision (the reference interpolates in float32). Immutable.
 */
public final class ContinuousTimeSchedule {
    private final int steps;
    private final double[] logAlpha;

    public ContinuousTimeSchedule(NoiseSchedule schedule) {
        this.steps = schedule.steps();
        this.logAlpha = new double[steps];
        for (int n = 0; n < steps; n++) {
            logAlpha[n] = schedule.logAlpha(n);
        }
        for (int n = 1; n < steps; n++) {
            if (!(logAlpha[n] < logAlpha[n - 1])) {
                throw new IllegalArgumentException("log alpha must decrease strictly with t; step " + n
                        + " does not");
            }
        }
    }

    /** The earliest time, 1/T: where sampling ends. */
    public double startTime() {
        return 1.0 / steps;
    }

    /** The latest time, 1: where sampling begins. */
    public double endTime() {
        return 1.0;
    }

    /** log α_t, piecewise linear in t. */
    public double logAlpha(double t) {
        double u = t * steps - 1.0; // fractional discrete index
        int n = (int) Math.floor(u);
        n = Math.max(0, Math.min(steps - 2, n));
        double frac = u - n;
        return logAlpha[n] + frac * (logAlpha[n + 1] - logAlpha[n]);
    }

    public double alpha(double t) {
        return Math.exp(logAlpha(t));
    }

    /** σ_t = √(1 − α_t²), via expm1 so that it stays accurate where α_t is close to 1. */
    public double sigma(double t) {
        return Math.sqrt(-Math.expm1(2.0 * logAlpha(t)));
    }

    /** λ_t = log α_t − log σ_t. */
    public double lambda(double t) {
        double la = logAlpha(t);
        return la - 0.5 * Math.log(-Math.expm1(2.0 * la));
    }

    /** The t with {@code lambda(t) == lambda}, exact up to rounding for this piecewise-linear schedule. */
    public double timeOfLambda(double lambda) {
        // log α = −½·log(1 + e^{−2λ}), written as a stable log-add-exp.
        double z = -2.0 * lambda;
        double target = -0.5 * (Math.max(0.0, z) + Math.log1p(Math.exp(-Math.abs(z))));
        // logAlpha decreases in n: find the segment [n, n+1] with logAlpha[n] ≥ target ≥ logAlpha[n+1].
        int lo = 0;
        int hi = steps - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (logAlpha[mid] >= target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double frac = (logAlpha[lo] - target) / (logAlpha[lo] - logAlpha[lo + 1]);
        return (lo + 1 + frac) / steps;
    }

    /** The model's timestep input at time t: (t − 1/T)·T, clamped at 0. */
    public double modelTime(double t) {
        return Math.max(0.0, t * steps - 1.0);
    }

    /** The time t whose model input is {@code modelTime}: the inverse of {@link #modelTime}. */
    public double timeOfModelTime(double modelTime) {
        return (modelTime + 1.0) / steps;
    }

    /**
     * {@code n + 1} times uniform in t from {@link #endTime()} = 1 down to {@link #startTime()} = 1/T, the
     * "time_uniform" spacing: like torch.linspace(1, 1/T, n + 1) but in double, the last exactly 1/T.
     */
    public double[] uniformTimesDescending(int intervals) {
        return NoiseSchedule.linspace(endTime(), startTime(), intervals + 1);
    }
}
