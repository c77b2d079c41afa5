package dev.l2c.compiler;

import dev.l2c.ir.Dim;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Node;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CacheNames;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Copies step graphs into a linked graph ({@link LinkedModelGraph}), one after another: each step's
 * sample, timestep and condition inputs read the values the linked graph hands in, its cache inputs read
 * what earlier steps computed, its weights are the source model's tensors added once. Nodes whose
 * inputs are all step-independent (weights, constants, the labels: the label embedding) are created
 * once and shared by every step.
 */
final class StepInliner {
    /** Operators whose outputs differ between two evaluations on the same inputs: never shared between steps. */
    private static final Set<String> NONDETERMINISTIC = Set.of("RandomNormal", "RandomUniform",
            "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout");

    private final Graph g;
    private final ModelCard card;
    /** The step graphs' batch over the linked model's: 2 with guidance (the doubled batch), else 1. */
    private final int modelBatchFactor;
    /** Source initializer name → the one linked value holding it. */
    private final Map<String, Value> weights = new HashMap<>();
    /** Step-independent nodes already created, by their first output's name in the step graphs. */
    private final Map<String, Node> shared = new HashMap<>();
    /** Names of the source model's initializers: a step graph's initializer of another name is its own constant. */
    private final Set<String> sourceInitializers = new HashSet<>();
    /** Cached branch values by (layer, producing step). */
    private final Map<Long, Value> caches = new HashMap<>();
    private final Set<Value> stepIndependent = new HashSet<>();

    /** Adds the source model's weights to {@code g}, each once. */
    StepInliner(Graph g, ModelCard card, int modelBatchFactor, Model source) {
        this.g = g;
        this.card = card;
        this.modelBatchFactor = modelBatchFactor;
        for (Value init : source.graph().initializers()) {
            Value w = g.addInitializer(g.freshName(init.name()), init.initializer());
            weights.put(init.name(), w);
            sourceInitializers.add(init.name());
            stepIndependent.add(w);
        }
    }

    /** Declares {@code v} the same at every step (nodes reading only such values are shared). */
    void markStepIndependent(Value v) {
        stepIndependent.add(v);
    }

    /**
     * Copies the nodes of a step graph into the linked graph: its sample, timestep and condition inputs
     * read the given values, its cache inputs read the values earlier steps computed, its initializers
     * are the shared weights. Returns the step's model output; records the cache values it writes.
     */
    Value inline(CacheStepGraph step, CachePlan.Step cacheStep, String prefix, Value x, Value t,
                 Map<String, Value> conditions) {
        Graph sg = step.model().graph();
        String batchSymbol = batchSymbol(sg.requireValue(card.sampleInput()));
        Map<Value, Value> map = new HashMap<>();
        map.put(sg.requireValue(card.sampleInput()), x);
        map.put(sg.requireValue(card.timestepInput()), t);
        conditions.forEach((name, value) -> map.put(sg.requireValue(name), value));
        for (CachePlan.CacheRead r : cacheStep.inputs()) {
            Value cached = caches.get(key(r.layer(), r.fromStep()));
            if (cached == null) {
                throw new IllegalStateException("step " + cacheStep.step() + " reads layer " + r.layer() + " from step "
                        + r.fromStep() + ", which did not write it");
            }
            map.put(sg.requireValue(CacheNames.of(r.layer(), r.history())), cached);
        }
        for (Value init : sg.initializers()) {
            Value w = weights.get(init.name());
            if (w == null && sourceInitializers.contains(init.name())) {
                throw new IllegalStateException("step graph initializer " + init.name() + " is not a source weight");
            }
            if (w == null) {
                // a constant the step's passes added (a forecast weight): small, this step's own
                w = g.addInitializer(g.freshName(prefix + init.name()), init.initializer());
            } else if (w.initializer().data() != init.initializer().data()) {
                throw new IllegalStateException("step graph initializer " + init.name() + " is not a source weight");
            }
            map.put(init, w);
        }
        for (Node n : sg.topologicalOrder()) {
            List<Value> ins = new ArrayList<>();
            boolean independent = true;
            for (Value in : n.inputs()) {
                Value mapped = in == null ? null : Objects.requireNonNull(map.get(in), in.name());
                ins.add(mapped);
                independent &= mapped == null || stepIndependent.contains(mapped);
            }
            independent &= !NONDETERMINISTIC.contains(n.opType());
            Value first = n.outputs().stream().filter(Objects::nonNull).findFirst().orElse(null);
            String key = first == null ? null : n.opType() + "|" + n.domain() + "|" + first.name();
            Node copy = independent && key != null ? shared.get(key) : null;
            if (copy == null || !copy.inputs().equals(ins)) {
                List<String> outs = new ArrayList<>();
                for (Value o : n.outputs()) {
                    outs.add(o == null ? "" : g.freshName(independent ? "shared/" + o.name() : prefix + o.name()));
                }
                copy = g.addNode(n.opType(), n.domain(), ins, outs, n.attributes(),
                        n.name().isEmpty() ? "" : (independent ? "shared/" : prefix) + n.name(), n.overload(), n.extras());
                if (independent && key != null) {
                    shared.put(key, copy);
                    copy.outputs().stream().filter(Objects::nonNull).forEach(stepIndependent::add);
                }
            }
            for (int i = 0; i < n.outputs().size(); i++) {
                if (n.output(i) != null) {
                    map.put(n.output(i), copy.output(i));
                    if (copy.output(i).type() == null) {
                        copy.output(i).setType(linkedType(step.shapes().typeOf(n.output(i)), batchSymbol));
                    }
                }
            }
        }
        for (int layer : cacheStep.writes()) {
            caches.put(key(layer, cacheStep.step()), map.get(sg.requireValue(CacheNames.of(layer))));
        }
        return map.get(sg.requireValue(card.output()));
    }

    /** The symbol of the step graph's batch dimension (the source model's sample input, dimension 0), or null. */
    private static String batchSymbol(Value sample) {
        TensorType t = sample.type();
        if (t == null || t.shape() == null || t.shape().rank() == 0 || t.shape().dim(0).isKnown()
                || t.shape().dim(0).isUnknown()) {
            return null;
        }
        return t.shape().dim(0).symbol();
    }

    /**
     * A step graph value's type in the linked graph, declared so that ONNX Runtime knows the shapes
     * where its own inference cannot follow (the doubled batch): the step graph's batch is the model
     * batch, {@code modelBatchFactor} times the linked model's {@value LinkedModelGraph#BATCH}. Other symbols, and what
     * our inference could not tell, are left unknown.
     */
    private TensorType linkedType(TensorType stepType, String stepBatch) {
        if (stepType == null || stepType.shape() == null) {
            return null;
        }
        List<Dim> dims = new ArrayList<>();
        for (Dim d : stepType.shape().dims()) {
            if (d.isKnown()) {
                dims.add(d);
            } else if (!d.isUnknown() && d.symbol().equals(stepBatch)) {
                dims.add(new Dim(d.factor() * modelBatchFactor, LinkedModelGraph.BATCH));
            } else {
                dims.add(Dim.UNKNOWN);
            }
        }
        return TensorType.of(stepType.elementType(), new Shape(dims));
    }

    private static long key(int layer, int step) {
        return ((long) layer << 32) | step;
    }
}
