package dev.l2c.cli;

import dev.l2c.compiler.ManifestConsistency;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerMap;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.ManifestJson;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.LayerMapFile;
import dev.l2c.modelcard.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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
        if (CompiledPackage.isPackage(target)) {
            return inspectPackage(out);
        }
        refusePackageGraph(target);
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
        out.printf("%5s %5s  %-15s %-18s %12s  %s%n", "layer", "block", "kind", "shape", "MACs/sample", "cached tensor");
        long branchMacs = 0;
        for (CacheableLayer l : map.layers()) {
            out.printf("%5d %5d  %-15s %-18s %12s  %s%n", l.index(), l.block(), l.kind().jsonName, l.type().shape(),
                    Units.macs(l.macsPerSample()), l.tensor());
            branchMacs += l.macsPerSample();
        }
        out.printf("cacheable branches hold %.1f%% of the model's MACs%n", 100.0 * branchMacs / map.macsPerSampleFull());
        return 0;
    }

    /**
     * A step graph (or the linked model) inside a package is a pruned piece of a model, not a model:
     * inspected as one it would show a few of the layers. Points at the package instead.
     */
    static void refusePackageGraph(Path file) throws L2cException {
        Path folder = file.toAbsolutePath().getParent();
        if (folder == null || !CompiledPackage.isPackage(folder)) {
            return;
        }
        PackageManifest m;
        try {
            m = ManifestJson.read(folder.resolve(dev.l2c.pkg.PackageFiles.MANIFEST));
        } catch (L2cException e) {
            return; // not a readable package: inspect the file as it is
        }
        String name = file.getFileName().toString();
        if (!m.files().containsKey(name) || !name.endsWith(".onnx")) {
            return;
        }
        List<Integer> steps = new java.util.ArrayList<>();
        for (PackageManifest.Step s : m.steps()) {
            if (name.equals(s.graph())) {
                steps.add(s.step());
            }
        }
        String what = m.isLinked() ? "the linked model of the whole sampling run" : "a step graph (steps " + steps + ")";
        throw new UsageException(name + " is " + what + " of the package " + folder + ", not a model; inspect the "
                + "package: l2c inspect " + folder);
    }

    private int inspectPackage(PrintStream out) throws L2cException {
        CompiledPackage pkg = ManifestConsistency.open(target);
        PackageManifest m = pkg.manifest();
        if (json) {
            out.println(toJson(ManifestJson.toJson(m)));
            return 0;
        }
        PackageManifest.Totals totals = m.totals();
        String what = m.isLinked()
                ? String.format(Locale.ROOT, "1 linked model (%s, %d nodes%s)", m.linkedModel().file(),
                        m.linkedModel().nodes(), m.linkedModel().guided() ? ", guidance scale an input" : ", no guidance")
                : m.graphs().size() + " graphs";
        out.printf(Locale.ROOT, "%s: %s package, %d steps, %s, sampler %s, ideal speedup %.3fx (%s of %s MACs/sample), "
                        + "peak live caches %s/sample, %d/%d layer evaluations%n",
                target, m.kind().jsonName, m.steps().size(), what, m.sampler().name(), m.idealSpeedup(),
                Units.macs(totals.macsPerSample()), Units.macs(totals.macsFullPerSample()),
                Units.bytes(totals.peakCacheBytesPerSample()), totals.layerEvaluations(), totals.layerEvaluationsFull());
        out.printf("%4s %10s %-6s %8s %6s %6s %12s %14s  %s%n", "step", "time", "mode", "layers", "reads", "writes",
                "MACs/sample", "live caches", m.isLinked() ? "" : "graph");
        for (PackageManifest.Step s : m.steps()) {
            out.printf(Locale.ROOT, "%4d %10.3f %-6s %8d %6d %6d %12s %14s  %s%n", s.step(), s.modelTime(),
                    s.full() ? "full" : "cache", s.layersComputed(), s.cacheInputs().size(), s.cacheOutputs().size(),
                    Units.macs(s.macsPerSample()), Units.bytes(s.liveCacheBytesPerSample()),
                    s.graph() == null ? "" : s.graph());
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
