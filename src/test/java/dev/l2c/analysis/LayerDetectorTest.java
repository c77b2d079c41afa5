package dev.l2c.analysis;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;
import dev.l2c.testing.GraphBuilder;
import dev.l2c.testing.TinyModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerDetectorTest {

    static LayerMap detect(Model m) throws LayerDetector.NotRecognizedException {
        return LayerDetector.detect(m.graph(), ShapeInference.infer(m.graph(), m.defaultOpset()));
    }

    @Test
    void gatedBranchesAreCachedBeforeTheirConditioningGate() throws Exception {
        LayerMap map = detect(TinyModels.gatedTransformer(2));
        assertEquals(4, map.size());
        assertEquals(List.of("attn_out_0", "mlp_out_0", "attn_out_1", "mlp_out_1"),
                map.layers().stream().map(CacheableLayer::tensor).toList());
        assertEquals(List.of(BranchKind.ATTENTION, BranchKind.MLP, BranchKind.ATTENTION, BranchKind.MLP),
                map.layers().stream().map(CacheableLayer::kind).toList());
        assertEquals(List.of(0, 0, 1, 1), map.layers().stream().map(CacheableLayer::block).toList());
        map.layers().forEach(l -> assertNotNull(l.gate(), "layer " + l.index() + " has a gate"));
        assertEquals("[batch, 4, 8]", map.layer(0).type().shape().toString());
    }

    @Test
    void ungatedBranchesAreCachedAsAdded() throws Exception {
        LayerMap map = detect(TinyModels.plainTransformer(3));
        assertEquals(6, map.size());
        assertEquals("attn_out_2", map.layer(4).tensor());
        map.layers().forEach(l -> assertNull(l.gate()));
    }

    @Test
    void costsCountTheBranchMatrixProducts() throws Exception {
        LayerMap map = detect(TinyModels.plainTransformer(1));
        int n = TinyModels.TOKENS;
        int d = TinyModels.WIDTH;
        // q, k, v, output projections (4·n·d·d) plus q·kᵀ and softmax·v (2·n·n·d)
        assertEquals(4L * n * d * d + 2L * n * n * d, map.layer(0).macsPerSample());
        // two projections d → 2d → d
        assertEquals(2L * n * d * 2 * d, map.layer(1).macsPerSample());
    }

    @Test
    void aGraphWithoutResidualStreamIsNotRecognisedAndSaysWhatItFound() throws Exception {
        Model classifier = OnnxReader.read(Path.of("onnx-models/fmnist_classifier.onnx"));
        LayerDetector.NotRecognizedException e = assertThrows(LayerDetector.NotRecognizedException.class,
                () -> detect(classifier));
        assertTrue(e.getMessage().contains("no residual token stream"), e.getMessage());
    }

    @Test
    void unpairedBranchesAreReportedWithTheirKinds() {
        GraphBuilder b = new GraphBuilder("mlps", 3);
        Value x = b.input("x", DataType.FLOAT, "batch", 4, 8);
        x = b.op("Add", x, b.mlp(x, 8));
        x = b.op("Add", x, b.mlp(x, 8));
        b.output(x);
        LayerDetector.NotRecognizedException e = assertThrows(LayerDetector.NotRecognizedException.class,
                () -> detect(b.model()));
        assertTrue(e.getMessage().contains("[mlp, mlp]"), e.getMessage());
    }

    /**
     * PixArt-α's block on a tiny scale: gated self-attention, ungated cross-attention to text tokens
     * (another graph input), gated MLP; the gates from a conditioning input, as adaLN-single gives them.
     */
    static Model pixArtStyle(int blocks) {
        int d = TinyModels.WIDTH;
        GraphBuilder b = new GraphBuilder("pixart", 5);
        Value x = b.input("x", DataType.FLOAT, "batch", TinyModels.TOKENS, d);
        Value text = b.input("text", DataType.FLOAT, "batch", 6, d);
        Value c = b.input("c", DataType.FLOAT, "batch", 1, d);
        for (int i = 0; i < blocks; i++) {
            Value g1 = b.op("Sigmoid", b.op("Mul", c, b.weight("g1_" + i, 0.5f, d)));
            Value g2 = b.op("Sigmoid", b.op("Mul", c, b.weight("g2_" + i, 0.5f, d)));
            x = b.op("Add", x, b.op("Mul", g1, b.named("self_" + i, b.attention(b.layerNorm(x, d), d))));
            x = b.op("Add", x, b.named("cross_" + i, crossAttention(b, b.layerNorm(x, d), text, d)));
            x = b.op("Add", x, b.op("Mul", g2, b.named("mlp_" + i, b.mlp(b.layerNorm(x, d), d))));
        }
        b.output(b.named("out", b.op("Tanh", x)));
        return b.model();
    }

    /** Queries from the stream, keys and values from {@code context}. */
    static Value crossAttention(GraphBuilder b, Value x, Value context, int width) {
        Value q = b.op("MatMul", x, b.weight("cq_" + x.name(), 0.2f, width, width));
        Value k = b.op("MatMul", context, b.weight("ck_" + x.name(), 0.2f, width, width));
        Value v = b.op("MatMul", context, b.weight("cv_" + x.name(), 0.2f, width, width));
        Value kt = b.opWith("Transpose", Map.of("perm", Attribute.ofInts("perm", 0, 2, 1)), k);
        Value scores = b.op("Softmax", b.op("MatMul", q, kt));
        return b.op("MatMul", b.op("MatMul", scores, v), b.weight("co_" + x.name(), 0.2f, width, width));
    }

    @Test
    void aPixArtStyleBlockIsSelfAttentionCrossAttentionAndMlpWithTheCrossAttentionUngated() throws Exception {
        LayerMap map = detect(pixArtStyle(2));
        assertEquals(List.of(BranchKind.ATTENTION, BranchKind.CROSS_ATTENTION, BranchKind.MLP,
                        BranchKind.ATTENTION, BranchKind.CROSS_ATTENTION, BranchKind.MLP),
                map.layers().stream().map(CacheableLayer::kind).toList());
        assertEquals(List.of("self_0", "cross_0", "mlp_0", "self_1", "cross_1", "mlp_1"),
                map.layers().stream().map(CacheableLayer::tensor).toList());
        assertEquals(List.of(0, 0, 0, 1, 1, 1), map.layers().stream().map(CacheableLayer::block).toList());
        assertNotNull(map.layer(0).gate());
        assertNull(map.layer(1).gate(), "PixArt's cross-attention has no gate");
        assertNotNull(map.layer(2).gate());
        // the cross-attention's cost counts its projections of the text tokens too (they are computed for it alone)
        int n = TinyModels.TOKENS;
        int d = TinyModels.WIDTH;
        assertEquals(2L * n * d * d + 2L * 6 * d * d + 2L * n * 6 * d, map.layer(1).macsPerSample());
    }

    @Test
    void aBlockOfAnotherLayoutIsReportedWithBothLayoutsNamed() {
        GraphBuilder b = new GraphBuilder("cross-only", 3);
        Value x = b.input("x", DataType.FLOAT, "batch", 4, 8);
        Value text = b.input("text", DataType.FLOAT, "batch", 6, 8);
        x = b.op("Add", x, crossAttention(b, x, text, 8));
        x = b.op("Add", x, b.mlp(x, 8));
        b.output(b.named("out", b.op("Tanh", x)));
        LayerDetector.NotRecognizedException e = assertThrows(LayerDetector.NotRecognizedException.class,
                () -> detect(b.model()));
        assertTrue(e.getMessage().contains("[cross_attention, mlp]") && e.getMessage().contains("triples (PixArt)"),
                e.getMessage());
    }

    @Test
    void theEmbeddedDitIsFoundFromStructureAlone() throws Exception {
        Model m = OnnxReader.read(Path.of("onnx-models/dit_fmnist.onnx"));
        LayerMap byName = detect(m);
        assertEquals(24, byName.size());
        assertEquals("/blocks.3/mlp/fc2/Add_output_0", byName.layer(7).tensor());
        assertEquals(BranchKind.ATTENTION, byName.layer(22).kind());
        assertEquals("[batch, 196, 128]", byName.layer(0).type().shape().toString());

        // An exporter that names everything node_N / value_N must give the same layers.
        List<String> order = byName.layers().stream().map(CacheableLayer::tensor).toList();
        Graph g = m.graph();
        List<String> renamedTensors = new ArrayList<>(order);
        int i = 0;
        for (Node n : g.nodes()) {
            n.setName("node_" + (i++));
            for (Value out : n.outputs()) {
                if (out != null && !out.isGraphOutput()) {
                    String newName = "value_" + i + "_" + out.producerOutputIndex();
                    int idx = renamedTensors.indexOf(out.name());
                    if (idx >= 0) {
                        renamedTensors.set(idx, newName);
                    }
                    g.renameValue(out, newName);
                }
            }
        }
        LayerMap byStructure = detect(m);
        assertEquals(renamedTensors, byStructure.layers().stream().map(CacheableLayer::tensor).toList());
        assertEquals(byName.macsPerSampleFull(), byStructure.macsPerSampleFull());
    }

    @Test
    void theEmbeddedUvitHas26LayersInForwardOrder() throws Exception {
        LayerMap map = detect(OnnxReader.read(Path.of("onnx-models/uvit_fmnist.onnx")));
        assertEquals(26, map.size());
        assertEquals("/in_blocks.0/attn/proj/Add_output_0", map.layer(0).tensor());
        assertEquals("/mid_block/mlp/fc2/Add_output_0", map.layer(13).tensor());
        assertEquals("/out_blocks.5/mlp/fc2/Add_output_0", map.layer(25).tensor());
        assertEquals("[batch, 198, 128]", map.layer(0).type().shape().toString());
    }

    @Test
    void namedLayersGiveTheDetectedMapAndRefuseWhatCannotBeCached() throws Exception {
        Model m = OnnxReader.read(Path.of("onnx-models/dit_fmnist.onnx"));
        ValueShapes shapes = ShapeInference.infer(m.graph(), m.defaultOpset());
        LayerMap detected = LayerDetector.detect(m.graph(), shapes);
        List<LayerDetector.NamedLayer> named = detected.layers().stream()
                .map(l -> new LayerDetector.NamedLayer(l.block(), l.kind(), l.tensor())).toList();
        LayerMap byName = LayerDetector.fromNamedLayers(m.graph(), shapes, named, "layers.json");
        assertEquals("layers.json", byName.source());
        assertEquals(detected.size(), byName.size());
        for (int j = 0; j < detected.size(); j++) {
            CacheableLayer a = detected.layer(j);
            CacheableLayer b = byName.layer(j);
            assertEquals(a.tensor(), b.tensor());
            assertEquals(a.type(), b.type());
            assertEquals(a.macsPerSample(), b.macsPerSample(), "layer " + j + ": the same branch cone is counted");
            assertEquals(j, b.index());
        }
        assertEquals(detected.macsPerSampleFull(), byName.macsPerSampleFull());

        String missing = assertThrows(LayerDetector.NotRecognizedException.class, () -> LayerDetector.fromNamedLayers(
                m.graph(), shapes, List.of(new LayerDetector.NamedLayer(0, BranchKind.MLP, "no_such_value")), "x"))
                .getMessage();
        assertTrue(missing.contains("layer 0") && missing.contains("no_such_value"), missing);
        String input = m.graph().inputs().get(0).name();
        String notComputed = assertThrows(LayerDetector.NotRecognizedException.class, () -> LayerDetector.fromNamedLayers(
                m.graph(), shapes, List.of(new LayerDetector.NamedLayer(0, BranchKind.MLP, input)), "x")).getMessage();
        assertTrue(notComputed.contains("graph input or initializer"), notComputed);
    }
}
