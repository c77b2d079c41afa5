package dev.l2c.sampler;

/**
 * A sampler given as its plan alone, as a package manifest writes it: the runner needs nothing else
 * (not the noise schedule, not the sampler's formulas) to run it.
 */
public record PlannedSampler(SamplingPlan plan, String schedulePattern) implements Sampler {
    @Override
    public String name() {
        return plan.sampler();
    }
}
