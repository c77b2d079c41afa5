package dev.l2c.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Inputs and outputs are {@link Value}s of the same graph; an omitted
 * optional input or output (ONNX's empty name) is null. Changing an input goes through
 * {@link #setInput}, which keeps the use-lists of both the old and the new value correct.
 */
public final class Node {
    private final Graph graph;
    private final String opType;
    private final String domain;
    private String name;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final Map<String, Attribute> attributes = new LinkedHashMap<>();
    private final String overload;
    private final ProtoExtras extras;
    boolean removed;

    Node(Graph graph, String opType, String domain, String name, Map<String, Attribute> attributes,
         String overload, ProtoExtras extras) {
        this.graph = graph;
        this.opType = opType;
        this.domain = domain == null ? "" : domain;
        this.name = name == null ? "" : name;
        this.attributes.putAll(attributes);
        this.overload = overload == null ? "" : overload;
        this.extras = extras == null ? ProtoExtras.NONE : extras;
    }

    public Graph graph() {
        return graph;
    }

    public String opType() {
        return opType;
    }

    /** Operator domain; "" (or "ai.onnx") is the default ONNX domain. */
    public String domain() {
        return domain;
    }

    public boolean isStandardOp(String op) {
        return opType.equals(op) && (domain.isEmpty() || domain.equals("ai.onnx"));
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String overload() {
        return overload;
    }

    public ProtoExtras extras() {
        return extras;
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public Value input(int i) {
        return i < inputs.size() ? inputs.get(i) : null;
    }

    public int inputCount() {
        return inputs.size();
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public Value output(int i) {
        return outputs.get(i);
    }

    public Map<String, Attribute> attributes() {
        return Collections.unmodifiableMap(attributes);
    }

    public Attribute attribute(String attrName) {
        return attributes.get(attrName);
    }

    public long intAttribute(String attrName, long defaultValue) {
        Attribute a = attributes.get(attrName);
        return a == null ? defaultValue : a.asInt();
    }

    public long[] intsAttribute(String attrName) {
        Attribute a = attributes.get(attrName);
        return a == null ? null : a.asInts();
    }

    /** Rewires input {@code index} to read {@code value} (null: omitted), fixing both use-lists. */
    public void setInput(int index, Value value) {
        checkLive();
        Value old = inputs.get(index);
        if (old == value) {
            return;
        }
        if (old != null) {
            old.uses.remove(new Use(this, index));
        }
        inputs.set(index, value);
        if (value != null) {
            checkSameGraph(value);
            value.uses.add(new Use(this, index));
        }
    }

    void appendInput(Value value) {
        inputs.add(value);
        if (value != null) {
            checkSameGraph(value);
            value.uses.add(new Use(this, inputs.size() - 1));
        }
    }

    void appendOutput(Value value) {
        outputs.add(value);
        if (value != null) {
            if (value.producer != null || value.initializer != null || value.isGraphInput()) {
                throw new IllegalStateException("value " + value.name() + " already has a definition");
            }
            value.producer = this;
            value.producerOutputIndex = outputs.size() - 1;
        }
    }

    /** Drops every input use; called by {@link Graph#removeNode} only. */
    void detach() {
        for (int i = 0; i < inputs.size(); i++) {
            Value v = inputs.get(i);
            if (v != null) {
                v.uses.remove(new Use(this, i));
            }
        }
        for (Value out : outputs) {
            if (out != null) {
                out.producer = null;
                out.producerOutputIndex = -1;
            }
        }
        removed = true;
    }

    public boolean isRemoved() {
        return removed;
    }

    private void checkLive() {
        if (removed) {
            throw new IllegalStateException("node " + this + " was removed from its graph");
        }
    }

    private void checkSameGraph(Value v) {
        if (v.graph() != graph) {
            throw new IllegalArgumentException("value " + v.name() + " belongs to another graph than node " + this);
        }
    }

    @Override
    public String toString() {
        return (name.isEmpty() ? "<unnamed>" : name) + "(" + opType + ")";
    }
}
