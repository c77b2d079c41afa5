package dev.l2c.emit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.ir.serde.OnnxWriter;
import dev.l2c.model.LayerMapFile;
import dev.l2c.model.LoadedModel;
import dev.l2c.schedule.Schedule;
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
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a model and a schedule into a package: one pruned ONNX graph per distinct step (steps
 * with the same cache reads and writes share a graph), one shared weights file, the schedule, and
 * {@code manifest.json}. The package is built in a temporary folder beside the target and renamed
 * into place, so a crash leaves nothing half-written.
 *
 * <p>Pipeline: plan cache flow ({@link CachePlan}) → for each distinct step build its
 * {@link CacheStepGraph} (expose outputs, cut reused branches, remove dead nodes) → write weights
 * once ({@link WeightsFileWriter}) and the graphs referencing them → write the manifest.
 */
public final class ScheduleCompiler {
    public static final String MANIFEST = "manifest.json";
    public static final String WEIGHTS = "weights.bin";
    public static final String SCHEDULE = "schedule.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What the sampler will feed the package: its name and the model's timestep for each evaluation. */
    public record SamplerSpec(String name, String pattern, double[] modelTimes) {
    }

    /**
     * A summary of what was written.
     *
     * @param weightsMode     "copied" (each distinct tensor written once) or "linked" (the source's file referenced in place)
     * @param weightSeconds   time spent copying and hashing weight bytes
     * @param seconds         total wall time of the compilation
     */
    public record Result(Path folder, int steps, int graphs, long weightBytes, long macsPerSample,
                         long macsFullPerSample, long layerEvaluations, long totalLayerEvaluations,
                         long peakCacheBytesPerSample, String weightsMode, double weightSeconds, double seconds) {
        public double idealSpeedup() {
            return (double) macsFullPerSample / macsPerSample;
        }
    }

    /** What was written for one distinct step graph. */
    private record GraphSummary(String file, int[] reads, int[] writes, long macsPerSample, int nodes) {
    }

    private ScheduleCompiler() {
    }

    /** Checks that the schedule fits the model and the sampler; a one-line error naming the schedule file otherwise. */
    public static void checkFits(Schedule schedule, Path scheduleFile, LoadedModel model, SamplerSpec sampler)
            throws MismatchException {
        if (schedule.layers() != model.layers().size()) {
            throw new MismatchException(scheduleFile, "schedule has " + schedule.layers() + " layers but "
                    + model.file().getFileName() + " has " + model.layers().size()
                    + " cacheable layers (see `l2c inspect " + model.file() + "`)");
        }
        if (schedule.nfe() != sampler.modelTimes().length) {
            throw new MismatchException(scheduleFile, "schedule has " + schedule.nfe() + " model evaluations but the "
                    + sampler.name() + " sampler makes " + sampler.modelTimes().length + " (use --nfe "
                    + schedule.nfe() + " or a schedule for this NFE)");
        }
        if (!schedule.pattern().equals("free") && !schedule.pattern().equals(sampler.pattern())) {
            throw new MismatchException(scheduleFile, "schedule pattern '" + schedule.pattern() + "' does not fit the "
                    + sampler.name() + " sampler (it expects '" + sampler.pattern() + "')");
        }
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

    /** Compiles into {@code target}, copying the weights. */
    public static Result compile(LoadedModel model, Schedule schedule, Path scheduleFile, SamplerSpec sampler,
                                 Path target, boolean replace) throws L2cException {
        return compile(model, schedule, scheduleFile, sampler, target, replace, false);
    }

    /**
     * Compiles into {@code target}.
     *
     * @param replace     replace an existing package at {@code target} (atomically) instead of refusing
     * @param linkWeights reference the source's external-data file in place (hard link) when it can,
     *                    instead of copying the weights
     */
    public static Result compile(LoadedModel model, Schedule schedule, Path scheduleFile, SamplerSpec sampler,
                                 Path target, boolean replace, boolean linkWeights) throws L2cException {
        long t0 = System.nanoTime();
        checkFits(schedule, scheduleFile, model, sampler);
        CachePlan plan = CachePlan.of(computeTable(schedule));

        // one graph per distinct (reads, writes) signature, in order of first use; built and written
        // one at a time, so only one pruned copy of the IR is alive at once
        List<CachePlan.Step> firstUse = new ArrayList<>();
        int[] graphOfStep = new int[plan.steps().size()];
        for (CachePlan.Step step : plan.steps()) {
            int found = -1;
            for (int g = 0; g < firstUse.size() && found < 0; g++) {
                if (firstUse.get(g).sameGraphAs(step)) {
                    found = g;
                }
            }
            if (found < 0) {
                firstUse.add(step);
                found = firstUse.size() - 1;
            }
            graphOfStep[step.step()] = found;
        }

        Map<String, String> sha = new LinkedHashMap<>();
        List<GraphSummary> graphs = new ArrayList<>();
        long[] weightInfo = new long[2];
        String[] mode = new String[1];
        AtomicOutput.writeFolder(target, replace, folder -> {
            Path weightsFile = folder.resolve(WEIGHTS);
            WeightsSink linked = linkWeights ? InPlaceWeights.tryLink(model.model(), weightsFile) : null;
            try (WeightsSink weights = linked != null ? linked : new WeightsFileWriter(weightsFile)) {
                for (int g = 0; g < firstUse.size(); g++) {
                    CachePlan.Step step = firstUse.get(g);
                    CacheStepGraph graph = CacheStepGraph.build(model.model(), model.layers(), step.reads(), step.writes());
                    String name = graphFileName(g);
                    sha.put(name, writeGraph(graph, weights, folder.resolve(name)));
                    graphs.add(new GraphSummary(name, step.reads(), step.writes(), graph.macsPerSample(), graph.nodes()));
                }
                weights.close();
                sha.put(WEIGHTS, weights.sha256());
                weightInfo[0] = weights.size();
                weightInfo[1] = weights.copyNanos();
                mode[0] = weights.mode();
            }
            ScheduleJson.write(schedule, folder.resolve(SCHEDULE));
            sha.put(SCHEDULE, sha256(folder.resolve(SCHEDULE)));
            ObjectNode manifest = manifest(folder, model, sampler, plan, graphs, graphOfStep, sha, weightInfo[0], mode[0]);
            Files.write(folder.resolve(MANIFEST), JSON.writeValueAsBytes(manifest));
        });
        long macs = 0;
        for (CachePlan.Step s : plan.steps()) {
            macs += graphs.get(graphOfStep[s.step()]).macsPerSample();
        }
        return new Result(target, plan.steps().size(), graphs.size(), weightInfo[0], macs,
                model.layers().macsPerSampleFull() * plan.steps().size(), plan.layerEvaluations(),
                (long) plan.steps().size() * plan.layers(), peakCacheBytesPerSample(model, plan), mode[0],
                weightInfo[1] / 1e9, (System.nanoTime() - t0) / 1e9);
    }

    static String graphFileName(int g) {
        return String.format("graph_%02d.onnx", g);
    }

    private static String writeGraph(CacheStepGraph graph, WeightsSink weights, Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), digest)) {
            OnnxWriter.write(graph.model(), weights, out);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest d = newDigest();
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static long peakCacheBytesPerSample(LoadedModel model, CachePlan plan) {
        long peak = 0;
        for (int k = 0; k < plan.steps().size(); k++) {
            peak = Math.max(peak, liveCacheBytesPerSample(model, plan, k));
        }
        return peak;
    }

    private static long liveCacheBytesPerSample(LoadedModel model, CachePlan plan, int k) {
        long bytes = 0;
        for (CachePlan.Lifetime l : plan.liveDuring(k)) {
            bytes += model.layers().layer(l.layer()).bytes(1);
        }
        return bytes;
    }

    private static ObjectNode manifest(Path folder, LoadedModel model, SamplerSpec sampler, CachePlan plan,
                                       List<GraphSummary> graphs, int[] graphOfStep, Map<String, String> sha,
                                       long weightBytes, String weightsMode) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", PackageManifest.FORMAT);
        root.put("version", PackageManifest.VERSION);
        root.put("created_by", dev.l2c.ToolVersion.nameAndVersion());
        ObjectNode src = root.putObject("source_model");
        src.put("file", model.file().getFileName().toString());
        src.put("sha256", sha256(model.file()));
        src.put("producer", model.model().producerName() + " " + model.model().producerVersion());
        src.put("opset", model.model().defaultOpset());
        root.set("card", model.card().toJson());
        root.set("layer_map", LayerMapFile.toJson(model.layers()));
        JsonNode scheduleJson = JSON.readTree(folder.resolve(SCHEDULE).toFile());
        root.set("schedule", scheduleJson);
        ObjectNode s = root.putObject("sampler");
        s.put("name", sampler.name());
        s.put("pattern", sampler.pattern());
        s.put("nfe", sampler.modelTimes().length);
        ArrayNode times = s.putArray("model_times");
        for (double t : sampler.modelTimes()) {
            times.add(t);
        }
        ObjectNode w = root.putObject("weights");
        w.put("file", WEIGHTS);
        w.put("bytes", weightBytes);
        w.put("alignment", WeightsFileWriter.ALIGNMENT);
        w.put("mode", weightsMode);

        ArrayNode graphArr = root.putArray("graphs");
        for (GraphSummary cg : graphs) {
            ObjectNode o = graphArr.addObject();
            o.put("file", cg.file());
            o.set("cache_inputs", names(cg.reads()));
            o.set("cache_outputs", names(cg.writes()));
            o.put("nodes", cg.nodes());
            o.put("macs_per_sample", cg.macsPerSample());
        }
        long totalMacs = 0;
        long peak = 0;
        ArrayNode stepArr = root.putArray("steps");
        for (CachePlan.Step step : plan.steps()) {
            GraphSummary cg = graphs.get(graphOfStep[step.step()]);
            ObjectNode o = stepArr.addObject();
            o.put("step", step.step());
            o.put("model_time", sampler.modelTimes()[step.step()]);
            o.put("graph", graphFileName(graphOfStep[step.step()]));
            o.put("mode", step.full() ? "full" : "cache");
            o.put("layers_computed", step.computed().length);
            ArrayNode ins = o.putArray("cache_inputs");
            for (int i = 0; i < step.reads().length; i++) {
                ObjectNode in = ins.addObject();
                in.put("layer", step.reads()[i]);
                in.put("name", CacheNames.of(step.reads()[i]));
                in.put("from_step", step.readFrom()[i]);
            }
            ArrayNode outs = o.putArray("cache_outputs");
            for (int j : step.writes()) {
                ObjectNode out = outs.addObject();
                out.put("layer", j);
                out.put("name", CacheNames.of(j));
                int last = plan.lifetimes().stream().filter(l -> l.layer() == j && l.producedAt() == step.step())
                        .mapToInt(CachePlan.Lifetime::lastReadAt).findFirst().orElse(-1);
                out.put("last_read_step", last);
            }
            ArrayNode free = o.putArray("free_after");
            for (CachePlan.Lifetime l : plan.lifetimes()) {
                if (l.lastReadAt() == step.step()) {
                    free.addObject().put("layer", l.layer()).put("from_step", l.producedAt());
                }
            }
            o.put("macs_per_sample", cg.macsPerSample());
            long live = liveCacheBytesPerSample(model, plan, step.step());
            o.put("live_cache_bytes_per_sample", live);
            totalMacs += cg.macsPerSample();
            peak = Math.max(peak, live);
        }
        ObjectNode totals = root.putObject("totals");
        long fullMacs = model.layers().macsPerSampleFull() * plan.steps().size();
        totals.put("macs_per_sample", totalMacs);
        totals.put("macs_full_per_sample", fullMacs);
        totals.put("ideal_speedup", (double) fullMacs / totalMacs);
        totals.put("layer_evaluations", plan.layerEvaluations());
        totals.put("layer_evaluations_full", (long) plan.steps().size() * plan.layers());
        totals.put("peak_cache_bytes_per_sample", peak);
        ObjectNode files = root.putObject("files");
        sha.forEach(files::put);
        return root;
    }

    private static ArrayNode names(int[] layers) {
        ArrayNode a = JSON.createArrayNode();
        for (int j : layers) {
            a.add(CacheNames.of(j));
        }
        return a;
    }
}
