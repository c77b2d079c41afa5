package dev.l2c.compiler;

import dev.l2c.ToolVersion;
import dev.l2c.error.Cancellation;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.ir.Model;
import dev.l2c.ir.serde.OnnxWriter;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.ManifestJson;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.io.Sha256;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Forecast;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleCompatibility;
import dev.l2c.schedule.ScheduleJson;
import dev.l2c.schedule.ScheduleStep;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a model and a schedule into a package, built in a temporary folder beside the target and
 * renamed into place, so a crash leaves nothing half-written. Two kinds:
 * <ul>
 *   <li><b>stepwise</b>: one pruned ONNX graph per distinct step (steps with the same cache reads and
 *       writes share a graph), run by a runner that passes the cache tensors between them;</li>
 *   <li><b>linked</b>: one ONNX model of the whole sampling run ({@link LinkedModelGraph}).</li>
 * </ul>
 * Both hold one shared weights file, the schedule and {@code manifest.json}.
 *
 * <p>Pipeline: check the schedule fits → plan the cache flow ({@link CachePlan}) → group the steps by
 * graph ({@link DistinctStepGraphs}) → build each {@link CacheStepGraph} (expose outputs, cut reused
 * branches, forecast branches from their history, remove dead nodes) → write them, or link them into one model and write that → write the
 * weights once ({@link WeightsFileWriter}) → the manifest ({@link PackageManifestBuilder}).
 */
public final class ScheduleCompiler {

    /**
     * How to compile.
     *
     * @param replace     replace an existing package at the target (atomically) instead of refusing
     * @param linkWeights reference the source's external-data file in place (hard link) when it can,
     *                    instead of copying the weights
     * @param linked      write one linked model of the whole run instead of step graphs
     * @param guided      with {@code linked}: double the batch for classifier-free guidance, the scale a
     *                    model input (false: the conditional model alone, as with scale 1)
     */
    public record Options(boolean replace, boolean linkWeights, boolean linked, boolean guided) {
        public static Options stepwise() {
            return new Options(false, false, false, false);
        }

        public static Options linked(boolean guided) {
            return new Options(false, false, true, guided);
        }

        public Options replacing(boolean r) {
            return new Options(r, linkWeights, linked, guided);
        }

        public Options withLinkedWeights(boolean l) {
            return new Options(replace, l, linked, guided);
        }
    }

    /**
     * A summary of what was written.
     *
     * @param graphs          step graphs written (1 for a linked package: its one model)
     * @param nodes           nodes of the linked model, or of all distinct step graphs together
     * @param weightsMode     "copied" (each distinct tensor written once) or "linked" (the source's file referenced in place)
     * @param weightSeconds   time spent copying and hashing weight bytes
     * @param seconds         total wall time of the compilation
     */
    public record Result(Path folder, PackageManifest manifest, int steps, int graphs, long nodes, long weightBytes,
                         String weightsMode, double weightSeconds, double seconds) {
        public double idealSpeedup() {
            return manifest.idealSpeedup();
        }

        public long layerEvaluations() {
            return manifest.totals().layerEvaluations();
        }

        public long totalLayerEvaluations() {
            return manifest.totals().layerEvaluationsFull();
        }

        public long peakCacheBytesPerSample() {
            return manifest.totals().peakCacheBytesPerSample();
        }

        public long macsPerSample() {
            return manifest.totals().macsPerSample();
        }
    }

    private ScheduleCompiler() {
    }

    /** Checks that the schedule fits the model and the sampler; a one-line error naming the schedule file otherwise. */
    public static void checkFits(Schedule schedule, Path scheduleFile, LoadedModel model, Sampler sampler)
            throws MismatchException {
        ScheduleCompatibility.checkFits(schedule, scheduleFile, model.layers().size(), sampler.evaluations(),
                sampler.schedulePattern());
    }

    /** Turns a schedule into the computes[step][layer] table the planner reads. */
    public static boolean[][] computeTable(Schedule schedule) {
        boolean[][] c = new boolean[schedule.nfe()][schedule.layers()];
        for (int k = 0; k < schedule.nfe(); k++) {
            ScheduleStep s = schedule.steps().get(k);
            for (int j = 0; j < schedule.layers(); j++) {
                c[k][j] = s.full() || s.computes(j);
            }
        }
        return c;
    }

    /** Turns a schedule's forecasts into the forecasts[step][layer] table the planner reads (null: reuse). */
    public static Forecast[][] forecastTable(Schedule schedule) {
        Forecast[][] f = new Forecast[schedule.nfe()][schedule.layers()];
        for (int k = 0; k < schedule.nfe(); k++) {
            for (Map.Entry<Integer, Forecast> e : schedule.step(k).forecasts().entrySet()) {
                f[k][e.getKey()] = e.getValue();
            }
        }
        return f;
    }

    /** The cache flow of a schedule: reuse and forecasts, which step's values each step reads, how long each lives. */
    public static CachePlan plan(Schedule schedule) {
        return CachePlan.of(computeTable(schedule), forecastTable(schedule));
    }

    /** Compiles a stepwise package into {@code target}, copying the weights, refusing an existing target. */
    public static Result compile(LoadedModel model, Schedule schedule, Path scheduleFile, Sampler sampler, Path target)
            throws L2cException {
        return compile(model, schedule, scheduleFile, sampler, target, Options.stepwise());
    }

    /** Compiles into {@code target}. */
    public static Result compile(LoadedModel model, Schedule schedule, Path scheduleFile, Sampler sampler,
                                 Path target, Options options) throws L2cException {
        long t0 = System.nanoTime();
        checkFits(schedule, scheduleFile, model, sampler);
        CachePlan plan = plan(schedule);
        DistinctStepGraphs distinct = DistinctStepGraphs.of(plan);
        PackageManifestBuilder manifest;
        try {
            manifest = new PackageManifestBuilder(model, schedule, sampler, plan, distinct, Sha256.of(model.file()));
        } catch (IOException e) {
            throw new InvalidInputException(model.file(), "cannot read: " + e.getMessage());
        }
        Written[] written = new Written[1];
        List<Path> inputs = new ArrayList<>(List.of(model.file()));
        if (model.cardFile() != null) {
            inputs.add(model.cardFile());
        }
        if (scheduleFile != null) {
            inputs.add(scheduleFile);
        }
        AtomicOutput.Replaceable replaceable = new AtomicOutput.Replaceable(PackageFiles.MANIFEST, "an l2c package",
                inputs);
        AtomicOutput.writeFolder(target, options.replace(), replaceable, folder -> {
            Path weightsFile = folder.resolve(PackageFiles.WEIGHTS);
            WeightsSink linkedWeights = options.linkWeights() ? InPlaceWeights.tryLink(model.onnx(), weightsFile) : null;
            Map<String, String> sha = new LinkedHashMap<>();
            long nodes;
            try (WeightsSink weights = linkedWeights != null ? linkedWeights : new WeightsFileWriter(weightsFile)) {
                nodes = options.linked() ? writeLinked(model, plan, distinct, sampler, options.guided(), manifest,
                        weights, folder, sha) : writeStepwise(model, distinct, manifest, weights, folder, sha);
                weights.close();
                sha.put(PackageFiles.WEIGHTS, weights.sha256());
                manifest.weights(weights.size(), weights.mode());
                written[0] = new Written(nodes, weights.size(), weights.mode(), weights.copyNanos());
            }
            ScheduleJson.write(schedule, folder.resolve(PackageFiles.SCHEDULE));
            sha.put(PackageFiles.SCHEDULE, Sha256.of(folder.resolve(PackageFiles.SCHEDULE)));
            copyTextEncoder(model, folder, sha);
            manifest.files(sha);
            Files.write(folder.resolve(PackageFiles.MANIFEST), ManifestJson.toBytes(manifest.build()));
        });
        PackageManifest m = manifest.build();
        return new Result(target, m, plan.steps().size(), options.linked() ? 1 : distinct.count(), written[0].nodes,
                written[0].weightBytes, written[0].mode, written[0].weightNanos / 1e9, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * A text-conditioned card's text encoder travels in the package (under the name the card gives it,
     * under the manifest's digest), so `l2c sample PKG --prompt` needs nothing beside the package.
     */
    private static void copyTextEncoder(LoadedModel model, Path folder, Map<String, String> sha)
            throws IOException, L2cException {
        if (!(model.card().conditioning() instanceof Conditioning.TextTokens t) || t.encoder() == null) {
            return;
        }
        Path source = model.cardFile().toAbsolutePath().getParent().resolve(t.encoder().model());
        if (!Files.isRegularFile(source, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidInputException(model.cardFile(), "names text encoder '" + t.encoder().model()
                    + "', which is not a plain file beside the card");
        }
        if (sha.containsKey(t.encoder().model())) {
            throw new InvalidInputException(model.cardFile(), "names text encoder '" + t.encoder().model()
                    + "', a name the package uses for its own files; rename the encoder");
        }
        Files.copy(source, folder.resolve(t.encoder().model()));
        sha.put(t.encoder().model(), Sha256.of(folder.resolve(t.encoder().model())));
    }

    private record Written(long nodes, long weightBytes, String mode, long weightNanos) {
    }

    /** Builds and writes the distinct step graphs one at a time, so one pruned copy of the IR is alive at once. */
    private static long writeStepwise(LoadedModel model, DistinctStepGraphs distinct, PackageManifestBuilder manifest,
                                      WeightsSink weights, Path folder, Map<String, String> sha)
            throws IOException, L2cException {
        long nodes = 0;
        for (int g = 0; g < distinct.count(); g++) {
            Cancellation.check();
            CachePlan.Step step = distinct.firstUse(g);
            CacheStepGraph graph = CacheStepGraph.build(model.onnx(), model.layers(), step);
            String name = PackageFiles.stepGraph(g);
            sha.put(name, writeModel(graph.model(), weights, folder.resolve(name)));
            manifest.stepGraph(g, name, graph);
            nodes += graph.nodes();
        }
        return nodes;
    }

    private static long writeLinked(LoadedModel model, CachePlan plan, DistinctStepGraphs distinct, Sampler sampler,
                                    boolean guided, PackageManifestBuilder manifest, WeightsSink weights, Path folder,
                                    Map<String, String> sha) throws IOException, L2cException {
        Map<Integer, CacheStepGraph> built = new HashMap<>();
        Model linked = LinkedModelGraph.build(model.onnx(), model.card(), plan, k -> {
            int g = distinct.graphOf(k);
            return built.computeIfAbsent(g, i -> {
                CachePlan.Step first = distinct.firstUse(i);
                CacheStepGraph graph = CacheStepGraph.build(model.onnx(), model.layers(), first);
                manifest.stepGraph(i, null, graph);
                return graph;
            });
        }, sampler.plan(), guided);
        built.clear();
        Cancellation.check();
        sha.put(PackageFiles.LINKED_MODEL, writeModel(linked, weights, folder.resolve(PackageFiles.LINKED_MODEL)));
        int nodes = linked.graph().nodeCount();
        manifest.linkedModel(PackageFiles.LINKED_MODEL, guided, nodes, model.card());
        return nodes;
    }

    private static String writeModel(Model model, WeightsSink weights, Path file) throws IOException {
        MessageDigest digest = Sha256.digest();
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), digest)) {
            OnnxWriter.write(model, weights, out);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return Sha256.hex(digest);
    }

    /** "l2c VERSION", the creator every manifest names. */
    static String createdBy() {
        return ToolVersion.nameAndVersion();
    }
}
