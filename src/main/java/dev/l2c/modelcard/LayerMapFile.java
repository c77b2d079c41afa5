package dev.l2c.modelcard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.analysis.BranchKind;
import dev.l2c.analysis.CacheableLayer;
import dev.l2c.analysis.LayerDetector;
import dev.l2c.analysis.LayerMap;
import dev.l2c.ir.Dim;
import dev.l2c.error.InvalidInputException;
import dev.l2c.io.StrictJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer-map JSON: names, for each L2C layer, the tensor to cache. Users write one when the
 * structural detector does not recognise their export ({@code --layer-map FILE}); {@code l2c inspect
 * --json} prints one (with shapes and costs added) that can be edited and passed back.
 *
 * <pre>
 * {"format": "l2c-layer-map", "version": 1,
 *  "layers": [{"index": 0, "block": 0, "kind": "attention", "tensor": "/blocks.0/attn/proj/Add_output_0"}, ...]}
 * </pre>
 * Layers are listed in L2C order (index 2i attention of block i, 2i+1 its MLP); extra fields are ignored.
 */
public final class LayerMapFile {
    public static final String FORMAT = "l2c-layer-map";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final com.fasterxml.jackson.databind.json.JsonMapper READER = StrictJson.mapper(false);

    private LayerMapFile() {
    }

    /** Reads the named layers of a layer-map file, validating its structure (not yet against a graph). */
    public static List<LayerDetector.NamedLayer> read(Path file) throws InvalidInputException {
        return namedLayers(StrictJson.read(file, READER, "layer-map"), file);
    }

    /** {@link #read} for a layer map held in memory ({@code file} names it in messages). */
    public static List<LayerDetector.NamedLayer> parse(byte[] bytes, Path file) throws InvalidInputException {
        return namedLayers(StrictJson.parse(bytes, file, READER, "layer-map"), file);
    }

    private static List<LayerDetector.NamedLayer> namedLayers(JsonNode root, Path file) throws InvalidInputException {
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new InvalidInputException(file, "not a layer map (\"format\" must be \"" + FORMAT + "\")");
        }
        if (root.path("version").asInt(-1) != VERSION) {
            throw new InvalidInputException(file, "unsupported layer-map version " + root.path("version")
                    + " (this l2c reads version " + VERSION + ")");
        }
        JsonNode layers = root.path("layers");
        if (!layers.isArray() || layers.isEmpty()) {
            throw new InvalidInputException(file, "\"layers\" must be a non-empty array");
        }
        List<LayerDetector.NamedLayer> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            if (l.has("index") && l.get("index").asInt(-1) != i) {
                throw new InvalidInputException(file, "layer at position " + i + " says index " + l.get("index")
                        + "; list layers in L2C order 0, 1, 2, ...");
            }
            String tensor = l.path("tensor").asText("");
            if (tensor.isEmpty()) {
                throw new InvalidInputException(file, "layer " + i + " names no \"tensor\"");
            }
            BranchKind kind;
            try {
                kind = BranchKind.fromJson(l.path("kind").asText(i % 2 == 0 ? "attention" : "mlp"));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(file, "layer " + i + ": " + e.getMessage());
            }
            out.add(new LayerDetector.NamedLayer(l.path("block").asInt(i / 2), kind, tensor));
        }
        return out;
    }

    /** The layer map as JSON, with shapes and costs for readers (the reader above ignores them). */
    public static ObjectNode toJson(LayerMap map) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("source", map.source());
        root.put("blocks", map.blocks());
        root.put("macs_full_per_sample", map.macsPerSampleFull());
        ArrayNode arr = root.putArray("layers");
        for (CacheableLayer l : map.layers()) {
            ObjectNode o = arr.addObject();
            o.put("index", l.index());
            o.put("block", l.block());
            o.put("kind", l.kind().jsonName);
            o.put("tensor", l.tensor());
            o.set("shape", shapeJson(l));
            o.put("dtype", l.type().elementType().shortName);
            o.put("macs", l.macsPerSample());
            if (l.gate() != null) {
                o.put("gate", l.gate());
            }
        }
        return root;
    }

    private static ArrayNode shapeJson(CacheableLayer l) {
        ArrayNode a = JSON.createArrayNode();
        for (Dim d : l.type().shape().dims()) {
            if (d.isKnown()) {
                a.add(d.value());
            } else {
                a.add(d.toString());
            }
        }
        return a;
    }
}
