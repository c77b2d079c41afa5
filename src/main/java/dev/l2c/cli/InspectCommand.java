package dev.l2c.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerMap;
import dev.l2c.emit.PackageManifest;
import dev.l2c.error.L2cException;
import dev.l2c.model.LayerMapFile;
import dev.l2c.model.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code l2c inspect MODEL|PKG}: the cacheable layers of a model, or the steps of a compiled package. */
@Command(name = "inspect", description = {
        "Show a model's cacheable layers (found from the graph's structure) or a compiled package's steps.",
        "Per layer: block, kind, cached tensor, its shape and the multiply-accumulates per sample it costs."})
final class InspectCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Parameters(paramLabel = "MODEL|PKG", description = "An ONNX model or a package folder made by `l2c compile`.")
    Path target;

    @Option(names = "--json", description = "Print JSON for machines (for a model: a layer map `--layer-map` accepts).")
    boolean json;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws L2cException {
        PrintStream out = System.out;
        if (PackageManifest.isPackage(target)) {
            return inspectPackage(out);
        }
        LoadedModel m = modelOptions.loadForInspection(target);
        LayerMap map = m.layers();
        if (json) {
            ObjectNode root = LayerMapFile.toJson(map);
            root.put("model", m.file().getFileName().toString());
            if (m.card() != null) {
                root.put("family", m.card().family());
            }
            out.println(toJson(root));
            return 0;
        }
        out.printf("%s: %d cacheable layers in %d blocks (found by %s), %s MACs per sample per evaluation%n",
                m.file().getFileName(), map.size(), map.blocks(), map.source(), Units.macs(map.macsPerSampleFull()));
        out.printf("%5s %5s  %-9s %-18s %12s  %s%n", "layer", "block", "kind", "shape", "MACs/sample", "cached tensor");
        long branchMacs = 0;
        for (CacheableLayer l : map.layers()) {
            out.printf("%5d %5d  %-9s %-18s %12s  %s%n", l.index(), l.block(), l.kind().jsonName, l.type().shape(),
                    Units.macs(l.macsPerSample()), l.tensor());
            branchMacs += l.macsPerSample();
        }
        out.printf("cacheable branches hold %.1f%% of the model's MACs%n", 100.0 * branchMacs / map.macsPerSampleFull());
        return 0;
    }

    private int inspectPackage(PrintStream out) throws L2cException {
        PackageManifest pkg = PackageManifest.read(target);
        if (json) {
            out.println(toJson(pkg.json()));
            return 0;
        }
        var totals = pkg.json().path("totals");
        out.printf("%s: %d steps, %d graphs, sampler %s, ideal speedup %.3fx (%s of %s MACs/sample), peak live caches %s/sample%n",
                target, pkg.steps().size(), pkg.graphFiles().size(), pkg.samplerName(), pkg.idealSpeedup(),
                Units.macs(totals.path("macs_per_sample").asLong()), Units.macs(totals.path("macs_full_per_sample").asLong()),
                Units.bytes(totals.path("peak_cache_bytes_per_sample").asLong()));
        out.printf("%4s %10s %-6s %8s %6s %6s %12s %14s  %s%n", "step", "time", "mode", "layers", "reads", "writes",
                "MACs/sample", "live caches", "graph");
        for (PackageManifest.Step s : pkg.steps()) {
            out.printf("%4d %10.3f %-6s %8d %6d %6d %12s %14s  %s%n", s.step(), s.modelTime(), s.full() ? "full" : "cache",
                    s.layersComputed(), s.cacheInputs().size(), s.cacheOutputs().size(), Units.macs(s.macsPerSample()),
                    Units.bytes(s.liveCacheBytesPerSample()), s.graph());
        }
        return 0;
    }

    static String toJson(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
