package dev.l2c.sampler;

import dev.l2c.error.L2cException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Solver accuracy against a model whose probability-flow ODE has a closed-form solution.
 *
 * <p>If every element of x0 is independent N(μ, s²), then x_t = α_t·x0 + σ_t·ε has the exact
 * ε-prediction ε*(x, t) = σ_t·(x − α_t·μ)/(α_t²·s² + σ_t²), and along the ODE the quantity
 * (x_t − α_t·μ)/√(α_t²·s² + σ_t²) is invariant. So each sampler, given ε*, must converge to a known
 * answer as NFE grows, and the log-log slope of error against NFE measures its order: about 1 for DDIM,
 * about 2 for DPM-Solver++(2S) and (2M). A wrong coefficient, sign, time mapping or model time breaks
 * either the limit or the slope.
 */
class GaussianConvergenceTest {
    private static final int ELEMENTS = 64;

    /** Per-element data mean and standard deviation, and a noise sample x_T: fixed by a seed. */
    private record Problem(double[] mu, double[] s, float[] xT) {
        static Problem seeded(long seed) {
            Random r = new Random(seed);
            double[] mu = new double[ELEMENTS];
            double[] s = new double[ELEMENTS];
            float[] xT = new float[ELEMENTS];
            for (int i = 0; i < ELEMENTS; i++) {
                mu[i] = -0.6 + 1.2 * r.nextDouble();
                s[i] = 0.1 + 0.7 * r.nextDouble();
                xT[i] = (float) r.nextGaussian();
            }
            return new Problem(mu, s, xT);
        }

        /** ε* at a noise level given by log α (σ² = 1 − α²). */
        float[] exactNoise(float[] x, double logAlpha) {
            double alpha = Math.exp(logAlpha);
            double sigma = Math.sqrt(-Math.expm1(2 * logAlpha));
            float[] eps = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                eps[i] = (float) (sigma * (x[i] - alpha * mu[i]) / (alpha * alpha * s[i] * s[i] + sigma * sigma));
            }
            return eps;
        }

        /** The exact ODE map from noise level (alphaFrom) to (alphaTo), applied to x_T. */
        double[] exactFlow(double alphaFrom, double alphaTo) {
            double[] out = new double[ELEMENTS];
            for (int i = 0; i < ELEMENTS; i++) {
                double from = Math.sqrt(alphaFrom * alphaFrom * s[i] * s[i] + 1 - alphaFrom * alphaFrom);
                double to = Math.sqrt(alphaTo * alphaTo * s[i] * s[i] + 1 - alphaTo * alphaTo);
                out[i] = alphaTo * mu[i] + to * (xT[i] - alphaFrom * mu[i]) / from;
            }
            return out;
        }
    }

    /** The exact model as the sampler sees it: model time → the schedule's log α at that time. */
    private static NoisePredictor exactModel(Problem p, NoiseSchedule schedule) {
        ContinuousTimeSchedule time = new ContinuousTimeSchedule(schedule);
        return (evaluation, x, modelTime) -> p.exactNoise(x, time.logAlpha(time.timeOfModelTime(modelTime)));
    }

    private static double rmsError(float[] got, double[] expected) {
        double sum = 0;
        for (int i = 0; i < got.length; i++) {
            double d = got[i] - expected[i];
            sum += d * d;
        }
        return Math.sqrt(sum / got.length);
    }

    /** Least-squares slope of −log(error) against log(nfe). */
    private static double order(int[] nfes, double[] errors) {
        int n = nfes.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(nfes[i]) / n;
            my += -Math.log(errors[i]) / n;
        }
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(nfes[i]) - mx;
            sxy += dx * (-Math.log(errors[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }

    private static double[] errors(int[] nfes, IntFunction<Sampler> samplers, Problem p, NoiseSchedule schedule,
                                   double[] expected) throws L2cException {
        double[] errors = new double[nfes.length];
        for (int i = 0; i < nfes.length; i++) {
            float[] x = samplers.apply(nfes[i]).sample(p.xT, exactModel(p, schedule), StepObserver.NONE);
            errors[i] = rmsError(x, expected);
        }
        return errors;
    }

    /**
     * DDIM's last step jumps from timestep 0 to ᾱ = 1 by returning the x0 prediction, which is not the ODE
     * solution at σ = 0; so its limit is the exact flow from timestep T−1 to 0 followed by the exact
     * posterior mean E[x0 | x] = μ + α·s²·(x − α·μ)/(α²·s² + σ²) at timestep 0.
     */
    private static double[] ddimLimit(Problem p, NoiseSchedule schedule) {
        double alphaT = Math.sqrt(schedule.alphaBar(schedule.steps() - 1));
        double alpha0 = Math.sqrt(schedule.alphaBar(0));
        double[] x = p.exactFlow(alphaT, alpha0);
        double sigma2 = 1 - alpha0 * alpha0;
        for (int i = 0; i < x.length; i++) {
            double s2 = p.s[i] * p.s[i];
            x[i] = p.mu[i] + alpha0 * s2 * (x[i] - alpha0 * p.mu[i]) / (alpha0 * alpha0 * s2 + sigma2);
        }
        return x;
    }

    private static double[] dpmLimit(Problem p, NoiseSchedule schedule) {
        ContinuousTimeSchedule time = new ContinuousTimeSchedule(schedule);
        return p.exactFlow(time.alpha(time.endTime()), time.alpha(time.startTime()));
    }

    private static void report(String what, int[] nfes, double[] errors, double slope) {
        System.out.printf("%-28s nfe %s  rms error %s  order %.3f%n", what, Arrays.toString(nfes),
                Arrays.toString(Arrays.stream(errors).mapToObj(e -> String.format("%.2e", e)).toArray()), slope);
    }

    private static void checkDdim(NoiseSchedule schedule) throws L2cException {
        Problem p = Problem.seeded(11);
        int[] nfes = {20, 40, 80, 160, 320};
        double[] err = errors(nfes, n -> new Ddim(schedule, n, false), p, schedule, ddimLimit(p, schedule));
        double slope = order(nfes, err);
        report("ddim " + schedule.name(), nfes, err, slope);
        assertTrue(slope > 0.8 && slope < 1.3, "DDIM should converge with order about 1, measured " + slope);
        assertTrue(err[err.length - 1] < 1e-2, "DDIM-320 error " + err[err.length - 1]);
    }

    /**
     * Order 2 shows only once the solver's largest steps in λ shrink like 1/NFE. With steps uniform in t,
     * the last step from t = 1/T + Δt to 1/T spans h ≈ ½·log(1 + T·Δt) in λ (σ² grows about linearly in t
     * near t = 0), which shrinks like 1/NFE only once the step count exceeds T. So the fit uses NFE from
     * 320 to 2560; at NFE 20..160 the measured slopes are 1.1..1.8 (lower for the scaled-linear schedule),
     * and above about 5000 the float32 storage of x starts to show.
     */
    private static void checkSecondOrder(NoiseSchedule schedule, String name) throws L2cException {
        Problem p = Problem.seeded(23);
        int[] nfes = {320, 640, 1280, 2560};
        double[] err = errors(nfes, n -> name.equals("dpm2s") ? DpmSolverPlusPlus.singlestep2(schedule, n, false)
                : DpmSolverPlusPlus.multistep2(schedule, n, false), p, schedule, dpmLimit(p, schedule));
        double slope = order(nfes, err);
        report(name + " " + schedule.name(), nfes, err, slope);
        assertTrue(slope > 1.6 && slope < 2.4, name + " should converge with order about 2, measured " + slope);
        assertTrue(err[err.length - 1] < 5e-5, name + "-2560 error " + err[err.length - 1]);
    }

    @Test
    void ddimConvergesWithFirstOrderOnLinearSchedule() throws L2cException {
        checkDdim(NoiseSchedule.linear(1000, 1e-4, 0.02));
    }

    @Test
    void ddimConvergesWithFirstOrderOnScaledLinearSchedule() throws L2cException {
        checkDdim(NoiseSchedule.scaledLinear(1000, 0.00085, 0.012));
    }

    @Test
    void dpm2sConvergesWithSecondOrder() throws L2cException {
        checkSecondOrder(NoiseSchedule.linear(1000, 1e-4, 0.02), "dpm2s");
        checkSecondOrder(NoiseSchedule.scaledLinear(1000, 0.00085, 0.012), "dpm2s");
    }

    @Test
    void dpm2mConvergesWithSecondOrder() throws L2cException {
        checkSecondOrder(NoiseSchedule.linear(1000, 1e-4, 0.02), "dpm2m");
        checkSecondOrder(NoiseSchedule.scaledLinear(1000, 0.00085, 0.012), "dpm2m");
    }
}
