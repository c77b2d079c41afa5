package dev.l2c.runtime;

import dev.l2c.error.L2cException;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.sampler.PlannedSampler;
import dev.l2c.sampler.Sampler;

import java.nio.file.Path;
import java.util.Locale;

/** Opens the {@link SampleGenerator} for a package (stepwise or linked) or a plain model. */
public final class SampleGenerators {
    private SampleGenerators() {
    }

    /**
     * A package's generator: its linked model, or its step graphs driven by the sampler its manifest
     * writes out (the manifest's coefficients, not a sampler rebuilt from the card).
     */
    public static SampleGenerator open(CompiledPackage pkg, OrtRuntime.Options options) throws L2cException {
        PackageManifest m = pkg.manifest();
        if (m.isLinked()) {
            return new LinkedModelRun(pkg, options);
        }
        long t0 = System.nanoTime();
        PackageExecutor exec = new PackageExecutor(pkg, options);
        double open = (System.nanoTime() - t0) / 1e9;
        Sampler sampler = new PlannedSampler(m.samplingPlan(), m.sampler().pattern());
        long cacheSteps = m.steps().stream().filter(s -> !s.full()).count();
        return new SamplerLoop(exec, m.card(), sampler, m.fullSteps(), open, String.format(Locale.ROOT,
                "%d graphs, %d cache steps", exec.sessionCount(), cacheSteps));
    }

    /** The plain model, every evaluation full. */
    public static SampleGenerator plain(Path model, ModelCard card, Sampler sampler, OrtRuntime.Options options)
            throws L2cException {
        long t0 = System.nanoTime();
        PlainModelExecutor exec = new PlainModelExecutor(model, card, options);
        return new SamplerLoop(exec, card, sampler, null, (System.nanoTime() - t0) / 1e9, "plain model");
    }
}
