package dev.l2c.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A named tensor in a {@link Graph}: a graph input, an initializer (constant), or the output of one
 * node. A value knows its producer and its uses; both are kept correct by {@link Node} and
 * {@link Graph}, which are the only places that change them.
 *
 * <p>Its {@link #type()} is what the model declared (graph inputs/outputs, value_info) or what a
 * pass set; {@link dev.l2c.analysis.ShapeInference} computes the rest without writing here.
 */
public final class Value {
    private final Graph graph;
    private String name;
    private TensorType type;
    private ProtoExtras infoExtras = ProtoExtras.NONE;
    Node producer;
    int producerOutputIndex = -1;
    Tensor initializer;
    final List<Use> uses = new ArrayList<>();

    Value(Graph graph, String name, TensorType type) {
        this.graph = graph;
        this.name = name;
        this.type = type;
    }

    public Graph graph() {
        return graph;
    }

    public String name() {
        return name;
    }

    void rename(String newName) {
        this.name = newName;
        if (initializer != null) {
            initializer = initializer.withName(newName);
        }
    }

    /** Declared type, or null where the model declares none. */
    public TensorType type() {
        return type;
    }

    public void setType(TensorType type) {
        this.type = type;
    }

    /** Doc string, metadata and unknown fields of this value's ValueInfoProto. */
    public ProtoExtras infoExtras() {
        return infoExtras;
    }

    public void setInfoExtras(ProtoExtras extras) {
        this.infoExtras = extras;
    }

    /** The node that computes this value, or null for graph inputs and initializers. */
    public Node producer() {
        return producer;
    }

    public int producerOutputIndex() {
        return producerOutputIndex;
    }

    /** The constant this value holds, or null. */
    public Tensor initializer() {
        return initializer;
    }

    public boolean isInitializer() {
        return initializer != null;
    }

    public boolean isGraphInput() {
        return graph.inputs().contains(this);
    }

    public boolean isGraphOutput() {
        return graph.outputs().contains(this);
    }

    /** The uses at this moment, as an unmodifiable snapshot: later rewiring does not change it. */
    public List<Use> uses() {
        return Collections.unmodifiableList(new ArrayList<>(uses));
    }

    public boolean hasUses() {
        return !uses.isEmpty();
    }

    /**
     * Makes every reader of this value read {@code replacement} instead: each node input and each
     * graph output that names this value. This value is left without uses.
     */
    public void replaceAllUsesWith(Value replacement) {
        if (replacement == this) {
            return;
        }
        if (replacement.graph != graph) {
            throw new IllegalArgumentException("cannot replace " + name + " with a value of another graph");
        }
        for (Use use : uses()) {
            use.node().setInput(use.inputIndex(), replacement);
        }
        graph.replaceOutput(this, replacement);
    }

    @Override
    public String toString() {
        return name;
    }
}
