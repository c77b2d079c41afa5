package dev.l2c.compiler;

import dev.l2c.ToolVersion;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerMap;
import dev.l2c.analysis.MacCounter;
import dev.l2c.analysis.ShapeInference;
import dev.l2c.analysis.ValueShapes;
import dev.l2c.ir.Model;
import dev.l2c.passes.ExposeBranchOutputsPass;
import dev.l2c.pkg.CacheNames;
import dev.l2c.passes.PassManager;
import dev.l2c.passes.RemoveUnusedNodesPass;
import dev.l2c.passes.ReplaceCachedBranchWithInputPass;

import java.util.ArrayList;
import java.util.List;

/**
 * The graph one or more sampling steps run: the source model with the reused branches cut out and
 * fed from cache inputs, and the branches later steps reuse exposed as cache outputs. Steps with
 * the same reads and writes share one graph (the timestep is an input, not a constant).
 *
 * @param reads          layers this graph takes from cache inputs, ascending
 * @param writes         layers this graph outputs for later steps, ascending
 * @param model          the pruned model
 * @param macsPerSample  multiply-accumulates of one evaluation, per sample
 * @param nodes          node count after pruning
 * @param shapes         inferred types of its values (the batch symbolic)
 */
public record CacheStepGraph(int[] reads, int[] writes, Model model, long macsPerSample, int nodes,
                             ValueShapes shapes) {

    /** The pass pipeline that turns the source model into a step graph. */
    public static PassManager pipeline(LayerMap layers, int[] reads, int[] writes) {
        List<ExposeBranchOutputsPass.Exposure> expose = new ArrayList<>();
        for (int j : writes) {
            CacheableLayer l = layers.layer(j);
            expose.add(new ExposeBranchOutputsPass.Exposure(l.tensor(), CacheNames.of(j), l.type()));
        }
        List<ReplaceCachedBranchWithInputPass.Cut> cuts = new ArrayList<>();
        for (int j : reads) {
            CacheableLayer l = layers.layer(j);
            cuts.add(new ReplaceCachedBranchWithInputPass.Cut(l.tensor(), CacheNames.of(j), l.type()));
        }
        return new PassManager(List.of(
                new ExposeBranchOutputsPass(expose),
                new ReplaceCachedBranchWithInputPass(cuts),
                new RemoveUnusedNodesPass()));
    }

    /** Builds the step graph from a copy of {@code source}; the source is not changed. */
    public static CacheStepGraph build(Model source, LayerMap layers, int[] reads, int[] writes) {
        Model m = source.copy();
        m.setProducer(ToolVersion.PRODUCER, ToolVersion.version());
        pipeline(layers, reads, writes).run(m.graph());
        m.graph().sortTopologically();
        ValueShapes shapes = ShapeInference.infer(m.graph(), m.defaultOpset());

        long macs = MacCounter.total(m.graph(), shapes, 1);
        return new CacheStepGraph(reads.clone(), writes.clone(), m, macs, m.graph().nodeCount(), shapes);
    }

}
