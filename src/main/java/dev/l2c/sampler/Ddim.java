package dev.l2c.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Deterministic DDIM (eta = 0) on respaced timesteps, exactly as the demo models' README and DiT's
 * {@code space_timesteps(T, "N")} define it.
 *
 * <p>Timesteps: {@code ts = sorted(set(round(linspace(0, T−1, N))))} with Python's round-half-to-even,
 * visited from high to low. At each visited t, with ε from the model:
 * <pre>
 *   x0     = (x − √(1−ᾱ_t)·ε) / √ᾱ_t          clipped to the card's range when clipping
 *   ε      = (x − √ᾱ_t·x0) / √(1−ᾱ_t)          recomputed from the clipped x0
 *   x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε        ᾱ_prev = ᾱ of the next visited t, or 1 after the last
 * </pre>
 * Substituting the recomputed ε gives the linear update of a {@link SamplingPlan}:
 * x_prev = (√(1−ᾱ_prev)/√(1−ᾱ_t))·x + (√ᾱ_prev − √ᾱ_t·√(1−ᾱ_prev)/√(1−ᾱ_t))·x0, the same with or without
 * clipping (without it, the recomputed ε is the model's). So the result is the last x0 prediction; no
 * extra clamp is applied after the loop (the reference trajectory applies none; with clipping on the
 * result lies in the range anyway).
 *
 * <p>Precision: the coefficients are computed in double once per step; each element's update runs
 * in double and is stored as float32. The fp32 reference rounds every intermediate to float, so the two
 * differ by a few float ulps per step, far inside the 1e-3 agreement required after 20 steps.
 */
public final class Ddim implements Sampler {
    private final int[] visited; // descending
    private final SamplingPlan plan;

    /** DDIM clipping x0 to [−1, 1] when {@code clipX0}. */
    public Ddim(NoiseSchedule schedule, int nfe, boolean clipX0) {
        this(schedule, nfe, clipX0 ? ClipRange.UNIT : null);
    }

    /**
     * @param nfe  number of steps N, 1 ≤ N ≤ T (one model evaluation per step); see
     *             {@link Samplers#create} for the user-facing check
     * @param clip the range x0 is clipped to, or null for none
     */
    public Ddim(NoiseSchedule schedule, int nfe, ClipRange clip) {
        if (nfe < 1 || nfe > schedule.steps()) {
            throw new IllegalArgumentException("DDIM needs 1 ≤ nfe ≤ " + schedule.steps() + ", got " + nfe);
        }
        int[] ascending = respacedTimesteps(schedule.steps(), nfe);
        this.visited = new int[ascending.length];
        for (int i = 0; i < ascending.length; i++) {
            visited[i] = ascending[ascending.length - 1 - i];
        }
        List<SamplingPlan.Evaluation> evaluations = new ArrayList<>();
        for (int k = 0; k < visited.length; k++) {
            double alphaBarPrev = k + 1 < visited.length ? schedule.alphaBar(visited[k + 1]) : 1.0;
            evaluations.add(evaluation(k, visited[k], schedule.alphaBar(visited[k]), alphaBarPrev));
        }
        this.plan = new SamplingPlan("ddim", evaluations, clip);
    }

    /** Evaluation {@code k} at timestep {@code t}: from ᾱ = {@code alphaBar} to {@code alphaBarPrev}. */
    static SamplingPlan.Evaluation evaluation(int k, double t, double alphaBar, double alphaBarPrev) {
        double sqrtA = Math.sqrt(alphaBar);
        double sqrtOneMinusA = Math.sqrt(1.0 - alphaBar);
        double sqrtAPrev = Math.sqrt(alphaBarPrev);
        double sqrtOneMinusAPrev = Math.sqrt(1.0 - alphaBarPrev);
        double xScale = sqrtOneMinusAPrev / sqrtOneMinusA;
        double x0Scale = sqrtAPrev - sqrtA * xScale;
        return new SamplingPlan.Evaluation(t, sqrtA, sqrtOneMinusA, List.of(
                new SamplingPlan.Term(SamplingPlan.Source.INPUT, k, xScale),
                new SamplingPlan.Term(SamplingPlan.Source.X0, k, x0Scale)));
    }

    /**
     * {@code sorted(set(int(round(x)) for x in numpy.linspace(0, T − 1, n)))}, ascending. Rounding is
     * half-to-even like Python's round (for n = 3, T = 1000 the middle point 499.5 becomes 500); the
     * linspace points are computed as numpy does (i·step, the last set to T − 1) so that ties fall the
     * same way. For n ≤ T no two points round alike, so the result has n entries.
     */
    public static int[] respacedTimesteps(int trainingSteps, int n) {
        double[] points = NoiseSchedule.linspace(0.0, trainingSteps - 1, n);
        return Arrays.stream(points).mapToInt(p -> (int) Math.rint(p)).distinct().sorted().toArray();
    }

    @Override
    public String name() {
        return "ddim";
    }

    @Override
    public String schedulePattern() {
        return "dit-ddim";
    }

    @Override
    public SamplingPlan plan() {
        return plan;
    }

    /** The visited timesteps, high to low. */
    public int[] timesteps() {
        return visited.clone();
    }

    @Override
    public String toString() {
        return "ddim[nfe=" + visited.length + ", clip=" + plan.clip() + "]";
    }
}
