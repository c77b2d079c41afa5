package dev.l2c.ir;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A node attribute. The value's Java type depends on the kind: FLOAT → Float, INT → Long, STRING →
 * byte[], TENSOR → {@link Tensor}, FLOATS → float[], INTS → long[], STRINGS → List&lt;byte[]&gt;,
 * TENSORS → List&lt;Tensor&gt;. Kinds the compiler never looks into (subgraphs, sparse tensors, type
 * protos) are kept as {@link Opaque}: the serialized attribute, written back unchanged.
 */
public record Attribute(String name, Kind kind, Object value, String refAttrName, ProtoExtras extras) {

    public enum Kind { FLOAT, INT, STRING, TENSOR, FLOATS, INTS, STRINGS, TENSORS, OPAQUE }

    /** An attribute kept as its serialized protobuf bytes. */
    public record Opaque(byte[] serializedAttribute, String protoKind) {
    }

    public static Attribute ofInt(String name, long v) {
        return new Attribute(name, Kind.INT, v, "", ProtoExtras.NONE);
    }

    public static Attribute ofFloat(String name, float v) {
        return new Attribute(name, Kind.FLOAT, v, "", ProtoExtras.NONE);
    }

    public static Attribute ofInts(String name, long... v) {
        return new Attribute(name, Kind.INTS, v.clone(), "", ProtoExtras.NONE);
    }

    public static Attribute ofFloats(String name, float... v) {
        return new Attribute(name, Kind.FLOATS, v.clone(), "", ProtoExtras.NONE);
    }

    public static Attribute ofString(String name, String v) {
        return new Attribute(name, Kind.STRING, v.getBytes(StandardCharsets.UTF_8), "", ProtoExtras.NONE);
    }

    public static Attribute ofTensor(String name, Tensor t) {
        return new Attribute(name, Kind.TENSOR, t, "", ProtoExtras.NONE);
    }

    public long asInt() {
        return (Long) expect(Kind.INT);
    }

    public float asFloat() {
        return (Float) expect(Kind.FLOAT);
    }

    public long[] asInts() {
        return ((long[]) expect(Kind.INTS)).clone();
    }

    public float[] asFloats() {
        return ((float[]) expect(Kind.FLOATS)).clone();
    }

    public String asString() {
        return new String((byte[]) expect(Kind.STRING), StandardCharsets.UTF_8);
    }

    public Tensor asTensor() {
        return (Tensor) expect(Kind.TENSOR);
    }

    @SuppressWarnings("unchecked")
    public List<Tensor> asTensors() {
        return (List<Tensor>) expect(Kind.TENSORS);
    }

    private Object expect(Kind k) {
        if (kind != k) {
            throw new IllegalStateException("attribute '" + name + "' is " + kind + ", not " + k);
        }
        return value;
    }

    @Override
    public String toString() {
        String v = switch (kind) {
            case INTS -> Arrays.toString((long[]) value);
            case FLOATS -> Arrays.toString((float[]) value);
            case STRING -> '"' + asString() + '"';
            case OPAQUE -> "<" + ((Opaque) value).protoKind() + ">";
            default -> String.valueOf(value);
        };
        return name + "=" + v;
    }
}
