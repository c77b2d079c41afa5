package dev.l2c.compiler;

import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerMap;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.Value;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CacheNames;
import dev.l2c.pkg.ManifestJson;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fills the typed {@link PackageManifest} from what the compiler knows: the model, its card and
 * layers, the schedule's {@link CachePlan}, the sampler's plan, and, as they are written, each step
 * graph's size and cost, the weights file and the checksums. One source for every number: the totals
 * are sums over the same per-step entries the manifest lists.
 */
final class PackageManifestBuilder {
    private final LoadedModel model;
    private final Schedule schedule;
    private final Sampler sampler;
    private final CachePlan plan;
    private final DistinctStepGraphs distinct;
    private final String[] graphFile;
    private final long[] graphMacs;
    private final int[] graphNodes;
    private final String sourceSha;
    private PackageManifest.LinkedModel linked;
    private long weightBytes;
    private String weightsMode;
    private Map<String, String> files = Map.of();

    PackageManifestBuilder(LoadedModel model, Schedule schedule, Sampler sampler, CachePlan plan,
                           DistinctStepGraphs distinct, String sourceSha) {
        this.model = model;
        this.schedule = schedule;
        this.sampler = sampler;
        this.plan = plan;
        this.distinct = distinct;
        this.graphFile = new String[distinct.count()];
        this.graphMacs = new long[distinct.count()];
        this.graphNodes = new int[distinct.count()];
        this.sourceSha = sourceSha;
    }

    /** Records distinct graph {@code g}; {@code file} null when it is linked into one model rather than written. */
    void stepGraph(int g, String file, CacheStepGraph graph) {
        graphFile[g] = file;
        graphMacs[g] = graph.macsPerSample();
        graphNodes[g] = graph.nodes();
    }

    void linkedModel(String file, boolean guided, int nodes, ModelCard card) {
        linked = new PackageManifest.LinkedModel(file, LinkedModelGraph.NOISE, LinkedModelGraph.conditionInputs(card),
                guided ? LinkedModelGraph.unconditionalInputs(card) : List.of(),
                guided ? LinkedModelGraph.GUIDANCE_SCALE : null, LinkedModelGraph.SAMPLES, LinkedModelGraph.STEP_CHECK, nodes);
    }

    void weights(long bytes, String mode) {
        this.weightBytes = bytes;
        this.weightsMode = mode;
    }

    void files(Map<String, String> sha) {
        this.files = Map.copyOf(sha);
    }

    PackageManifest build() {
        ModelCard card = model.card();
        LayerMap layers = model.layers();
        List<PackageManifest.StepGraph> graphs = new ArrayList<>();
        if (linked == null) {
            for (int g = 0; g < distinct.count(); g++) {
                CachePlan.Step s = distinct.firstUse(g);
                graphs.add(new PackageManifest.StepGraph(graphFile[g], graphInputs(s), graphOutputs(s), graphNodes[g],
                        graphMacs[g]));
            }
        }
        List<PackageManifest.Step> steps = new ArrayList<>();
        long macs = 0;
        long peak = 0;
        for (CachePlan.Step step : plan.steps()) {
            int k = step.step();
            int g = distinct.graphOf(k);
            StepCaches caches = StepCaches.of(plan, k);
            long live = liveCacheBytesPerSample(k);
            steps.add(new PackageManifest.Step(k, sampler.plan().evaluation(k),
                    timestep(card, sampler.plan().evaluation(k).modelTime()),
                    linked == null ? graphFile[g] : null, step.full(), step.computed().length, caches.inputs(),
                    caches.outputs(), caches.freeAfter(), graphMacs[g], live));
            macs += graphMacs[g];
            peak = Math.max(peak, live);
        }
        PackageManifest.Totals totals = new PackageManifest.Totals(macs, layers.macsPerSampleFull() * plan.steps().size(),
                plan.layerEvaluations(), (long) plan.steps().size() * plan.layers(), peak);
        return new PackageManifest(card.textConditioned() ? ManifestJson.VERSION_CONDITIONING : ManifestJson.VERSION,
                ScheduleCompiler.createdBy(),
                linked == null ? PackageManifest.Kind.STEPWISE : PackageManifest.Kind.LINKED,
                new PackageManifest.SourceModel(model.file().getFileName().toString(), sourceSha,
                        (model.onnx().producerName() + " " + model.onnx().producerVersion()).trim(),
                        model.onnx().defaultOpset()),
                card, layers(layers),
                new PackageManifest.ScheduleInfo(PackageFiles.SCHEDULE, schedule.nfe(), schedule.layers(), schedule.pattern()),
                new PackageManifest.SamplerInfo(sampler.name(), sampler.schedulePattern(), sampler.evaluations(),
                        sampler.clipRange()),
                modelInterface(card), new PackageManifest.GuidanceInfo(card.textConditioned()
                        ? PackageManifest.GuidanceInfo.NOT_A_LABEL : card.nullLabel(), card.defaultCfg()),
                new PackageManifest.WeightsInfo(PackageFiles.WEIGHTS, weightBytes, WeightsFileWriter.ALIGNMENT,
                        weightsMode == null ? "copied" : weightsMode, WeightsSink.EMBED_BELOW_BYTES),
                graphs, linked, steps, totals, files);
    }

    /** The value fed to the timestep input at model time {@code modelTime}: in the input's type, integers rounded. */
    static double timestep(ModelCard card, double modelTime) {
        return card.timestepType() == DataType.FLOAT ? (float) modelTime : Math.round(modelTime);
    }

    /** The cache tensors a step reads, writes and frees, as the manifest lists them. */
    record StepCaches(List<PackageManifest.CacheInput> inputs, List<PackageManifest.CacheOutput> outputs,
                      List<PackageManifest.CacheRelease> freeAfter) {
        static StepCaches of(CachePlan plan, int k) {
            List<PackageManifest.CacheInput> ins = new ArrayList<>();
            for (CachePlan.CacheRead r : plan.step(k).inputs()) {
                ins.add(new PackageManifest.CacheInput(r.layer(), CacheNames.of(r.layer(), r.history()), r.fromStep(),
                        r.history(), r.weight()));
            }
            List<PackageManifest.CacheOutput> outs = new ArrayList<>();
            List<PackageManifest.CacheRelease> free = new ArrayList<>();
            for (CachePlan.Lifetime l : plan.lifetimes()) {
                if (l.producedAt() == k) {
                    outs.add(new PackageManifest.CacheOutput(l.layer(), CacheNames.of(l.layer()), l.lastReadAt()));
                }
                if (l.lastReadAt() == k) {
                    free.add(new PackageManifest.CacheRelease(l.layer(), l.producedAt()));
                }
            }
            outs.sort(java.util.Comparator.comparingInt(PackageManifest.CacheOutput::layer));
            return new StepCaches(ins, outs, free);
        }
    }

    /** The cache tensor names a distinct graph reads and writes, as the manifest's graph entries list them. */
    static List<String> graphInputs(CachePlan.Step first) {
        return first.inputs().stream().map(r -> CacheNames.of(r.layer(), r.history())).toList();
    }

    static List<String> graphOutputs(CachePlan.Step first) {
        return names(first.writes());
    }

    private PackageManifest.ModelInterface modelInterface(ModelCard card) {
        return new PackageManifest.ModelInterface(
                new PackageManifest.TensorName(card.sampleInput(), inputType(card.sampleInput(), DataType.FLOAT)),
                new PackageManifest.TensorName(card.timestepInput(), card.timestepType()),
                card.conditioning().inputs().stream().map(name -> new PackageManifest.TensorName(name,
                        inputType(name, card.textConditioned() ? DataType.FLOAT : DataType.INT64))).toList(),
                card.output(), outputChannels(card), card.channels());
    }

    private DataType inputType(String name, DataType fallback) {
        Value v = model.onnx().graph().value(name);
        return v != null && v.type() != null ? v.type().elementType() : fallback;
    }

    /** Channels of the model output: declared in the graph, or C (2C with learned sigma) from the card. */
    private long outputChannels(ModelCard card) {
        Value out = model.onnx().graph().outputs().stream().filter(v -> v.name().equals(card.output())).findFirst()
                .orElse(null);
        if (out != null && out.type() != null && out.type().shape() != null && out.type().shape().rank() == 4) {
            Dim c = out.type().shape().dim(1);
            if (c.isKnown()) {
                return c.value();
            }
        }
        return card.channels() * (card.learnedSigma() ? 2L : 1L);
    }

    private static PackageManifest.Layers layers(LayerMap map) {
        List<PackageManifest.Layer> out = new ArrayList<>();
        for (CacheableLayer l : map.layers()) {
            List<String> shape = l.type().shape().dims().stream().map(Dim::toString).toList();
            out.add(new PackageManifest.Layer(l.index(), l.block(), l.kind().jsonName, l.tensor(),
                    l.type().elementType().shortName, shape, l.macsPerSample(), l.gate()));
        }
        return new PackageManifest.Layers(out, map.source(), map.macsPerSampleFull());
    }

    private long liveCacheBytesPerSample(int k) {
        long bytes = 0;
        for (CachePlan.Lifetime l : plan.liveDuring(k)) {
            bytes += model.layers().layer(l.layer()).bytes(1);
        }
        return bytes;
    }

    private static List<String> names(int[] layers) {
        List<String> out = new ArrayList<>();
        for (int j : layers) {
            out.add(CacheNames.of(j));
        }
        return out;
    }
}
