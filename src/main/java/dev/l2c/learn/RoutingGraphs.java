package dev.l2c.learn;

import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerMap;
import dev.l2c.pkg.CacheNames;
import dev.l2c.ir.Model;
import dev.l2c.passes.BlendBranchesWithCachePass;
import dev.l2c.passes.ExposeBranchOutputsPass;
import dev.l2c.passes.PassManager;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two graphs the schedule learner runs, both built from copies of the source model (which is
 * not changed):
 * <ul>
 *   <li>the <b>probe</b>: the model with every cacheable branch value exposed as an extra output
 *       {@code cache_layer_j}, so one full evaluation yields the output and every value a later
 *       step could reuse;</li>
 *   <li>the <b>blend</b>: the model with every branch value b_j replaced, for its readers, by
 *       {@code b_j + m[j]·(c_j − b_j)} ({@link BlendBranchesWithCachePass}); inputs
 *       {@code cache_layer_j} (the cached values) and {@value #MASK} (float32 [L], 1 = reuse), and
 *       the freshly computed b_j exposed as {@code fresh_layer_j}. One session evaluates any
 *       routing.</li>
 * </ul>
 */
public final class RoutingGraphs {
    /** Name of the blend graph's mask input. */
    public static final String MASK = "cache_mask";
    private static final String FRESH_PREFIX = "fresh_layer_";

    private RoutingGraphs() {
    }

    /** Name of the blend graph's output holding layer j's freshly computed branch value. */
    public static String freshName(int layer) {
        return FRESH_PREFIX + layer;
    }

    /** The probe graph: the model plus every branch value as output {@code cache_layer_j}. */
    public static Model probe(Model source, LayerMap layers) {
        Model m = source.copy();
        List<ExposeBranchOutputsPass.Exposure> expose = new ArrayList<>();
        for (CacheableLayer l : layers.layers()) {
            expose.add(new ExposeBranchOutputsPass.Exposure(l.tensor(), CacheNames.of(l.index()), l.type()));
        }
        new PassManager(List.of(new ExposeBranchOutputsPass(expose))).run(m.graph());
        return m;
    }

    /** The blend graph: every branch routable between computed and cached by the mask input. */
    public static Model blend(Model source, LayerMap layers) {
        Model m = source.copy();
        List<BlendBranchesWithCachePass.Blend> blends = new ArrayList<>();
        List<ExposeBranchOutputsPass.Exposure> expose = new ArrayList<>();
        for (CacheableLayer l : layers.layers()) {
            blends.add(new BlendBranchesWithCachePass.Blend(l.tensor(), CacheNames.of(l.index()), l.type(), l.index()));
            expose.add(new ExposeBranchOutputsPass.Exposure(l.tensor(), freshName(l.index()), l.type()));
        }
        new PassManager(List.of(
                new BlendBranchesWithCachePass(MASK, layers.size(), blends),
                new ExposeBranchOutputsPass(expose))).run(m.graph());
        m.graph().sortTopologically();
        return m;
    }
}
