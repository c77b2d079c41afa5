package dev.l2c.ir;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A computation graph: named {@link Value}s, the {@link Node}s that compute them, the graph's inputs,
 * outputs and initializers. Structure only: initializer bytes stay where the reader found them.
 *
 * <p>Mutation goes through this class and {@link Node#setInput}; both keep producers and use-lists
 * correct. {@link #nodes()} and {@link Value#uses()} return snapshots, so a pass may change the graph
 * while it walks one; a removed node reports {@link Node#isRemoved()}.
 */
public final class Graph {
    private String name;
    private final Map<String, Value> values = new LinkedHashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<Value> initializers = new ArrayList<>();
    private ProtoExtras extras = ProtoExtras.NONE;
    /** Graph-level fields the compiler does not model (sparse initializers, quantization annotations), serialized. */
    private final List<byte[]> opaqueFields = new ArrayList<>();
    private int freshCounter;

    public Graph(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
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

    /** Nodes in insertion order, as a snapshot. Not necessarily topological: see {@link #topologicalOrder()}. */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public int nodeCount() {
        return nodes.size();
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public List<Value> initializers() {
        return Collections.unmodifiableList(initializers);
    }

    /** The value with this name, or null. */
    public Value value(String valueName) {
        return values.get(valueName);
    }

    public Collection<Value> values() {
        return Collections.unmodifiableCollection(values.values());
    }

    /** The value with this name; IllegalArgumentException naming the graph when there is none. */
    public Value requireValue(String valueName) {
        Value v = values.get(valueName);
        if (v == null) {
            throw new IllegalArgumentException("graph '" + name + "' has no value named '" + valueName + "'");
        }
        return v;
    }

    /** A name not used by any value, derived from {@code base}. */
    public String freshName(String base) {
        if (!values.containsKey(base)) {
            return base;
        }
        String candidate;
        do {
            candidate = base + "_" + (++freshCounter);
        } while (values.containsKey(candidate));
        return candidate;
    }

    private Value newValue(String valueName, TensorType type) {
        if (valueName == null || valueName.isEmpty()) {
            throw new IllegalArgumentException("a value needs a non-empty name");
        }
        if (values.containsKey(valueName)) {
            throw new IllegalArgumentException("graph '" + name + "' already has a value named '" + valueName + "'");
        }
        Value v = new Value(this, valueName, type);
        values.put(valueName, v);
        return v;
    }

    /** Appends a graph input. */
    public Value addInput(String valueName, TensorType type) {
        Value v = newValue(valueName, type);
        inputs.add(v);
        return v;
    }

    /** Adds a constant value holding {@code tensor} (renamed to {@code valueName} if needed). */
    public Value addInitializer(String valueName, Tensor tensor) {
        Value v = newValue(valueName, TensorType.of(tensor.type(), tensor.shape()));
        v.initializer = tensor.name().equals(valueName) ? tensor : tensor.withName(valueName);
        initializers.add(v);
        return v;
    }

    /** Removes an initializer nothing reads. */
    public void removeInitializer(Value value) {
        if (value.hasUses() || outputs.contains(value)) {
            throw new IllegalStateException("initializer " + value.name() + " is still read by " + describeUses(value));
        }
        if (!initializers.remove(value)) {
            throw new IllegalArgumentException(value.name() + " is not an initializer of graph '" + name + "'");
        }
        forget(value);
    }

    /** Appends {@code value} to the graph outputs (a value may be listed once). */
    public void addOutput(Value value) {
        if (value.graph() != this) {
            throw new IllegalArgumentException("value " + value.name() + " belongs to another graph");
        }
        if (outputs.contains(value)) {
            throw new IllegalArgumentException(value.name() + " is already an output of graph '" + name + "'");
        }
        outputs.add(value);
    }

    void replaceOutput(Value old, Value replacement) {
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i) == old) {
                outputs.set(i, replacement);
            }
        }
    }

    /**
     * Appends a node computing new values named {@code outputNames} ("" for an omitted optional
     * output) from {@code inputs} (null for an omitted optional input).
     */
    public Node addNode(String opType, String domain, List<Value> nodeInputs, List<String> outputNames,
                        Map<String, Attribute> attributes, String nodeName) {
        return addNode(opType, domain, nodeInputs, outputNames, attributes, nodeName, "", ProtoExtras.NONE);
    }

    public Node addNode(String opType, String domain, List<Value> nodeInputs, List<String> outputNames,
                        Map<String, Attribute> attributes, String nodeName, String overload, ProtoExtras nodeExtras) {
        Node n = new Node(this, opType, domain, nodeName, attributes, overload, nodeExtras);
        for (Value in : nodeInputs) {
            n.appendInput(in);
        }
        for (String out : outputNames) {
            n.appendOutput(out == null || out.isEmpty() ? null : newValue(out, null));
        }
        nodes.add(n);
        return n;
    }

    /** Convenience: a default-domain node with named attributes. */
    public Node addNode(String opType, List<Value> nodeInputs, List<String> outputNames, Attribute... attributes) {
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            attrs.put(a.name(), a);
        }
        return addNode(opType, "", nodeInputs, outputNames, attrs, "");
    }

    /**
     * Removes a node whose outputs nobody reads. Fails, naming the readers, when an output is still
     * used or is a graph output: removal never leaves a dangling reference.
     */
    public void removeNode(Node node) {
        if (node.graph() != this || node.isRemoved()) {
            throw new IllegalArgumentException("node " + node + " is not in graph '" + name + "'");
        }
        for (Value out : node.outputs()) {
            if (out != null && (out.hasUses() || outputs.contains(out))) {
                throw new IllegalStateException("cannot remove " + node + ": its output " + out.name()
                        + " is still read by " + describeUses(out));
            }
        }
        node.detach();
        nodes.remove(node);
        for (Value out : node.outputs()) {
            if (out != null) {
                forget(out);
            }
        }
    }

    private void forget(Value v) {
        values.remove(v.name());
    }

    /**
     * Renames a value (and its initializer). Names are how graphs, sessions and the manifest refer
     * to tensors, so the compiler gives cache tensors stable names this way.
     */
    public void renameValue(Value value, String newName) {
        if (value.graph() != this || values.get(value.name()) != value) {
            throw new IllegalArgumentException(value.name() + " is not a value of graph '" + name + "'");
        }
        if (value.name().equals(newName)) {
            return;
        }
        if (values.containsKey(newName)) {
            throw new IllegalArgumentException("graph '" + name + "' already has a value named '" + newName + "'");
        }
        values.remove(value.name());
        value.rename(newName);
        values.put(newName, value);
    }

    static String describeUses(Value v) {
        List<String> users = v.uses().stream().map(u -> u.node().toString()).collect(Collectors.toList());
        if (v.graph().outputs.contains(v)) {
            users.add("the graph outputs");
        }
        return users.isEmpty() ? "nothing" : String.join(", ", users);
    }

    /**
     * Nodes in a topological order (each after the producers of its inputs), stable with respect to
     * insertion order. Throws IllegalStateException naming a node on a cycle.
     */
    public List<Node> topologicalOrder() {
        Map<Node, Integer> position = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            position.put(nodes.get(i), i);
        }
        TopologicalOrder sorted = TopologicalOrder.of(nodes.size(), i -> {
            // each producer once, however many of its outputs the node reads
            Set<Node> producers = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Value in : nodes.get(i).inputs()) {
                if (in != null && in.producer() != null) {
                    producers.add(in.producer());
                }
            }
            return producers.stream().mapToInt(position::get).toArray();
        });
        if (!sorted.complete()) {
            throw new IllegalStateException("graph '" + name + "' has a cycle through node " + nodes.get(sorted.blocked()));
        }
        List<Node> order = new ArrayList<>(nodes.size());
        for (int i : sorted.order()) {
            order.add(nodes.get(i));
        }
        return order;
    }

    /** Reorders the node list topologically (writers emit nodes in this order, as ONNX requires). */
    public void sortTopologically() {
        List<Node> order = topologicalOrder();
        nodes.clear();
        nodes.addAll(order);
    }

    /**
     * A deep copy of the structure. Tensors (and so weight bytes) are shared: they are immutable.
     * Values keep their names, so names are the bridge between a graph and its copies.
     */
    public Graph copy() {
        Graph g = new Graph(name);
        g.extras = extras;
        g.opaqueFields.addAll(opaqueFields);
        Map<String, Value> map = new HashMap<>();
        for (Value in : inputs) {
            Value c = g.addInput(in.name(), in.type());
            c.setInfoExtras(in.infoExtras());
            map.put(in.name(), c);
        }
        for (Value init : initializers) {
            Value c = g.addInitializer(init.name(), init.initializer());
            c.setType(init.type());
            c.setInfoExtras(init.infoExtras());
            map.put(init.name(), c);
        }
        for (Node n : nodes) {
            List<Value> ins = new ArrayList<>();
            for (Value in : n.inputs()) {
                ins.add(in == null ? null : map.get(in.name()));
            }
            List<String> outs = new ArrayList<>();
            for (Value out : n.outputs()) {
                outs.add(out == null ? "" : out.name());
            }
            // Inputs may come from nodes later in the list (ONNX files are sorted, but graphs being
            // rewritten need not be): create placeholders and patch below.
            Node c = g.addNodeDeferred(n, ins, outs);
            for (Value out : c.outputs()) {
                if (out != null) {
                    Value orig = values.get(out.name());
                    out.setType(orig.type());
                    out.setInfoExtras(orig.infoExtras());
                    map.put(out.name(), out);
                }
            }
        }
        g.patchDeferredInputs(map);
        for (Value out : outputs) {
            g.outputs.add(map.get(out.name()));
        }
        return g;
    }

    private final Map<Node, List<String>> deferredInputs = new IdentityHashMap<>();

    private Node addNodeDeferred(Node original, List<Value> ins, List<String> outs) {
        List<Value> known = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        boolean anyMissing = false;
        for (int i = 0; i < ins.size(); i++) {
            Value orig = original.input(i);
            if (orig != null && ins.get(i) == null) {
                anyMissing = true;
                missing.add(orig.name());
            } else {
                missing.add(null);
            }
            known.add(ins.get(i));
        }
        Node c = addNode(original.opType(), original.domain(), known, outs, original.attributes(),
                original.name(), original.overload(), original.extras());
        if (anyMissing) {
            deferredInputs.put(c, missing);
        }
        return c;
    }

    private void patchDeferredInputs(Map<String, Value> map) {
        for (Map.Entry<Node, List<String>> e : deferredInputs.entrySet()) {
            List<String> names = e.getValue();
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i) != null) {
                    e.getKey().setInput(i, map.get(names.get(i)));
                }
            }
        }
        deferredInputs.clear();
    }
}
