package dev.l2c.ir.serde;

import com.google.protobuf.ByteString;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.UnsupportedModelException;
import dev.l2c.onnx.proto.Onnx;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every refusal of the ONNX reader, each from the embedded classifier with one thing broken: the
 * error is of the documented kind, names the file first, is one line and says what is wrong.
 */
class OnnxReaderRefusalsTest {
    static Onnx.ModelProto classifier;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        classifier = OnnxReader.readProto(Path.of("onnx-models/fmnist_classifier.onnx"));
    }

    private String refusal(Class<? extends L2cException> kind, UnaryOperator<Onnx.GraphProto.Builder> breakIt)
            throws Exception {
        Path file = tmp.resolve("broken.onnx");
        Files.write(file, classifier.toBuilder().setGraph(breakIt.apply(classifier.getGraph().toBuilder())).build()
                .toByteArray());
        L2cException e = assertThrows(kind, () -> OnnxReader.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        // the in-memory entry point refuses the same bytes the same way
        L2cException again = assertThrows(kind, () -> OnnxReader.read(Files.readAllBytes(file), file));
        assertEquals(e.getMessage(), again.getMessage());
        return e.getMessage();
    }

    private static Onnx.TensorProto.Builder firstInitializer(Onnx.GraphProto.Builder g) {
        return g.getInitializer(0).toBuilder();
    }

    @Test
    void graphStructureProblemsAreNamed() throws Exception {
        assertTrue(refusal(InvalidInputException.class, g -> g.setNode(1, g.getNode(1).toBuilder().setInput(0, "ghost")))
                .contains("reads 'ghost', which no input, initializer or node defines"));
        assertTrue(refusal(InvalidInputException.class, g -> g.setNode(1, g.getNode(1).toBuilder()
                .setOutput(0, g.getNode(0).getOutput(0)))).contains("is defined twice"));
        assertTrue(refusal(InvalidInputException.class, g -> g.addInitializer(g.getInitializer(0)))
                .contains("is defined twice"));
        assertTrue(refusal(InvalidInputException.class, g -> g.addInput(g.getInput(0))).contains("is listed twice"));
        assertTrue(refusal(InvalidInputException.class, g -> g.setOutput(0, g.getOutput(0).toBuilder().setName("nowhere")))
                .contains("graph output 'nowhere' is not computed by any node"));
        assertTrue(refusal(UnsupportedModelException.class, g -> g.addSparseInitializer(Onnx.SparseTensorProto.newBuilder()))
                .contains("sparse initializers are not supported"));
        assertTrue(refusal(UnsupportedModelException.class, g -> g.setNode(0, g.getNode(0).toBuilder().addAttribute(
                Onnx.AttributeProto.newBuilder().setName("body").setType(Onnx.AttributeProto.AttributeType.GRAPH)
                        .setG(Onnx.GraphProto.newBuilder())))).contains("has a subgraph"));
        assertTrue(refusal(InvalidInputException.class, g -> g.setNode(0, g.getNode(0).toBuilder().addAttribute(
                Onnx.AttributeProto.newBuilder().setName("odd")))).contains("attribute 'odd' has no valid type"));
    }

    @Test
    void tensorProblemsNameTheTensor() throws Exception {
        String name = classifier.getGraph().getInitializer(0).getName();
        assertTrue(refusal(InvalidInputException.class, g -> g.setInitializer(0, firstInitializer(g).setDims(0, -4)))
                .contains("'" + name + "' has a negative dimension"));
        assertTrue(refusal(InvalidInputException.class, g -> g.setInitializer(0, firstInitializer(g)
                .setRawData(ByteString.copyFrom(new byte[6])))).contains("'" + name + "'"));
        assertTrue(refusal(UnsupportedModelException.class, g -> g.setInitializer(0, firstInitializer(g)
                .setSegment(Onnx.TensorProto.Segment.newBuilder().setBegin(0).setEnd(1)))).contains("segmented"));
        assertTrue(refusal(InvalidInputException.class, g -> g.setInitializer(0, firstInitializer(g).clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL))).contains("names no location"));
        assertTrue(refusal(InvalidInputException.class, g -> g.setInitializer(0, firstInitializer(g).clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", "/etc/passwd")))).contains("is absolute"));
        assertTrue(refusal(InvalidInputException.class, g -> g.setInitializer(0, firstInitializer(g).clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL).addExternalData(entry("location", "w.bin"))
                .addExternalData(entry("offset", "twelve")))).contains("offset 'twelve' is not a number"));
    }

    @Test
    void externalDataMustBeThereAndLongEnough() throws Exception {
        Onnx.TensorProto t = classifier.getGraph().getInitializer(0);
        Files.write(tmp.resolve("w.bin"), new byte[16]);
        String shortFile = refusal(InvalidInputException.class, g -> g.setInitializer(0, t.toBuilder().clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL).addExternalData(entry("location", "w.bin"))));
        assertTrue(shortFile.contains("external data length 16 does not match its shape"), shortFile);
        String missing = refusal(InvalidInputException.class, g -> g.setInitializer(0, t.toBuilder().clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL).addExternalData(entry("location", "none.bin"))));
        assertTrue(missing.contains("none.bin"), missing);
        String wrongLength = refusal(InvalidInputException.class, g -> g.setInitializer(0, t.toBuilder().clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL).addExternalData(entry("location", "w.bin"))
                .addExternalData(entry("length", "8"))));
        assertTrue(wrongLength.contains("length 8"), wrongLength);
    }

    @Test
    void externalDataBesideAModelNamedWithDotSegmentsIsInItsFolder() throws Exception {
        Onnx.TensorProto t = classifier.getGraph().getInitializer(0);
        assertTrue(t.getRawData().size() > 0, "the classifier stores its first weight as raw bytes");
        Files.write(tmp.resolve("w.bin"), t.getRawData().toByteArray());
        Onnx.GraphProto.Builder g = classifier.getGraph().toBuilder();
        g.setInitializer(0, t.toBuilder().clearRawData().setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", "w.bin")));
        Files.write(tmp.resolve("model.onnx"), classifier.toBuilder().setGraph(g).build().toByteArray());
        Files.createDirectories(tmp.resolve("sub"));
        // how a relative package folder (./pkg, SparkFiles' "." on an executor) names its graphs
        for (Path named : new Path[]{tmp.resolve(".").resolve("model.onnx"), tmp.resolve("sub/../model.onnx")}) {
            assertEquals(classifier.getGraph().getNodeCount(), OnnxReader.read(named).graph().nodes().size(),
                    named.toString());
        }
    }

    @Test
    void filesThatAreNotModelsSaySo() throws Exception {
        Path empty = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        assertTrue(assertThrows(InvalidInputException.class, () -> OnnxReader.read(empty)).getMessage()
                .contains("empty file"));
        assertTrue(assertThrows(InvalidInputException.class, () -> OnnxReader.read(new byte[0], empty)).getMessage()
                .contains("empty file"));
        Path none = tmp.resolve("none.onnx");
        assertTrue(assertThrows(InvalidInputException.class, () -> OnnxReader.read(none)).getMessage()
                .contains("no such file"));
        Path folder = Files.createDirectory(tmp.resolve("folder"));
        assertTrue(assertThrows(InvalidInputException.class, () -> OnnxReader.read(folder)).getMessage()
                .contains("neither an ONNX model file nor an l2c package"));
        Files.writeString(folder.resolve("manifest.json"), "{}");
        assertTrue(assertThrows(InvalidInputException.class, () -> OnnxReader.read(folder)).getMessage()
                .contains("is a package folder"));
        Path noGraph = Files.write(tmp.resolve("nograph.onnx"), Onnx.ModelProto.newBuilder().setIrVersion(8).build()
                .toByteArray());
        assertTrue(assertThrows(InvalidInputException.class, () -> OnnxReader.read(noGraph)).getMessage()
                .contains("no ir_version or no graph with nodes"));
        Path garbage = Files.write(tmp.resolve("garbage.onnx"), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f});
        String g = assertThrows(InvalidInputException.class, () -> OnnxReader.read(garbage)).getMessage();
        assertTrue(g.contains("not an ONNX model (") && g.lines().count() == 1 && !g.contains(". "), g);
    }

    private static Onnx.StringStringEntryProto entry(String key, String value) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
