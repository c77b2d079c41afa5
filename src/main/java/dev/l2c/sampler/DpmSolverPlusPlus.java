package dev.l2c.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * DPM-Solver++ of second order with data prediction (Lu et al., "DPM-Solver++: Fast Solver for Guided
 * Sampling of Diffusion Probabilistic Models", 2022), for an ε-prediction model trained on a discrete
 * schedule, in the continuous time of {@link ContinuousTimeSchedule} (t from 1 down to 1/T).
 *
 * <p>The model's ε at time t becomes a data prediction x̂0 = (x − σ_t·ε)/α_t, clipped to [−1, 1] when
 * clipping (to the card's image range: a static clamp, not the reference's dynamic thresholding). With h = λ_t − λ_s and
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
 * coefficients are precomputed in double at construction and written out as a {@link SamplingPlan}
 * (the 2S correction regrouped as coefficients of x̂0_s and x̂0(u)), which runs them.
 */
public final class DpmSolverPlusPlus implements Sampler {
    /** Steps below this count use a first-order final step in 2M, as the reference's lower_order_final. */
    static final int LOWER_ORDER_FINAL_BELOW = 10;
    /** Position of the 2S intermediate point within a step, in λ. */
    static final double R1 = 0.5;

    private enum Kind { SINGLESTEP_2, MULTISTEP_2 }

    private final Kind kind;
    /** Outer step boundaries in t, descending, steps + 1 entries. */
    private final double[] stepTimes;
    /** Continuous time of each evaluation, in evaluation order. */
    private final double[] evaluationTimes;
    private final SamplingPlan plan;

    private DpmSolverPlusPlus(Kind kind, NoiseSchedule schedule, int nfe, ClipRange clip) {
        this.kind = kind;
        ContinuousTimeSchedule time = new ContinuousTimeSchedule(schedule);
        List<SamplingPlan.Evaluation> evaluations = new ArrayList<>();
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
                double xScale = time.sigma(t) / time.sigma(s);
                double x0Scale = alphaT * phi;
                double correction = 0.5 / R1 * alphaT * phi;
                int e = 2 * i;
                evaluationTimes[e] = s;
                evaluationTimes[e + 1] = s1;
                // u = (σ_s1/σ_s)·x − α_s1·(e^{−r·h} − 1)·x̂0_s
                evaluations.add(evaluation(time, s, List.of(
                        term(SamplingPlan.Source.INPUT, e, time.sigma(s1) / time.sigma(s)),
                        term(SamplingPlan.Source.X0, e, -time.alpha(s1) * Math.expm1(-R1 * h)))));
                // x_t = (σ_t/σ_s)·x − α_t·φ·x̂0_s − (1/(2r))·α_t·φ·(x̂0(u) − x̂0_s)
                evaluations.add(evaluation(time, s1, List.of(
                        term(SamplingPlan.Source.INPUT, e, xScale),
                        term(SamplingPlan.Source.X0, e, correction - x0Scale),
                        term(SamplingPlan.Source.X0, e + 1, -correction))));
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
                double xScale = time.sigma(t) / time.sigma(s);
                double x0Scale = alphaT * phi;
                boolean firstOrder = i == 0 || (nfe < LOWER_ORDER_FINAL_BELOW && i == nfe - 1);
                List<SamplingPlan.Term> next = new ArrayList<>();
                next.add(term(SamplingPlan.Source.INPUT, i, xScale));
                if (firstOrder) {
                    next.add(term(SamplingPlan.Source.X0, i, -x0Scale));
                } else {
                    // x_t = (σ_t/σ_s)·x − α_t·φ·x̂0_i − ½·α_t·φ·(x̂0_i − x̂0_{i−1})/r_0
                    double h0 = time.lambda(s) - time.lambda(stepTimes[i - 1]);
                    double correction = 0.5 * alphaT * phi * h / h0; // ½·α_t·φ / r_0
                    next.add(term(SamplingPlan.Source.X0, i, -x0Scale - correction));
                    next.add(term(SamplingPlan.Source.X0, i - 1, correction));
                }
                evaluations.add(evaluation(time, s, next));
            }
        }
        this.plan = new SamplingPlan(kind == Kind.SINGLESTEP_2 ? "dpm2s" : "dpm2m", evaluations, clip);
    }

    private static SamplingPlan.Evaluation evaluation(ContinuousTimeSchedule time, double t, List<SamplingPlan.Term> next) {
        return new SamplingPlan.Evaluation(time.modelTime(t), time.alpha(t), time.sigma(t), next);
    }

    private static SamplingPlan.Term term(SamplingPlan.Source source, int evaluation, double coefficient) {
        return new SamplingPlan.Term(source, evaluation, coefficient);
    }

    /** DPM-Solver++(2S), "dpm2s": nfe/2 singlestep second-order steps; nfe must be even and ≥ 2. */
    public static DpmSolverPlusPlus singlestep2(NoiseSchedule schedule, int nfe, boolean clipX0) {
        return singlestep2(schedule, nfe, clipX0 ? ClipRange.UNIT : null);
    }

    /** As {@link #singlestep2(NoiseSchedule, int, boolean)}, clipping x̂0 to {@code clip} (null: none). */
    public static DpmSolverPlusPlus singlestep2(NoiseSchedule schedule, int nfe, ClipRange clip) {
        return new DpmSolverPlusPlus(Kind.SINGLESTEP_2, schedule, nfe, clip);
    }

    /** DPM-Solver++(2M), "dpm2m": nfe multistep steps, the first (and for nfe &lt; 10 the last) first order. */
    public static DpmSolverPlusPlus multistep2(NoiseSchedule schedule, int nfe, boolean clipX0) {
        return multistep2(schedule, nfe, clipX0 ? ClipRange.UNIT : null);
    }

    /** As {@link #multistep2(NoiseSchedule, int, boolean)}, clipping x̂0 to {@code clip} (null: none). */
    public static DpmSolverPlusPlus multistep2(NoiseSchedule schedule, int nfe, ClipRange clip) {
        return new DpmSolverPlusPlus(Kind.MULTISTEP_2, schedule, nfe, clip);
    }

    @Override
    public String name() {
        return plan.sampler();
    }

    @Override
    public String schedulePattern() {
        return kind == Kind.SINGLESTEP_2 ? "uvit-dpm2s" : "dit-ddim";
    }

    @Override
    public SamplingPlan plan() {
        return plan;
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
    public String toString() {
        return name() + "[nfe=" + plan.size() + ", clip=" + plan.clip() + "]";
    }
}
