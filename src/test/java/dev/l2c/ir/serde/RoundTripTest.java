package dev.l2c.ir.serde;

import com.google.protobuf.UnknownFieldSet;
import dev.l2c.compiler.WeightsFileWriter;
import dev.l2c.error.InvalidInputException;
import dev.l2c.ir.Attribute;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Value;
import dev.l2c.onnx.proto.Onnx;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** proto → IR → proto must lose nothing: same graph, same numbers under ONNX Runtime, unknown fields kept. */
class RoundTripTest {
    static final Path MODELS = Path.of("onnx-models");

    @ParameterizedTest
    @ValueSource(strings = {"dit_fmnist.onnx", "uvit_fmnist.onnx", "fmnist_classifier.onnx"})
    void embeddedModelsRoundTripToTheSameGraphAndTheSameOutputs(String name, @TempDir Path tmp) throws Exception {
        Path source = MODELS.resolve(name);
        Model first = OnnxReader.read(source);
        Path copy = OrtTesting.write(first, tmp.resolve(name));
        Model second = OnnxReader.read(copy);
        assertSameGraph(first.graph(), second.graph());

        Map<String, Object> inputs = inputsFor(name);
        Map<String, float[]> before = OrtTesting.run(source, inputs);
        Map<String, float[]> after = OrtTesting.run(copy, inputs);
        assertEquals(before.keySet(), after.keySet());
        for (String out : before.keySet()) {
            assertArrayEquals(before.get(out), after.get(out), out + " must be bit-identical");
        }
    }

    @Test
    void externalDataRoundTripGivesTheSameOutputs(@TempDir Path tmp) throws Exception {
        Model m = OnnxReader.read(MODELS.resolve("dit_fmnist.onnx"));
        Path file = tmp.resolve("dit.onnx");
        try (WeightsFileWriter w = new WeightsFileWriter(tmp.resolve("weights.bin"));
             OutputStream out = Files.newOutputStream(file)) {
            OnnxWriter.write(m, w, out);
        }
        assertTrue(Files.size(file) < 1_000_000, "weights must live outside the graph file");
        Model back = OnnxReader.read(file);
        assertSameGraph(m.graph(), back.graph());
        Map<String, Object> inputs = inputsFor("dit_fmnist.onnx");
        assertArrayEquals(OrtTesting.run(MODELS.resolve("dit_fmnist.onnx"), inputs).get("out"),
                OrtTesting.run(file, inputs).get("out"));
    }

    @Test
    void unknownFieldsSurviveARoundTrip(@TempDir Path tmp) throws Exception {
        Onnx.ModelProto proto = OnnxReader.readProto(MODELS.resolve("fmnist_classifier.onnx"));
        UnknownFieldSet extra = UnknownFieldSet.newBuilder()
                .addField(999, UnknownFieldSet.Field.newBuilder().addVarint(42).build()).build();
        Onnx.GraphProto.Builder g = proto.getGraph().toBuilder();
        g.setNode(0, g.getNode(0).toBuilder().setUnknownFields(extra));
        Onnx.ModelProto withExtra = proto.toBuilder().setGraph(g).setUnknownFields(extra).build();
        Path in = tmp.resolve("extra.onnx");
        Files.write(in, withExtra.toByteArray());

        Path out = OrtTesting.write(OnnxReader.read(in), tmp.resolve("back.onnx"));
        Onnx.ModelProto back = Onnx.ModelProto.parseFrom(Files.readAllBytes(out));
        assertEquals(List.of(42L), back.getUnknownFields().getField(999).getVarintList());
        assertEquals(List.of(42L), back.getGraph().getNode(0).getUnknownFields().getField(999).getVarintList());
    }

    @Test
    void everyFieldTheIrCarriesComesBackAsItWasRead(@TempDir Path tmp) throws Exception {
        // the classifier with every optional field set that the IR keeps: doc strings and metadata on
        // the model, graph, nodes, values and initializers; model domain and version; a node domain;
        // attributes of each kind; a value_info entry
        Onnx.ModelProto proto = OnnxReader.readProto(MODELS.resolve("fmnist_classifier.onnx"));
        Onnx.StringStringEntryProto meta = Onnx.StringStringEntryProto.newBuilder().setKey("k").setValue("v").build();
        Onnx.GraphProto.Builder g = proto.getGraph().toBuilder().setDocString("graph doc").addMetadataProps(meta);
        g.setNode(0, g.getNode(0).toBuilder().setDocString("conv doc").addMetadataProps(meta)
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("note").setType(Onnx.AttributeProto.AttributeType.STRING)
                        .setS(com.google.protobuf.ByteString.copyFromUtf8("s")).setDocString("attr doc"))
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("scale").setType(Onnx.AttributeProto.AttributeType.FLOAT)
                        .setF(0.5f))
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("scales").setType(Onnx.AttributeProto.AttributeType.FLOATS)
                        .addFloats(1f).addFloats(2f))
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("names").setType(Onnx.AttributeProto.AttributeType.STRINGS)
                        .addStrings(com.google.protobuf.ByteString.copyFromUtf8("a"))));
        g.setInput(0, g.getInput(0).toBuilder().setDocString("input doc").addMetadataProps(meta));
        g.setOutput(0, g.getOutput(0).toBuilder().setDocString("output doc"));
        g.setInitializer(0, g.getInitializer(0).toBuilder().setDocString("weight doc").addMetadataProps(meta));
        g.addValueInfo(Onnx.ValueInfoProto.newBuilder().setName(g.getNode(0).getOutput(0)).setDocString("value doc")
                .setType(g.getInput(0).getType()));
        Onnx.ModelProto rich = proto.toBuilder().setGraph(g).setDocString("model doc").addMetadataProps(meta)
                .setDomain("dev.l2c.test").setModelVersion(7).build();
        Path in = tmp.resolve("rich.onnx");
        Files.write(in, rich.toByteArray());

        Onnx.ModelProto back = OnnxWriter.toProto(OnnxReader.read(in), OnnxWriter.TensorPlacement.EMBED_ALL);
        assertEquals("model doc", back.getDocString());
        assertEquals(List.of(meta), back.getMetadataPropsList());
        assertEquals("dev.l2c.test", back.getDomain());
        assertEquals(7, back.getModelVersion());
        assertEquals(rich.getProducerName(), back.getProducerName());
        assertEquals(rich.getProducerVersion(), back.getProducerVersion());
        assertEquals(rich.getIrVersion(), back.getIrVersion());
        // the writer spells the default domain out (domain: ""); the same imports
        assertEquals(rich.getOpsetImportList().stream().map(o -> o.getDomain() + ":" + o.getVersion()).toList(),
                back.getOpsetImportList().stream().map(o -> o.getDomain() + ":" + o.getVersion()).toList());
        Onnx.GraphProto bg = back.getGraph();
        assertEquals("graph doc", bg.getDocString());
        assertEquals(List.of(meta), bg.getMetadataPropsList());
        assertEquals(g.getNode(0), bg.getNode(0), "the node with its attributes, doc string and metadata");
        assertEquals(g.getNodeList(), bg.getNodeList());
        assertEquals(g.getInput(0), bg.getInput(0));
        assertEquals(g.getOutputList(), bg.getOutputList());
        assertEquals(g.getInitializer(0).getDocString(), bg.getInitializer(0).getDocString());
        assertEquals(g.getInitializer(0).getMetadataPropsList(), bg.getInitializer(0).getMetadataPropsList());
        assertEquals(g.getInitializerList(), bg.getInitializerList(), "initializers embedded as read");
        assertEquals(g.getValueInfoList(), bg.getValueInfoList());
    }

    @Test
    void tensorsInTypedFieldsReadAsTheSameBytesAsRawData(@TempDir Path tmp) throws Exception {
        // one initializer per typed field, and its twin in raw_data (little-endian) with the same values
        java.util.List<Onnx.TensorProto> typed = java.util.List.of(
                Onnx.TensorProto.newBuilder().setName("f").setDataType(1).addDims(3).addFloatData(1.5f).addFloatData(-2f)
                        .addFloatData(3.25f).build(),
                Onnx.TensorProto.newBuilder().setName("d").setDataType(11).addDims(2).addDoubleData(0.1).addDoubleData(-7)
                        .build(),
                Onnx.TensorProto.newBuilder().setName("i64").setDataType(7).addDims(2).addInt64Data(-5)
                        .addInt64Data(1L << 40).build(),
                Onnx.TensorProto.newBuilder().setName("i32").setDataType(6).addDims(2).addInt32Data(-3).addInt32Data(9).build(),
                Onnx.TensorProto.newBuilder().setName("u32").setDataType(12).addDims(1).addUint64Data(4_000_000_000L).build(),
                Onnx.TensorProto.newBuilder().setName("u64").setDataType(13).addDims(1).addUint64Data(-1L).build(),
                Onnx.TensorProto.newBuilder().setName("i16").setDataType(5).addDims(2).addInt32Data(-300).addInt32Data(7).build(),
                Onnx.TensorProto.newBuilder().setName("i8").setDataType(3).addDims(3).addInt32Data(-1).addInt32Data(2)
                        .addInt32Data(127).build(),
                Onnx.TensorProto.newBuilder().setName("b").setDataType(9).addDims(2).addInt32Data(1).addInt32Data(0).build());
        java.nio.ByteBuffer[] raw = {
                le(12).putFloat(1.5f).putFloat(-2f).putFloat(3.25f), le(16).putDouble(0.1).putDouble(-7),
                le(16).putLong(-5).putLong(1L << 40), le(8).putInt(-3).putInt(9), le(4).putInt((int) 4_000_000_000L),
                le(8).putLong(-1L), le(4).putShort((short) -300).putShort((short) 7), le(3).put((byte) -1).put((byte) 2)
                .put((byte) 127), le(2).put((byte) 1).put((byte) 0)};
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("typed");
        for (Onnx.TensorProto t : typed) {
            g.addInitializer(t);
            g.addNode(Onnx.NodeProto.newBuilder().setOpType("Identity").addInput(t.getName()).addOutput(t.getName() + "_out"));
            g.addOutput(Onnx.ValueInfoProto.newBuilder().setName(t.getName() + "_out"));
        }
        Onnx.ModelProto proto = Onnx.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(17)).build();
        Path file = tmp.resolve("typed.onnx");
        Files.write(file, proto.toByteArray());
        Model m = OnnxReader.read(file);
        for (int i = 0; i < typed.size(); i++) {
            java.nio.ByteBuffer expected = raw[i].flip();
            java.nio.ByteBuffer actual = m.graph().value(typed.get(i).getName()).initializer().data().bytes();
            assertEquals(expected, actual, typed.get(i).getName());
        }
        // more values than the dims hold, in any typed field, is a one-line error naming the tensor
        for (int i = 0; i < typed.size(); i++) {
            Onnx.TensorProto t = typed.get(i);
            Onnx.TensorProto.Builder extra = t.toBuilder();
            switch (t.getDataType()) {
                case 1 -> extra.addFloatData(9f);
                case 11 -> extra.addDoubleData(9);
                case 7 -> extra.addInt64Data(9);
                case 12, 13 -> extra.addUint64Data(9);
                default -> extra.addInt32Data(9);
            }
            Onnx.GraphProto.Builder one = g.clone();
            one.setInitializer(i, extra);
            Files.write(file, proto.toBuilder().setGraph(one).build().toByteArray());
            InvalidInputException tooMany = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                    () -> OnnxReader.read(file), t.getName());
            assertTrue(tooMany.getMessage().contains("'" + t.getName() + "' holds"), tooMany.getMessage());
        }
        // fewer values than the dims promise is a one-line error naming the tensor
        g.setInitializer(0, typed.get(0).toBuilder().clearFloatData().addFloatData(1f));
        Files.write(file, proto.toBuilder().setGraph(g).build().toByteArray());
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> OnnxReader.read(file));
        assertTrue(e.getMessage().contains("'f'"), e.getMessage());
    }

    private static java.nio.ByteBuffer le(int bytes) {
        return java.nio.ByteBuffer.allocate(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void aTruncatedFileIsRefusedWithItsName(@TempDir Path tmp) throws Exception {
        byte[] bytes = Files.readAllBytes(MODELS.resolve("fmnist_classifier.onnx"));
        Path cut = tmp.resolve("cut.onnx");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> OnnxReader.read(cut));
        assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not an ONNX model"), e.getMessage());
    }

    @Test
    void aTextFileIsNotAModel(@TempDir Path tmp) throws Exception {
        Path txt = tmp.resolve("notes.onnx");
        Files.writeString(txt, "this is not a model\n");
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> OnnxReader.read(txt));
        assertTrue(e.getMessage().contains("not an ONNX model"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void missingExternalDataIsNamed(@TempDir Path tmp) throws Exception {
        Model m = OnnxReader.read(MODELS.resolve("fmnist_classifier.onnx"));
        Path file = tmp.resolve("c.onnx");
        try (WeightsFileWriter w = new WeightsFileWriter(tmp.resolve("weights.bin"));
             OutputStream out = Files.newOutputStream(file)) {
            OnnxWriter.write(m, w, out);
        }
        Files.delete(tmp.resolve("weights.bin"));
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> OnnxReader.read(file));
        assertTrue(e.getMessage().contains("weights.bin") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void externalDataEscapingTheModelFolderIsRefused(@TempDir Path tmp) throws Exception {
        Onnx.ModelProto proto = OnnxReader.readProto(MODELS.resolve("fmnist_classifier.onnx"));
        Onnx.GraphProto.Builder g = proto.getGraph().toBuilder();
        Onnx.TensorProto t = g.getInitializer(0);
        g.setInitializer(0, t.toBuilder().clearRawData().setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("../secret.bin")));
        Path file = tmp.resolve("evil.onnx");
        Files.write(file, proto.toBuilder().setGraph(g).build().toByteArray());
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> OnnxReader.read(file));
        assertTrue(e.getMessage().contains("leaves the model's folder"), e.getMessage());
    }

    @Test
    void nodesListedInReverseAreReadInTheOrderOfTheirData(@TempDir Path tmp) throws Exception {
        Onnx.ModelProto proto = OnnxReader.readProto(MODELS.resolve("fmnist_classifier.onnx"));
        Onnx.GraphProto.Builder g = proto.getGraph().toBuilder();
        List<Onnx.NodeProto> nodes = new java.util.ArrayList<>(g.getNodeList());
        java.util.Collections.reverse(nodes);
        g.clearNode().addAllNode(nodes);
        Path file = tmp.resolve("reversed.onnx");
        Files.write(file, proto.toBuilder().setGraph(g).build().toByteArray());
        Model sorted = OnnxReader.read(MODELS.resolve("fmnist_classifier.onnx"));
        Model reversed = OnnxReader.read(file);
        // the classifier is a chain: its one topological order is the file's own
        assertSameGraph(sorted.graph(), reversed.graph());
        assertEquals(sorted.graph().nodes().stream().map(Node::name).toList(),
                reversed.graph().nodes().stream().map(Node::name).toList());
    }

    @Test
    void aCycleBetweenNodesIsRefusedNamingANodeOnIt(@TempDir Path tmp) throws Exception {
        Onnx.ModelProto proto = OnnxReader.readProto(MODELS.resolve("fmnist_classifier.onnx"));
        Onnx.GraphProto.Builder g = proto.getGraph().toBuilder();
        // the first node reads the second node's output instead of its own input
        Onnx.NodeProto first = g.getNode(0);
        String secondOut = g.getNode(1).getOutput(0);
        g.setNode(0, first.toBuilder().setInput(0, secondOut));
        Path file = tmp.resolve("cycle.onnx");
        Files.write(file, proto.toBuilder().setGraph(g).build().toByteArray());
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> OnnxReader.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("cycle through node '" + first.getName() + "'"), e.getMessage());
    }

    static Map<String, Object> inputsFor(String name) {
        if (name.startsWith("fmnist_classifier")) {
            return Map.of("image", OrtTesting.randomFloats(3, 2, 1, 28, 28));
        }
        Object t = name.startsWith("uvit")
                ? new OrtTesting.Floats(new float[]{500f, 20f}, 2)
                : new OrtTesting.Longs(new long[]{500, 20}, 2);
        return Map.of("x", OrtTesting.randomFloats(5, 2, 1, 28, 28), "t", t,
                "y", new OrtTesting.Longs(new long[]{3, 10}, 2));
    }

    static void assertSameGraph(Graph a, Graph b) {
        List<Node> na = a.topologicalOrder();
        List<Node> nb = b.topologicalOrder();
        assertEquals(na.size(), nb.size(), "node count");
        for (int i = 0; i < na.size(); i++) {
            Node x = na.get(i);
            Node y = nb.get(i);
            assertEquals(x.opType(), y.opType());
            assertEquals(x.name(), y.name());
            assertEquals(names(x.inputs()), names(y.inputs()), "inputs of " + x);
            assertEquals(names(x.outputs()), names(y.outputs()), "outputs of " + x);
            assertEquals(x.attributes().keySet(), y.attributes().keySet());
            for (Attribute at : x.attributes().values()) {
                assertEquals(at.toString(), y.attribute(at.name()).toString());
            }
        }
        assertEquals(names(a.inputs()), names(b.inputs()));
        assertEquals(names(a.outputs()), names(b.outputs()));
        assertEquals(names(a.initializers()), names(b.initializers()));
        for (Value init : a.initializers()) {
            assertEquals(init.initializer().data().bytes(), b.value(init.name()).initializer().data().bytes(),
                    "bytes of " + init.name());
        }
    }

    static List<String> names(List<Value> values) {
        return values.stream().map(v -> v == null ? "" : v.name()).toList();
    }
}
