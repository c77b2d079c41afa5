package dev.l2c.sampler;

import dev.l2c.error.UsageException;

import java.util.List;

/** Creates samplers by the names the command line uses, checking the number of evaluations. */
public final class Samplers {
    /** Valid sampler names, in the order error messages list them. */
    public static final List<String> NAMES = List.of("ddim", "dpm2s", "dpm2m");

    private Samplers() {
    }

    /**
     * The sampler called {@code name} with {@code nfe} model evaluations.
     *
     * @throws UsageException for an unknown name, or an nfe the sampler cannot use: DDIM needs
     *                        1 ≤ nfe ≤ T, dpm2s an even nfe ≥ 2 (two evaluations per step), dpm2m nfe ≥ 1
     */
    public static Sampler create(String name, NoiseSchedule schedule, int nfe, boolean clipX0)
            throws UsageException {
        return create(name, schedule, nfe, clipX0 ? ClipRange.UNIT : null);
    }

    /** As {@link #create(String, NoiseSchedule, int, boolean)}, clipping x0 to {@code clip} (null: no clipping). */
    public static Sampler create(String name, NoiseSchedule schedule, int nfe, ClipRange clip)
            throws UsageException {
        switch (name) {
            case "ddim" -> {
                if (nfe < 1 || nfe > schedule.steps()) {
                    throw new UsageException("sampler ddim takes one model evaluation per timestep, so nfe must be"
                            + " between 1 and " + schedule.steps() + " (the training steps); got " + nfe);
                }
                return new Ddim(schedule, nfe, clip);
            }
            case "dpm2s" -> {
                if (nfe < 2 || nfe % 2 != 0) {
                    throw new UsageException("sampler dpm2s evaluates the model twice per step, so nfe must be"
                            + " even and at least 2; got " + nfe
                            + (nfe >= 2 ? " (use " + (nfe - 1) + " or " + (nfe + 1) + ")" : " (use e.g. 20)"));
                }
                return DpmSolverPlusPlus.singlestep2(schedule, nfe, clip);
            }
            case "dpm2m" -> {
                if (nfe < 1) {
                    throw new UsageException("sampler dpm2m needs nfe of at least 1; got " + nfe);
                }
                return DpmSolverPlusPlus.multistep2(schedule, nfe, clip);
            }
            default -> throw new UsageException("unknown sampler '" + name + "'; valid samplers: "
                    + String.join(", ", NAMES));
        }
    }

    /** A predictor that returns ε of another length than x is a programming error, not a user error. */
    static void checkNoiseLength(float[] eps, float[] x, int evaluation) {
        if (eps == null || eps.length != x.length) {
            throw new IllegalStateException("noise predictor returned "
                    + (eps == null ? "null" : eps.length + " values") + " at evaluation " + evaluation
                    + " for a sample of " + x.length + " values");
        }
    }
}
