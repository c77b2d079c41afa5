package dev.l2c.modelbuild;

import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerMap;
import dev.l2c.ir.Attribute;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.Value;
import dev.l2c.modelcard.LoadedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FMNIST presets are the demo exports' architecture: the same weights (shapes and count), and
 * the detector finds the same layers with the same shapes and costs, in the same order.
 */
class ExportParityTest {
    static final Path DIT_EXPORT = Path.of("onnx-models/dit_fmnist.onnx");
    static final Path UVIT_EXPORT = Path.of("onnx-models/uvit_fmnist.onnx");

    @TempDir
    Path tmp;

    @Test
    void ditFmnistPresetMatchesTheExport() throws Exception {
        LoadedModel export = LoadedModel.load(DIT_EXPORT, null, null);
        LoadedModel built = build(DitConfig.FMNIST, "dit");
        assertSameWeightsAndLayers(export, built, 24);
        for (CacheableLayer layer : built.layers().layers()) {
            assertNotNull(layer.gate(), "DiT layer " + layer.index() + " is cached before its adaLN gate");
        }
    }

    @Test
    void uvitFmnistPresetMatchesTheExport() throws Exception {
        LoadedModel export = LoadedModel.load(UVIT_EXPORT, null, null);
        LoadedModel built = build(UvitConfig.FMNIST, "uvit");
        assertSameWeightsAndLayers(export, built, 26);
    }

    @Test
    void ditPositionEmbeddingIsTheExportsFixedSinCos() throws Exception {
        LoadedModel export = LoadedModel.load(DIT_EXPORT, null, null);
        LoadedModel built = build(DitConfig.FMNIST, "dit");
        float[] expected = initializer(export.onnx().graph(), "pos_embed");
        float[] actual = initializer(built.onnx().graph(), "pos_embed");
        // The export's copy drifted by float32 rounding: training ran EMA updates p·d + p·(1-d) on this
        // fixed parameter 1450 times (a random walk of ~40 ulps); a wrong formula would differ by O(1).
        assertTrue(maxAbsDiff(expected, actual) < 1e-5f, "pos_embed max |Δ| = " + maxAbsDiff(expected, actual));
    }

    @Test
    void timestepFrequenciesAreTheExportsConstants() throws Exception {
        float[] export = frequencies(LoadedModel.load(DIT_EXPORT, null, null).onnx().graph());
        float[] built = frequencies(build(DitConfig.FMNIST, "dit").onnx().graph());
        assertEquals(128, built.length);
        assertTrue(maxAbsDiff(export, built) <= 1e-7f, "max |Δ| = " + maxAbsDiff(export, built));
        float[] uExport = frequencies(LoadedModel.load(UVIT_EXPORT, null, null).onnx().graph());
        float[] uBuilt = frequencies(build(UvitConfig.FMNIST, "uvit").onnx().graph());
        assertEquals(64, uBuilt.length);
        assertTrue(maxAbsDiff(uExport, uBuilt) <= 1e-7f, "max |Δ| = " + maxAbsDiff(uExport, uBuilt));
    }

    private LoadedModel build(ArchitectureConfig config, String name) throws Exception {
        BuiltModel b = ModelBuilder.write(config, 1, name, tmp.resolve(name), false, false);
        return LoadedModel.load(b.model(), null, null);
    }

    static void assertSameWeightsAndLayers(LoadedModel export, LoadedModel built, int layers) {
        assertEquals(shapeCounts(export.onnx().graph()), shapeCounts(built.onnx().graph()),
                "initializer shapes (shape -> count)");
        assertEquals(parameters(export.onnx().graph()), parameters(built.onnx().graph()));
        LayerMap e = export.layers();
        LayerMap b = built.layers();
        assertEquals(layers, e.size());
        assertEquals(e.size(), b.size());
        assertEquals(e.macsPerSampleFull(), b.macsPerSampleFull(), "MACs of a full evaluation");
        for (int i = 0; i < e.size(); i++) {
            CacheableLayer x = e.layer(i);
            CacheableLayer y = b.layer(i);
            String at = "layer " + i;
            assertEquals(x.block(), y.block(), at);
            assertEquals(x.kind(), y.kind(), at);
            assertEquals(x.type(), y.type(), at);
            assertEquals(x.macsPerSample(), y.macsPerSample(), at);
            assertEquals(x.gate() == null, y.gate() == null, at + ": gated");
        }
    }

    static Map<String, Integer> shapeCounts(Graph g) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Value v : g.initializers()) {
            Tensor t = v.initializer();
            counts.merge(t.type().shortName + Arrays.toString(t.dims()), 1, Integer::sum);
        }
        return counts;
    }

    static long parameters(Graph g) {
        return g.initializers().stream().mapToLong(v -> v.initializer().elementCount()).sum();
    }

    static float[] initializer(Graph g, String name) {
        return g.requireValue(name).initializer().toFloats();
    }

    /** The constant the timestep (cast to float) is multiplied by: the sinusoidal frequencies. */
    static float[] frequencies(Graph g) {
        List<float[]> found = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (n.opType().equals("Cos")) {
                Node mul = n.input(0).producer();
                for (Value in : mul.inputs()) {
                    Node c = in.producer();
                    if (c != null && c.opType().equals("Constant")) {
                        Attribute value = c.attribute("value");
                        found.add(value.asTensor().toFloats());
                    }
                }
            }
        }
        assertEquals(1, found.size(), "one sinusoidal timestep embedding");
        return found.get(0);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
