package dev.l2c.sampler;

import dev.l2c.error.L2cException;

import java.util.Arrays;

/**
 * Deterministic DDIM (eta = 0) on respaced timesteps, exactly as the demo models' README and DiT's
 * {@code space_timesteps(T, "N")} define it.
 *
 * <p>Timesteps: {@code ts = sorted(set(round(linspace(0, T−1, N))))} with Python's round-half-to-even,
 * visited from high to low. At each visited t, with ε from the model:
 * <pre>
 *   x0     = (x − √(1−ᾱ_t)·ε) / √ᾱ_t          clipped to [−1, 1] when clipX0
 *   ε      = (x − √ᾱ_t·x0) / √(1−ᾱ_t)          recomputed from the clipped x0 (only when clipping)
 *   x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε        ᾱ_prev = ᾱ of the next visited t, or 1 after the last
 * </pre>
 * So the result is the last x0 prediction; no extra clamp is applied after the loop (the reference
 * trajectory applies none; with clipping on the result lies in [−1, 1] anyway).
 *
 * <p>Precision: the four coefficients are computed in double once per step; each element's update runs
 * in double and is stored as float32. The fp32 reference rounds every intermediate to float, so the two
 * differ by a few float ulps per step, far inside the 1e-3 agreement required after 20 steps.
 */
public final class Ddim implements Sampler {
    private final NoiseSchedule schedule;
    private final int[] visited; // descending
    private final boolean clipX0;

    /**
     * @param nfe number of steps N, 1 ≤ N ≤ T (one model evaluation per step); see
     *            {@link Samplers#create} for the user-facing check
     */
    public Ddim(NoiseSchedule schedule, int nfe, boolean clipX0) {
        if (nfe < 1 || nfe > schedule.steps()) {
            throw new IllegalArgumentException("DDIM needs 1 ≤ nfe ≤ " + schedule.steps() + ", got " + nfe);
        }
        this.schedule = schedule;
        this.clipX0 = clipX0;
        int[] ascending = respacedTimesteps(schedule.steps(), nfe);
        this.visited = new int[ascending.length];
        for (int i = 0; i < ascending.length; i++) {
            visited[i] = ascending[ascending.length - 1 - i];
        }
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
    public int evaluations() {
        return visited.length;
    }

    /** The visited timesteps, high to low. */
    public int[] timesteps() {
        return visited.clone();
    }

    @Override
    public double[] modelTimes() {
        return Arrays.stream(visited).asDoubleStream().toArray();
    }

    @Override
    public boolean clipsX0() {
        return clipX0;
    }

    @Override
    public float[] sample(float[] xT, NoisePredictor model, StepObserver observer) throws L2cException {
        float[] x = xT.clone();
        int total = visited.length;
        for (int k = 0; k < total; k++) {
            int t = visited[k];
            double alphaBar = schedule.alphaBar(t);
            double alphaBarPrev = k + 1 < total ? schedule.alphaBar(visited[k + 1]) : 1.0;
            float[] eps = model.predictNoise(k, x, t);
            Samplers.checkNoiseLength(eps, x, k);
            observer.evaluated(k, total);
            step(x, eps, alphaBar, alphaBarPrev, clipX0);
        }
        return x;
    }

    /** One DDIM update of {@code x} in place, from ᾱ = {@code alphaBar} to {@code alphaBarPrev}. */
    static void step(float[] x, float[] eps, double alphaBar, double alphaBarPrev, boolean clipX0) {
        double sqrtA = Math.sqrt(alphaBar);
        double sqrtOneMinusA = Math.sqrt(1.0 - alphaBar);
        double sqrtAPrev = Math.sqrt(alphaBarPrev);
        double sqrtOneMinusAPrev = Math.sqrt(1.0 - alphaBarPrev);
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double e = eps[i];
            double x0 = (xi - sqrtOneMinusA * e) / sqrtA;
            if (clipX0) {
                x0 = Math.max(-1.0, Math.min(1.0, x0));
                e = (xi - sqrtA * x0) / sqrtOneMinusA;
            }
            x[i] = (float) (sqrtAPrev * x0 + sqrtOneMinusAPrev * e);
        }
    }

    @Override
    public String toString() {
        return "ddim[nfe=" + visited.length + ", clipX0=" + clipX0 + ", " + schedule + "]";
    }
}
