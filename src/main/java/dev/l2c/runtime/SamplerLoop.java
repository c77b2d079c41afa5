package dev.l2c.runtime;

import dev.l2c.error.L2cException;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.sampler.Sampler;

import java.util.Arrays;

/** A sampler in Java asking a {@link ModelExecutor} (plain model or stepwise package) for each evaluation. */
public final class SamplerLoop implements SampleGenerator {
    private final ModelExecutor executor;
    private final ModelCard card;
    private final Sampler sampler;
    private final boolean[] fullSteps;
    private final double openSeconds;
    private final String what;

    /**
     * @param fullSteps per evaluation whether it is full (null: every evaluation, as for the plain model)
     */
    public SamplerLoop(ModelExecutor executor, ModelCard card, Sampler sampler, boolean[] fullSteps,
                       double openSeconds, String what) {
        this.executor = executor;
        this.card = card;
        this.sampler = sampler;
        if (fullSteps == null) {
            fullSteps = new boolean[sampler.evaluations()];
            Arrays.fill(fullSteps, true);
        }
        this.fullSteps = fullSteps.clone();
        this.openSeconds = openSeconds;
        this.what = what;
    }

    @Override
    public SampleRun.Output generate(SampleRun.Request request, Progress progress) throws L2cException {
        return SampleRun.run(executor, card, sampler, request, progress);
    }

    @Override
    public int evaluations() {
        return sampler.evaluations();
    }

    @Override
    public boolean[] fullSteps() {
        return fullSteps.clone();
    }

    @Override
    public double openSeconds() {
        return openSeconds;
    }

    @Override
    public String describe() {
        return what;
    }

    public ModelExecutor executor() {
        return executor;
    }

    @Override
    public void close() {
        executor.close();
    }
}
