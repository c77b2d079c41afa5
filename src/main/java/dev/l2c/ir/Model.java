package dev.l2c.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model: its main {@link Graph} plus the model-level header (IR version, operator sets,
 * producer). Local functions and training info are kept serialized ({@link #opaqueFields()}): the
 * compiler does not rewrite them, and writes them back unchanged.
 */
public final class Model {
    private long irVersion;
    private final Map<String, Long> opsetImports = new LinkedHashMap<>();
    private String producerName = "";
    private String producerVersion = "";
    private String domain = "";
    private long modelVersion;
    private ProtoExtras extras = ProtoExtras.NONE;
    private final List<byte[]> opaqueFields = new ArrayList<>();
    private Graph graph;

    public Model(Graph graph, long irVersion, Map<String, Long> opsetImports) {
        this.graph = graph;
        this.irVersion = irVersion;
        this.opsetImports.putAll(opsetImports);
    }

    public Graph graph() {
        return graph;
    }

    public void setGraph(Graph graph) {
        this.graph = graph;
    }

    public long irVersion() {
        return irVersion;
    }

    public void setIrVersion(long irVersion) {
        this.irVersion = irVersion;
    }

    /** Operator set versions by domain ("" is the default ONNX domain). */
    public Map<String, Long> opsetImports() {
        return opsetImports;
    }

    /** The default-domain opset version, or 0 if the model imports none. */
    public long defaultOpset() {
        Long v = opsetImports.get("");
        if (v == null) {
            v = opsetImports.get("ai.onnx");
        }
        return v == null ? 0 : v;
    }

    public String producerName() {
        return producerName;
    }

    public String producerVersion() {
        return producerVersion;
    }

    public void setProducer(String name, String version) {
        this.producerName = name == null ? "" : name;
        this.producerVersion = version == null ? "" : version;
    }

    public String domain() {
        return domain;
    }

    public void setDomain(String domain) {
        this.domain = domain == null ? "" : domain;
    }

    public long modelVersion() {
        return modelVersion;
    }

    public void setModelVersion(long modelVersion) {
        this.modelVersion = modelVersion;
    }

    public ProtoExtras extras() {
        return extras;
    }

    public void setExtras(ProtoExtras extras) {
        this.extras = extras;
    }

    public List<byte[]> opaqueFields() {
        return opaqueFields;
    }

    /** A copy sharing tensor bytes; see {@link Graph#copy()}. */
    public Model copy() {
        Model m = new Model(graph.copy(), irVersion, opsetImports);
        m.producerName = producerName;
        m.producerVersion = producerVersion;
        m.domain = domain;
        m.modelVersion = modelVersion;
        m.extras = extras;
        m.opaqueFields.addAll(opaqueFields);
        return m;
    }
}
