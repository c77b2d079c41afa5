package dev.l2c.ir;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an ONNX element carries besides its meaning: its doc string, its metadata properties, and the
 * serialized fields our schema does not know (from a newer ONNX), kept so that a read/write round
 * trip loses nothing. Immutable.
 */
public record ProtoExtras(String docString, Map<String, String> metadata, byte[] unknownFields) {

    public static final ProtoExtras NONE = new ProtoExtras("", Map.of(), new byte[0]);

    public ProtoExtras {
        docString = docString == null ? "" : docString;
        metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        unknownFields = unknownFields.clone();
    }

    @Override
    public byte[] unknownFields() {
        return unknownFields.clone();
    }

    public boolean isEmpty() {
        return docString.isEmpty() && metadata.isEmpty() && unknownFields.length == 0;
    }
}
