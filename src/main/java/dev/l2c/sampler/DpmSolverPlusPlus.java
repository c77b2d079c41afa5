package dev.l2c.sampler;

import dev.l2c.error.L2cException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * DPM-Solver++ of second order with data prediction (Lu et al., "DPM-Solver++: Fast Solver for Guided
 * Sampling of Diffusion Probabilistic Models", 2022), for an ε-prediction model trained on a discrete
 * schedule, in the continuous time of {@link ContinuousTimeSchedule} (t from 1 down to 1/T).
 *
 * <p>The model's ε at time t becomes a data prediction x̂0 = (x − σ_t·ε)/α_t, clipped to [−1, 1] when
 * {@code clipX0} (a static clamp, not the reference's dynamic thresholding). With h = λ_t − λ_s and
 * φ = e^{−h} − 1 (computed as expm1), the updates from time s to time t are:
 *
 * <ul>
 *   <li><b>first order</b> (DDIM in data-prediction form): x_t = (σ_t/σ_s)·x_s − α_t·φ·x̂0_s.</li>
 *   <li><b>2S, singlestep</b> ({@link #singlestep2}, "dpm2s"): the intermediate time s1 has
 *       λ_{s1} = λ_s + r·h with r = ½; u = (σ_{s1}/σ_s)·x_s − α_{s1}·(e^{−r·h} − 1)·x̂0_s, and
 *       x_t = (σ_t/σ_s)·x_s − α_t·φ·x̂0_s − (1/(2r))·α_t·φ·(x̂0(u, s1) − x̂0_s). Two evaluations per
 *       step; NFE N gives N/2 steps uniform in t (as the reference's singlestep sampler with
 *       skip_type "time_uniform", which the L2C U-ViT uses). Evaluations run t_0, s_0, t_1, s_1, …</li>
 *   <li><b>2M, multistep</b> ({@link #multistep2}, "dpm2m"): N steps uniform in t, one evaluation at
 *       the start of each. The first step is first order; each later step uses the previous data
 *       prediction: with h_0 = λ_{t_{i−1}} − λ_{t_{i−2}} and r_0 = h_0/h,
 *       x_t = (σ_t/σ_{i−1})·x − α_t·φ·x̂0_{i−1} − ½·α_t·φ·(x̂0_{i−1} − x̂0_{i−2})/r_0.
 *       "Lower order final" as in the reference's default: when N &lt; 10 the last step is first order
 *       (the last step is the longest in λ, and the reference finds a first-order finish steadier with
 *       few steps); for N ≥ 10 every step after the first is second order.</li>
 * </ul>
 *
 * Sampling ends at t = 1/T (timestep 0) and returns x there, as the reference does without its optional
 * final denoising step. Model times are fractional for the 2S intermediate points. Each step's
 * coefficients are precomputed in double at construction; elementwise updates run in double and x is
 * stored as float32 between evaluations, as the model sees it.
 */
public final class DpmSolverPlusPlus implements Sampler {
    /** Steps below this count use a first-order final step in 2M, as the reference's lower_order_final. */
    static final int LOWER_ORDER_FINAL_BELOW = 10;
    /** Position of the 2S intermediate point within a step, in λ. */
    static final double R1 = 0.5;

    private enum Kind { SINGLESTEP_2, MULTISTEP_2 }

    private final Kind kind;
    private final ContinuousTimeSchedule time;
    private final int nfe;
    private final boolean clipX0;
    /** Outer step boundaries in t, descending, steps + 1 entries. */
    private final double[] stepTimes;
    /** Continuous time of each evaluation, in evaluation order. */
    private final double[] evaluationTimes;
    private final List<Step> steps;

    /**
     * One step's coefficients. First order and 2M:
     * x_t = xScale·x − x0Scale·x̂0 − correctionScale·(x̂0 − x̂0_previous).
     * 2S: u = midXScale·x − midX0Scale·x̂0, then
     * x_t = xScale·x − x0Scale·x̂0 − correctionScale·(x̂0(u) − x̂0).
     */
    private record Step(double xScale, double x0Scale, double correctionScale, double midXScale,
                        double midX0Scale) {
    }

    private DpmSolverPlusPlus(Kind kind, NoiseSchedule schedule, int nfe, boolean clipX0) {
        this.kind = kind;
        this.time = new ContinuousTimeSchedule(schedule);
        this.nfe = nfe;
        this.clipX0 = clipX0;
        this.steps = new ArrayList<>();
        if (kind == Kind.SINGLESTEP_2) {
            if (nfe < 2 || nfe % 2 != 0) {
                throw new IllegalArgumentException("dpm2s needs an even nfe ≥ 2, got " + nfe);
            }
            int n = nfe / 2;
            stepTimes = time.uniformTimesDescending(n);
            evaluationTimes = new double[nfe];
            for (int i = 0; i < n; i++) {
                double s = stepTimes[i];
                double t = stepTimes[i + 1];
                double lambdaS = time.lambda(s);
                double h = time.lambda(t) - lambdaS;
                double s1 = time.timeOfLambda(lambdaS + R1 * h);
                double phi = Math.expm1(-h);
                double alphaT = time.alpha(t);
                steps.add(new Step(time.sigma(t) / time.sigma(s), alphaT * phi, 0.5 / R1 * alphaT * phi,
                        time.sigma(s1) / time.sigma(s), time.alpha(s1) * Math.expm1(-R1 * h)));
                evaluationTimes[2 * i] = s;
                evaluationTimes[2 * i + 1] = s1;
            }
        } else {
            if (nfe < 1) {
                throw new IllegalArgumentException("dpm2m needs nfe ≥ 1, got " + nfe);
            }
            stepTimes = time.uniformTimesDescending(nfe);
            evaluationTimes = Arrays.copyOf(stepTimes, nfe);
            for (int i = 0; i < nfe; i++) {
                double s = stepTimes[i];
                double t = stepTimes[i + 1];
                double h = time.lambda(t) - time.lambda(s);
                double phi = Math.expm1(-h);
                double alphaT = time.alpha(t);
                boolean firstOrder = i == 0 || (nfe < LOWER_ORDER_FINAL_BELOW && i == nfe - 1);
                double correction = 0.0;
                if (!firstOrder) {
                    double h0 = time.lambda(s) - time.lambda(stepTimes[i - 1]);
                    correction = 0.5 * alphaT * phi * h / h0; // ½·α_t·φ / r_0
                }
                steps.add(new Step(time.sigma(t) / time.sigma(s), alphaT * phi, correction, 0.0, 0.0));
            }
        }
    }

    /** DPM-Solver++(2S), "dpm2s": nfe/2 singlestep second-order steps; nfe must be even and ≥ 2. */
    public static DpmSolverPlusPlus singlestep2(NoiseSchedule schedule, int nfe, boolean clipX0) {
        return new DpmSolverPlusPlus(Kind.SINGLESTEP_2, schedule, nfe, clipX0);
    }

    /** DPM-Solver++(2M), "dpm2m": nfe multistep steps, the first (and for nfe &lt; 10 the last) first order. */
    public static DpmSolverPlusPlus multistep2(NoiseSchedule schedule, int nfe, boolean clipX0) {
        return new DpmSolverPlusPlus(Kind.MULTISTEP_2, schedule, nfe, clipX0);
    }

    @Override
    public String name() {
        return kind == Kind.SINGLESTEP_2 ? "dpm2s" : "dpm2m";
    }

    @Override
    public String schedulePattern() {
        return kind == Kind.SINGLESTEP_2 ? "uvit-dpm2s" : "dit-ddim";
    }

    @Override
    public int evaluations() {
        return nfe;
    }

    @Override
    public double[] modelTimes() {
        double[] m = new double[nfe];
        for (int i = 0; i < nfe; i++) {
            m[i] = time.modelTime(evaluationTimes[i]);
        }
        return m;
    }

    /** The continuous time of each evaluation, in evaluation order. */
    public double[] evaluationTimes() {
        return evaluationTimes.clone();
    }

    /** The outer step boundaries in continuous time, from 1 down to 1/T. */
    public double[] stepTimes() {
        return stepTimes.clone();
    }

    @Override
    public boolean clipsX0() {
        return clipX0;
    }

    @Override
    public float[] sample(float[] xT, NoisePredictor model, StepObserver observer) throws L2cException {
        float[] x = xT.clone();
        double[] modelTimes = modelTimes();
        double[] x0 = new double[x.length];
        double[] x0Other = new double[x.length];
        if (kind == Kind.SINGLESTEP_2) {
            float[] mid = new float[x.length];
            for (int i = 0; i < steps.size(); i++) {
                Step st = steps.get(i);
                int e = 2 * i;
                dataPrediction(e, x, evaluationTimes[e], modelTimes[e], model, x0);
                observer.evaluated(e, nfe);
                for (int j = 0; j < x.length; j++) {
                    mid[j] = (float) (st.midXScale * x[j] - st.midX0Scale * x0[j]);
                }
                dataPrediction(e + 1, mid, evaluationTimes[e + 1], modelTimes[e + 1], model, x0Other);
                observer.evaluated(e + 1, nfe);
                for (int j = 0; j < x.length; j++) {
                    x[j] = (float) (st.xScale * x[j] - st.x0Scale * x0[j] - st.correctionScale * (x0Other[j] - x0[j]));
                }
            }
        } else {
            // x0Other holds the previous step's data prediction; swapped with x0 after each step.
            for (int i = 0; i < nfe; i++) {
                Step st = steps.get(i);
                dataPrediction(i, x, evaluationTimes[i], modelTimes[i], model, x0);
                observer.evaluated(i, nfe);
                for (int j = 0; j < x.length; j++) {
                    double update = st.xScale * x[j] - st.x0Scale * x0[j];
                    if (st.correctionScale != 0.0) {
                        update -= st.correctionScale * (x0[j] - x0Other[j]);
                    }
                    x[j] = (float) update;
                }
                double[] swap = x0Other;
                x0Other = x0;
                x0 = swap;
            }
        }
        return x;
    }

    /** x̂0 = (x − σ_t·ε)/α_t at continuous time t, optionally clipped, written into {@code out}. */
    private void dataPrediction(int evaluation, float[] x, double t, double modelTime, NoisePredictor model,
                                double[] out) throws L2cException {
        float[] eps = model.predictNoise(evaluation, x, modelTime);
        Samplers.checkNoiseLength(eps, x, evaluation);
        double alpha = time.alpha(t);
        double sigma = time.sigma(t);
        for (int j = 0; j < x.length; j++) {
            double v = (x[j] - sigma * eps[j]) / alpha;
            out[j] = clipX0 ? Math.max(-1.0, Math.min(1.0, v)) : v;
        }
    }

    @Override
    public String toString() {
        return name() + "[nfe=" + nfe + ", clipX0=" + clipX0 + "]";
    }
}
