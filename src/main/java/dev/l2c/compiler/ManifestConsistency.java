package dev.l2c.compiler;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.sampler.ClipRange;
import dev.l2c.sampler.Sampler;
import dev.l2c.sampler.Samplers;
import dev.l2c.sampler.SamplingPlan;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Re-derives what a package's manifest says that can be derived, and compares: the sampler's
 * per-step terms, model times, α and σ from the card's noise schedule and the sampler's definition;
 * the timestep fed to the model; the clip range, null label and default guidance from the card; the
 * model interface's names; which graph each step runs and which cache tensors it reads (with their
 * history and forecast weights), writes and frees, from the schedule file in the package through the
 * same {@link CachePlan} and {@link DistinctStepGraphs} the compiler used.
 *
 * <p>The runner takes all of these from the manifest, so an edit of any of them would change the
 * images silently; the manifest's digest ({@code ManifestDigest}) covers the rest (the card itself,
 * the layer map, costs), and the files' SHA-256s cover the schedule and graphs. This check costs
 * milliseconds (no graph is read), so every open does it.
 */
public final class ManifestConsistency {
    private final Path manifestFile;

    private ManifestConsistency(Path manifestFile) {
        this.manifestFile = manifestFile;
    }

    /** Opens the package at {@code folder}: the manifest, its digest, the files' checksums and this check. */
    public static CompiledPackage open(Path folder) throws InvalidInputException {
        CompiledPackage pkg = CompiledPackage.open(folder);
        check(pkg);
        return pkg;
    }

    /** Opens the package and verifies everything: {@link #open} plus the weights' SHA-256. */
    public static CompiledPackage openVerified(Path folder) throws InvalidInputException {
        CompiledPackage pkg = open(folder);
        pkg.verify();
        return pkg;
    }

    /**
     * Compares every derivable field of {@code pkg}'s manifest with its re-derivation.
     *
     * @throws InvalidInputException naming the manifest, the field and both values at the first difference
     */
    public static void check(CompiledPackage pkg) throws InvalidInputException {
        PackageManifest m = pkg.manifest();
        check(m, ScheduleJson.read(pkg.file(m.schedule().file())), pkg.file(PackageFiles.MANIFEST));
    }

    /**
     * The check on a manifest already read and the schedule its package holds (the fuzz tests hand both
     * in without a package folder).
     *
     * @param manifestFile the manifest's path, for messages
     */
    public static void check(PackageManifest m, Schedule schedule, Path manifestFile) throws InvalidInputException {
        new ManifestConsistency(manifestFile).run(m, schedule);
    }

    private void run(PackageManifest m, Schedule schedule) throws InvalidInputException {
        ModelCard card = m.card();
        same("schedule.nfe", m.schedule().nfe(), schedule.nfe());
        same("schedule.layers", m.schedule().layers(), schedule.layers());
        same("schedule.pattern", m.schedule().pattern(), schedule.pattern());
        same("sampler.nfe", m.sampler().nfe(), schedule.nfe());
        ClipRange clip = m.sampler().clip();
        if (clip != null && !clip.equals(card.clipRange())) {
            throw differs("sampler.clip_x0", clip, card.clipRange() == null ? "null (the card does not clip)"
                    : card.clipRange() + " (the card's range) or null");
        }
        Sampler sampler;
        try {
            sampler = Samplers.create(m.sampler().name(), card.noiseSchedule(), schedule.nfe(), clip);
        } catch (UsageException e) {
            throw new InvalidInputException(manifestFile, "manifest fields sampler and card do not make a sampler: "
                    + e.getMessage());
        }
        same("sampler.pattern", m.sampler().pattern(), sampler.schedulePattern());
        if (!card.textConditioned()) {
            same("guidance.null_label", m.guidance().nullLabel(), card.nullLabel());
        }
        same("guidance.default_scale", m.guidance().defaultScale(), card.defaultCfg());
        PackageManifest.ModelInterface model = m.model();
        same("model.inputs.sample.name", model.sample().name(), card.sampleInput());
        same("model.inputs.timestep.name", model.timestep().name(), card.timestepInput());
        same("model.inputs.timestep.dtype", model.timestep().dtype(), card.timestepType());
        if (card.textConditioned()) {
            same("model.inputs.conditions", model.conditions().stream().map(PackageManifest.TensorName::name).toList(),
                    card.conditioning().inputs());
        } else {
            same("model.inputs.label.name", model.label().name(), card.labelInput());
        }
        same("model.output.name", model.output(), card.output());
        same("model.output.noise_channels", model.noiseChannels(), card.channels());

        CachePlan plan = ScheduleCompiler.plan(schedule);
        DistinctStepGraphs distinct = DistinctStepGraphs.of(plan);
        boolean linked = m.isLinked();
        if (!linked) {
            same("graphs (count)", m.graphs().size(), distinct.count());
            for (int g = 0; g < distinct.count(); g++) {
                PackageManifest.StepGraph graph = m.graphs().get(g);
                String p = "graphs[" + g + "].";
                same(p + "file", graph.file(), PackageFiles.stepGraph(g));
                same(p + "cache_inputs", graph.cacheInputs(), PackageManifestBuilder.graphInputs(distinct.firstUse(g)));
                same(p + "cache_outputs", graph.cacheOutputs(), PackageManifestBuilder.graphOutputs(distinct.firstUse(g)));
            }
        }
        SamplingPlan samplerPlan = sampler.plan();
        long macs = 0;
        for (int k = 0; k < plan.steps().size(); k++) {
            PackageManifest.Step step = m.steps().get(k);
            String p = "steps[" + k + "].";
            SamplingPlan.Evaluation derived = samplerPlan.evaluation(k);
            same(p + "model_time", step.update().modelTime(), derived.modelTime());
            same(p + "alpha", step.update().alpha(), derived.alpha());
            same(p + "sigma", step.update().sigma(), derived.sigma());
            same(p + "next_input (terms)", step.update().next().size(), derived.next().size());
            for (int t = 0; t < derived.next().size(); t++) {
                SamplingPlan.Term a = step.update().next().get(t);
                SamplingPlan.Term b = derived.next().get(t);
                String q = p + "next_input[" + t + "].";
                same(q + "from", a.source().jsonName, b.source().jsonName);
                same(q + "step", a.evaluation(), b.evaluation());
                same(q + "coefficient", a.coefficient(), b.coefficient());
            }
            same(p + "timestep", step.timestep(), PackageManifestBuilder.timestep(card, derived.modelTime()));
            CachePlan.Step planned = plan.step(k);
            same(p + "mode", step.full() ? "full" : "cache", planned.full() ? "full" : "cache");
            same(p + "layers_computed", step.layersComputed(), planned.computed().length);
            PackageManifestBuilder.StepCaches caches = PackageManifestBuilder.StepCaches.of(plan, k);
            same(p + "cache_inputs", step.cacheInputs(), caches.inputs());
            same(p + "cache_outputs", step.cacheOutputs(), caches.outputs());
            same(p + "free_after", step.freeAfter(), caches.freeAfter());
            if (linked) {
                same(p + "graph", step.graph(), null);
            } else {
                int g = distinct.graphOf(k);
                same(p + "graph", step.graph(), PackageFiles.stepGraph(g));
                same(p + "macs_per_sample", step.macsPerSample(), m.graphs().get(g).macsPerSample());
            }
            macs += step.macsPerSample();
        }
        PackageManifest.Totals totals = m.totals();
        same("totals.macs_per_sample", totals.macsPerSample(), macs);
        same("totals.macs_full_per_sample", totals.macsFullPerSample(),
                m.layers().macsFullPerSample() * plan.steps().size());
        same("totals.layer_evaluations", totals.layerEvaluations(), plan.layerEvaluations());
        same("totals.layer_evaluations_full", totals.layerEvaluationsFull(), (long) plan.steps().size() * plan.layers());
    }

    private void same(String field, Object stated, Object derived) throws InvalidInputException {
        if (!Objects.equals(stated, derived)) {
            throw differs(field, stated, derived);
        }
    }

    private void same(String field, long stated, long derived) throws InvalidInputException {
        if (stated != derived) {
            throw differs(field, stated, derived);
        }
    }

    private void same(String field, double stated, double derived) throws InvalidInputException {
        // exact: the manifest writes doubles in their shortest round-trip form, so a faithful
        // manifest reads back bit for bit
        if (Double.doubleToLongBits(stated) != Double.doubleToLongBits(derived)) {
            throw differs(field, stated, derived);
        }
    }

    private InvalidInputException differs(String field, Object stated, Object derived) {
        return new InvalidInputException(manifestFile, "manifest field " + field + " is " + show(stated)
                + ", but the package's schedule, card and sampler give " + show(derived)
                + " (the manifest was edited or damaged after compiling; recompile the package)");
    }

    private static String show(Object v) {
        if (v instanceof List<?> list && list.size() > 6) {
            return list.subList(0, 6) + "… (" + list.size() + " entries)";
        }
        return String.valueOf(v);
    }
}
