package dev.l2c.ir;

/**
 * ONNX tensor element types, numbered as in the ONNX specification ({@code TensorProto.DataType}).
 * {@link #bitWidth} is the storage width of one element; 0 where a type has no fixed width (strings).
 */
public enum DataType {
    UNDEFINED(0, 0, "undefined"),
    FLOAT(1, 32, "float32"),
    UINT8(2, 8, "uint8"),
    INT8(3, 8, "int8"),
    UINT16(4, 16, "uint16"),
    INT16(5, 16, "int16"),
    INT32(6, 32, "int32"),
    INT64(7, 64, "int64"),
    STRING(8, 0, "string"),
    BOOL(9, 8, "bool"),
    FLOAT16(10, 16, "float16"),
    DOUBLE(11, 64, "float64"),
    UINT32(12, 32, "uint32"),
    UINT64(13, 64, "uint64"),
    COMPLEX64(14, 64, "complex64"),
    COMPLEX128(15, 128, "complex128"),
    BFLOAT16(16, 16, "bfloat16"),
    FLOAT8E4M3FN(17, 8, "float8e4m3fn"),
    FLOAT8E4M3FNUZ(18, 8, "float8e4m3fnuz"),
    FLOAT8E5M2(19, 8, "float8e5m2"),
    FLOAT8E5M2FNUZ(20, 8, "float8e5m2fnuz"),
    UINT4(21, 4, "uint4"),
    INT4(22, 4, "int4"),
    FLOAT4E2M1(23, 4, "float4e2m1"),
    FLOAT8E8M0(24, 8, "float8e8m0"),
    UINT2(25, 2, "uint2"),
    INT2(26, 2, "int2");

    private static final DataType[] BY_CODE = new DataType[27];

    static {
        for (DataType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    public final int code;
    public final int bitWidth;
    /** The short name used in our JSON files and messages, numpy-style. */
    public final String shortName;

    DataType(int code, int bitWidth, String shortName) {
        this.code = code;
        this.bitWidth = bitWidth;
        this.shortName = shortName;
    }

    /** The type with this ONNX code; throws IllegalArgumentException for a code the spec does not define. */
    public static DataType fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new IllegalArgumentException("unknown ONNX element type code " + code);
        }
        return BY_CODE[code];
    }

    /** The type with this {@link #shortName}; throws IllegalArgumentException naming the valid choices. */
    public static DataType fromShortName(String name) {
        for (DataType t : values()) {
            if (t.shortName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown element type '" + name + "' (expected e.g. float32, int64, float16)");
    }

    /** Bytes needed for {@code elements} elements; sub-byte types are packed and rounded up. */
    public long byteSize(long elements) {
        if (bitWidth == 0) {
            throw new IllegalStateException(this + " has no fixed element size");
        }
        return (elements * bitWidth + 7) / 8;
    }

    public boolean isFloatingPoint() {
        return this == FLOAT || this == FLOAT16 || this == DOUBLE || this == BFLOAT16;
    }
}
