package dev.l2c.ir.serde;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.UnsafeByteOperations;
import dev.l2c.ir.Attribute;
import dev.l2c.ir.Dim;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.ProtoExtras;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.onnx.proto.Onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * Converts our IR back to an ONNX ModelProto. Where each initializer's bytes go is the caller's
 * choice ({@link TensorPlacement}): embedded as {@code raw_data} (a view, not a copy, of the source
 * bytes) or referenced in an external-data file the caller writes.
 */
public final class OnnxWriter {

    /** A tensor's place in an external-data file, relative to the model's folder. */
    public record ExternalRef(String location, long offset, long length) {
    }

    /** Decides where an initializer's bytes go: an {@link ExternalRef}, or null to embed them. */
    @FunctionalInterface
    public interface TensorPlacement {
        ExternalRef place(Tensor tensor);

        TensorPlacement EMBED_ALL = t -> null;
    }

    private final TensorPlacement placement;

    private OnnxWriter(TensorPlacement placement) {
        this.placement = placement;
    }

    public static Onnx.ModelProto toProto(Model model, TensorPlacement placement) {
        return new OnnxWriter(placement).model(model);
    }

    /** Serializes to {@code out}; the caller owns the stream (and makes the write atomic). */
    public static void write(Model model, TensorPlacement placement, OutputStream out) throws IOException {
        Onnx.ModelProto proto = toProto(model, placement);
        if (proto.getSerializedSize() < 0) {
            throw new IOException("the model is larger than protobuf's 2 GiB limit; place its weights in external data");
        }
        proto.writeTo(out);
    }

    private Onnx.ModelProto model(Model m) {
        Onnx.ModelProto.Builder b = Onnx.ModelProto.newBuilder()
                .setIrVersion(m.irVersion())
                .setGraph(graph(m.graph()));
        for (Map.Entry<String, Long> e : m.opsetImports().entrySet()) {
            b.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
        }
        if (!m.producerName().isEmpty()) {
            b.setProducerName(m.producerName());
        }
        if (!m.producerVersion().isEmpty()) {
            b.setProducerVersion(m.producerVersion());
        }
        if (!m.domain().isEmpty()) {
            b.setDomain(m.domain());
        }
        if (m.modelVersion() != 0) {
            b.setModelVersion(m.modelVersion());
        }
        ProtoExtras ex = m.extras();
        if (!ex.docString().isEmpty()) {
            b.setDocString(ex.docString());
        }
        ex.metadata().forEach((k, v) -> b.addMetadataProps(entry(k, v)));
        b.setUnknownFields(unknown(ex));
        for (byte[] opaque : m.opaqueFields()) {
            merge(b, opaque);
        }
        return b.build();
    }

    private static void merge(com.google.protobuf.Message.Builder b, byte[] serializedFields) {
        try {
            b.mergeFrom(serializedFields);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("kept fields no longer parse", e);
        }
    }

    private static Onnx.StringStringEntryProto entry(String k, String v) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private static UnknownFieldSet unknown(ProtoExtras ex) {
        byte[] bytes = ex.unknownFields();
        if (bytes.length == 0) {
            return UnknownFieldSet.getDefaultInstance();
        }
        try {
            return UnknownFieldSet.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("kept unknown fields no longer parse", e);
        }
    }

    private Onnx.GraphProto graph(Graph g) {
        Onnx.GraphProto.Builder b = Onnx.GraphProto.newBuilder();
        if (g.name() != null && !g.name().isEmpty()) {
            b.setName(g.name());
        }
        for (Node n : g.topologicalOrder()) {
            b.addNode(node(n));
        }
        for (Value init : g.initializers()) {
            b.addInitializer(tensor(init.initializer(), true));
        }
        for (Value in : g.inputs()) {
            b.addInput(valueInfo(in));
        }
        for (Value out : g.outputs()) {
            b.addOutput(valueInfo(out));
        }
        for (Value v : g.values()) {
            if (v.type() != null && v.producer() != null && !v.isGraphOutput()) {
                b.addValueInfo(valueInfo(v));
            }
        }
        ProtoExtras ex = g.extras();
        if (!ex.docString().isEmpty()) {
            b.setDocString(ex.docString());
        }
        ex.metadata().forEach((k, v) -> b.addMetadataProps(entry(k, v)));
        b.setUnknownFields(unknown(ex));
        for (byte[] opaque : g.opaqueFields()) {
            merge(b, opaque);
        }
        return b.build();
    }

    private static Onnx.ValueInfoProto valueInfo(Value v) {
        Onnx.ValueInfoProto.Builder b = Onnx.ValueInfoProto.newBuilder().setName(v.name());
        TensorType t = v.type();
        if (t != null) {
            Onnx.TypeProto.Tensor.Builder tt = Onnx.TypeProto.Tensor.newBuilder().setElemType(t.elementType().code);
            if (t.shape() != null) {
                Onnx.TensorShapeProto.Builder sb = Onnx.TensorShapeProto.newBuilder();
                for (Dim d : t.shape().dims()) {
                    Onnx.TensorShapeProto.Dimension.Builder db = Onnx.TensorShapeProto.Dimension.newBuilder();
                    if (d.isKnown()) {
                        db.setDimValue(d.value());
                    } else if (!d.isUnknown()) {
                        db.setDimParam(d.toString());
                    }
                    sb.addDim(db);
                }
                tt.setShape(sb);
            }
            b.setType(Onnx.TypeProto.newBuilder().setTensorType(tt));
        }
        ProtoExtras ex = v.infoExtras();
        if (!ex.docString().isEmpty()) {
            b.setDocString(ex.docString());
        }
        ex.metadata().forEach((k, val) -> b.addMetadataProps(entry(k, val)));
        b.setUnknownFields(unknown(ex));
        return b.build();
    }

    private Onnx.NodeProto node(Node n) {
        Onnx.NodeProto.Builder b = Onnx.NodeProto.newBuilder().setOpType(n.opType());
        if (!n.name().isEmpty()) {
            b.setName(n.name());
        }
        if (!n.domain().isEmpty()) {
            b.setDomain(n.domain());
        }
        if (!n.overload().isEmpty()) {
            b.setOverload(n.overload());
        }
        for (Value in : n.inputs()) {
            b.addInput(in == null ? "" : in.name());
        }
        // trailing omitted outputs are dropped, as ONNX allows; inner ones stay as ""
        List<Value> outs = n.outputs();
        int last = outs.size() - 1;
        while (last > 0 && outs.get(last) == null) {
            last--;
        }
        for (int i = 0; i <= last; i++) {
            b.addOutput(outs.get(i) == null ? "" : outs.get(i).name());
        }
        for (Attribute a : n.attributes().values()) {
            b.addAttribute(attribute(a));
        }
        ProtoExtras ex = n.extras();
        if (!ex.docString().isEmpty()) {
            b.setDocString(ex.docString());
        }
        ex.metadata().forEach((k, v) -> b.addMetadataProps(entry(k, v)));
        b.setUnknownFields(unknown(ex));
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private Onnx.AttributeProto attribute(Attribute a) {
        if (a.kind() == Attribute.Kind.OPAQUE) {
            try {
                return Onnx.AttributeProto.parseFrom(((Attribute.Opaque) a.value()).serializedAttribute());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("kept attribute no longer parses", e);
            }
        }
        Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(a.name());
        if (!a.refAttrName().isEmpty()) {
            b.setRefAttrName(a.refAttrName());
        }
        switch (a.kind()) {
            case FLOAT -> b.setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(a.asFloat());
            case INT -> b.setType(Onnx.AttributeProto.AttributeType.INT).setI(a.asInt());
            case STRING -> b.setType(Onnx.AttributeProto.AttributeType.STRING).setS(ByteString.copyFrom((byte[]) a.value()));
            case TENSOR -> b.setType(Onnx.AttributeProto.AttributeType.TENSOR).setT(tensor(a.asTensor(), false));
            case FLOATS -> {
                b.setType(Onnx.AttributeProto.AttributeType.FLOATS);
                for (float f : (float[]) a.value()) {
                    b.addFloats(f);
                }
            }
            case INTS -> {
                b.setType(Onnx.AttributeProto.AttributeType.INTS);
                for (long i : (long[]) a.value()) {
                    b.addInts(i);
                }
            }
            case STRINGS -> {
                b.setType(Onnx.AttributeProto.AttributeType.STRINGS);
                for (byte[] s : (List<byte[]>) a.value()) {
                    b.addStrings(ByteString.copyFrom(s));
                }
            }
            case TENSORS -> {
                b.setType(Onnx.AttributeProto.AttributeType.TENSORS);
                for (Tensor t : a.asTensors()) {
                    b.addTensors(tensor(t, false));
                }
            }
            default -> throw new IllegalStateException("unhandled attribute kind " + a.kind());
        }
        ProtoExtras ex = a.extras();
        if (!ex.docString().isEmpty()) {
            b.setDocString(ex.docString());
        }
        b.setUnknownFields(unknown(ex));
        return b.build();
    }

    private Onnx.TensorProto tensor(Tensor t, boolean mayBeExternal) {
        Onnx.TensorProto.Builder b = Onnx.TensorProto.newBuilder()
                .setName(t.name())
                .setDataType(t.type().code);
        for (long d : t.dims()) {
            b.addDims(d);
        }
        ExternalRef ref = mayBeExternal ? placement.place(t) : null;
        if (ref != null) {
            b.setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", ref.location()))
                    .addExternalData(entry("offset", Long.toString(ref.offset())))
                    .addExternalData(entry("length", Long.toString(ref.length())));
        } else {
            // a view of the source bytes (often memory-mapped): serialization reads them once, no copy here
            b.setRawData(UnsafeByteOperations.unsafeWrap(t.data().bytes()));
        }
        ProtoExtras ex = t.extras();
        if (!ex.docString().isEmpty()) {
            b.setDocString(ex.docString());
        }
        ex.metadata().forEach((k, v) -> b.addMetadataProps(entry(k, v)));
        b.setUnknownFields(unknown(ex));
        return b.build();
    }
}
