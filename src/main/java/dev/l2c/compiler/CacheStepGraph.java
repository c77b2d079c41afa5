package dev.l2c.compiler;

import dev.l2c.ToolVersion;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerMap;
import dev.l2c.analysis.MacCounter;
import dev.l2c.analysis.ShapeInference;
import dev.l2c.analysis.ValueShapes;
import dev.l2c.ir.Model;
import dev.l2c.passes.ExposeBranchOutputsPass;
import dev.l2c.passes.ForecastCachedBranchPass;
import dev.l2c.pkg.CacheNames;
import dev.l2c.passes.PassManager;
import dev.l2c.passes.RemoveUnusedNodesPass;
import dev.l2c.passes.ReplaceCachedBranchWithInputPass;
import dev.l2c.schedule.Forecast;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The graph one or more sampling steps run: the source model with the reused branches cut out and
 * fed from cache inputs (or forecast from several of them), and the branches later steps reuse
 * exposed as cache outputs. Steps with the same reads, forecasts and writes share one graph (the
 * timestep is an input, not a constant).
 *
 * @param reads          layers this graph takes from cache inputs, ascending
 * @param forecasts      for each entry of {@code reads}, how its value is formed (plain reuse or a forecast)
 * @param writes         layers this graph outputs for later steps, ascending
 * @param model          the pruned model
 * @param macsPerSample  multiply-accumulates of one evaluation, per sample, forecast arithmetic included
 * @param forecastMacsPerSample the part of {@code macsPerSample} the forecasts spend (one per weight and element)
 * @param nodes          node count after pruning
 * @param shapes         inferred types of its values (the batch symbolic)
 */
public record CacheStepGraph(int[] reads, Forecast[] forecasts, int[] writes, Model model, long macsPerSample,
                             long forecastMacsPerSample, int nodes, ValueShapes shapes) {

    /** The pass pipeline that turns the source model into a step graph; {@code forecasts} null: reuse only. */
    public static PassManager pipeline(LayerMap layers, int[] reads, Forecast[] forecasts, int[] writes) {
        List<ExposeBranchOutputsPass.Exposure> expose = new ArrayList<>();
        for (int j : writes) {
            CacheableLayer l = layers.layer(j);
            expose.add(new ExposeBranchOutputsPass.Exposure(l.tensor(), CacheNames.of(j), l.type()));
        }
        List<ReplaceCachedBranchWithInputPass.Cut> cuts = new ArrayList<>();
        List<ForecastCachedBranchPass.Combination> combinations = new ArrayList<>();
        for (int i = 0; i < reads.length; i++) {
            int j = reads[i];
            CacheableLayer l = layers.layer(j);
            Forecast f = forecasts == null ? Forecast.REUSE : forecasts[i];
            if (f.isReuse()) {
                cuts.add(new ReplaceCachedBranchWithInputPass.Cut(l.tensor(), CacheNames.of(j), l.type()));
            } else {
                List<String> inputs = new ArrayList<>();
                for (int h = 0; h < f.history(); h++) {
                    inputs.add(CacheNames.of(j, h));
                }
                combinations.add(new ForecastCachedBranchPass.Combination(l.tensor(), inputs, f.weights(), l.type()));
            }
        }
        return new PassManager(List.of(
                new ExposeBranchOutputsPass(expose),
                new ReplaceCachedBranchWithInputPass(cuts),
                new ForecastCachedBranchPass(combinations),
                new RemoveUnusedNodesPass()));
    }

    /** Builds the graph of a planned step from a copy of {@code source}; the source is not changed. */
    public static CacheStepGraph build(Model source, LayerMap layers, CachePlan.Step step) {
        return build(source, layers, step.reads(), step.forecasts(), step.writes());
    }

    /** Builds a reuse-only step graph from a copy of {@code source}; the source is not changed. */
    public static CacheStepGraph build(Model source, LayerMap layers, int[] reads, int[] writes) {
        Forecast[] reuse = new Forecast[reads.length];
        Arrays.fill(reuse, Forecast.REUSE);
        return build(source, layers, reads, reuse, writes);
    }

    /** Builds a step graph from a copy of {@code source}; the source is not changed. */
    public static CacheStepGraph build(Model source, LayerMap layers, int[] reads, Forecast[] forecasts, int[] writes) {
        if (forecasts.length != reads.length) {
            throw new IllegalArgumentException(forecasts.length + " forecasts for " + reads.length + " reads");
        }
        Model m = source.copy();
        m.setProducer(ToolVersion.PRODUCER, ToolVersion.version());
        pipeline(layers, reads, forecasts, writes).run(m.graph());
        m.graph().sortTopologically();
        ValueShapes shapes = ShapeInference.infer(m.graph(), m.defaultOpset());
        long forecastMacs = forecastMacsPerSample(layers, reads, forecasts);
        long macs = MacCounter.total(m.graph(), shapes, 1) + forecastMacs;
        return new CacheStepGraph(reads.clone(), forecasts.clone(), writes.clone(), m, macs, forecastMacs,
                m.graph().nodeCount(), shapes);
    }

    /**
     * Multiply-accumulates the forecasts of one evaluation spend per sample: one per weight and
     * element of each forecast branch (plain reuse: none). Counted explicitly because the MAC count
     * of the graph leaves elementwise work out, and a forecast's cost must count against its budget.
     */
    public static long forecastMacsPerSample(LayerMap layers, int[] reads, Forecast[] forecasts) {
        long macs = 0;
        for (int i = 0; i < reads.length; i++) {
            CacheableLayer l = layers.layer(reads[i]);
            macs += (long) forecasts[i].macsPerElement() * l.type().shape().elementCount(1);
        }
        return macs;
    }
}
