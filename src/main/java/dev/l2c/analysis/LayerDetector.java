package dev.l2c.analysis;

import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Use;
import dev.l2c.ir.Value;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds the residual token stream of a diffusion transformer and its cacheable branches from the
 * graph's structure alone (never from node names: other exporters call nodes {@code node_123}).
 *
 * <p>A <em>residual Add</em> is an {@code Add(s, b)} where {@code b} is computed from {@code s}
 * through at least one matrix product (MatMul, Gemm, Conv, Einsum) and both have the same shape: the
 * stream plus a branch of it. Their topological order is the forward order of the blocks, so for DiT
 * (adaLN-Zero) and U-ViT (plain pre-norm, long skips) alike the k-th residual Add is L2C layer k.
 * The cached tensor is the branch value before a multiply by a value that does not depend on the
 * stream (DiT's adaLN-Zero gate), so a reused branch is still scaled by the current step's gate.
 * A branch is an attention branch when it contains a Softmax (or a fused attention operator, or a
 * product of two stream-dependent tensors), otherwise an MLP branch; an attention branch is a
 * <em>cross</em>-attention branch when its products pair the stream with another graph input (text
 * tokens) and never the stream with itself. Layers must come in one of two block layouts: attention/MLP
 * pairs (DiT, U-ViT: L2C's numbering, attention 2i, MLP 2i+1) or self-attention/cross-attention/MLP
 * triples (PixArt-α's block: 3i, 3i+1, 3i+2).
 */
public final class LayerDetector {
    private static final Set<String> MATRIX_PRODUCTS = Set.of("MatMul", "Gemm", "Conv", "Einsum", "FusedMatMul",
            "Attention", "MultiHeadAttention", "GroupQueryAttention");
    private static final Set<String> ATTENTION_OPS = Set.of("Softmax", "Attention", "MultiHeadAttention",
            "GroupQueryAttention", "PackedAttention", "ScaledDotProductAttention");

    /** Why detection failed: what was found, and what to do instead. */
    public static final class NotRecognizedException extends Exception {
        public NotRecognizedException(String message) {
            super(message);
        }
    }

    private final Graph graph;
    private final ValueShapes shapes;
    private final Map<Node, Integer> position = new IdentityHashMap<>();

    private LayerDetector(Graph graph, ValueShapes shapes) {
        this.graph = graph;
        this.shapes = shapes;
        List<Node> order = graph.topologicalOrder();
        for (int i = 0; i < order.size(); i++) {
            position.put(order.get(i), i);
        }
    }

    /** The layer map of {@code graph}, or NotRecognizedException saying what was found. */
    public static LayerMap detect(Graph graph, ValueShapes shapes) throws NotRecognizedException {
        return new LayerDetector(graph, shapes).detect();
    }

    /** A layer named by a user's layer map: which block, which kind, which tensor to cache. */
    public record NamedLayer(int block, BranchKind kind, String tensor) {
    }

    /**
     * The layer map for layers a user named (the {@code --layer-map} override): checks each tensor
     * exists and is computed by a node, and fills in shapes and costs.
     *
     * @throws NotRecognizedException naming the first tensor that does not fit
     */
    public static LayerMap fromNamedLayers(Graph graph, ValueShapes shapes, List<NamedLayer> named, String source)
            throws NotRecognizedException {
        LayerDetector d = new LayerDetector(graph, shapes);
        List<CacheableLayer> layers = new ArrayList<>();
        for (int i = 0; i < named.size(); i++) {
            NamedLayer nl = named.get(i);
            Value v = graph.value(nl.tensor());
            if (v == null) {
                throw new NotRecognizedException("layer " + i + ": the graph has no value named '" + nl.tensor() + "'");
            }
            if (v.producer() == null) {
                throw new NotRecognizedException("layer " + i + ": '" + nl.tensor()
                        + "' is a graph input or initializer, not a computed branch value");
            }
            TensorType type = shapes.typeOf(v);
            if (type == null || type.shape() == null || type.shape().hasUnknown()) {
                throw new NotRecognizedException("layer " + i + ": the shape of '" + nl.tensor() + "' could not be inferred");
            }
            long macs = 0;
            for (Node n : d.exclusiveCone(v)) {
                macs += MacCounter.macs(n, shapes, 1);
            }
            layers.add(new CacheableLayer(i, nl.block(), nl.kind(), nl.tensor(), type, null, null, macs));
        }
        return new LayerMap(layers, source, null, MacCounter.total(graph, shapes, 1));
    }

    /** A residual Add found in the graph, before numbering. */
    private record Residual(Node add, Value stream, Value branch) {
    }

    private LayerMap detect() throws NotRecognizedException {
        List<Residual> residuals = new ArrayList<>();
        for (Node n : graph.topologicalOrder()) {
            if (n.isStandardOp("Add") && n.inputCount() == 2 && n.input(0) != null && n.input(1) != null) {
                Residual r = asResidual(n);
                if (r != null) {
                    residuals.add(r);
                }
            }
        }
        if (residuals.isEmpty()) {
            throw new NotRecognizedException("no residual token stream found: no Add adds a value to a branch computed "
                    + "from it through a matrix product (is this a transformer?)");
        }
        // The stream must be one chain: each residual's stream input comes from the previous one's output.
        for (int i = 1; i < residuals.size(); i++) {
            Value previous = residuals.get(i - 1).add().output(0);
            if (!dependsOn(residuals.get(i).stream(), previous)) {
                throw new NotRecognizedException("found " + residuals.size() + " residual Adds, but they do not form one "
                        + "token stream: the one producing '" + residuals.get(i).add().output(0).name()
                        + "' does not read the stream of the one producing '" + previous.name() + "'");
            }
        }
        List<BranchKind> kinds = new ArrayList<>();
        for (Residual r : residuals) {
            kinds.add(kindOf(r));
        }
        List<BranchKind> block = BLOCK_LAYOUTS.stream().filter(layout -> repeats(layout, kinds)).findFirst()
                .orElseThrow(() -> new NotRecognizedException("found " + kinds.size() + " residual branches of kinds "
                        + summarize(kinds) + "; expected attention/MLP pairs (DiT, U-ViT) or attention/cross-attention/MLP"
                        + " triples (PixArt), one per block"));
        List<CacheableLayer> layers = new ArrayList<>();
        long fullMacs = MacCounter.total(graph, shapes, 1);
        for (int i = 0; i < residuals.size(); i++) {
            Residual r = residuals.get(i);
            Value cached = r.branch();
            Value gate = null;
            Node p = cached.producer();
            if (p != null && p.isStandardOp("Mul") && p.inputCount() == 2) {
                boolean first = dependsOn(p.input(0), r.stream());
                boolean second = dependsOn(p.input(1), r.stream());
                if (first != second) {
                    cached = first ? p.input(0) : p.input(1);
                    gate = first ? p.input(1) : p.input(0);
                }
            }
            TensorType type = shapes.typeOf(cached);
            if (type == null || type.shape() == null || type.shape().hasUnknown()) {
                throw new NotRecognizedException("layer " + i + ": the shape of '" + cached.name()
                        + "' could not be inferred");
            }
            long macs = 0;
            for (Node n : exclusiveCone(cached)) {
                macs += MacCounter.macs(n, shapes, 1);
            }
            layers.add(new CacheableLayer(i, i / block.size(), kinds.get(i), cached.name(), type, r.add().output(0).name(),
                    gate == null ? null : gate.name(), macs));
        }
        return new LayerMap(layers, "structure", residuals.get(0).stream().name(), fullMacs);
    }

    /** The block layouts a model may repeat, tried in order. */
    private static final List<List<BranchKind>> BLOCK_LAYOUTS = List.of(
            List.of(BranchKind.ATTENTION, BranchKind.MLP),
            List.of(BranchKind.ATTENTION, BranchKind.CROSS_ATTENTION, BranchKind.MLP));

    /** Whether {@code kinds} is {@code layout} repeated a whole number of times. */
    private static boolean repeats(List<BranchKind> layout, List<BranchKind> kinds) {
        if (kinds.size() % layout.size() != 0) {
            return false;
        }
        for (int i = 0; i < kinds.size(); i++) {
            if (kinds.get(i) != layout.get(i % layout.size())) {
                return false;
            }
        }
        return true;
    }

    private static String summarize(List<BranchKind> kinds) {
        return kinds.stream().map(k -> k.jsonName).collect(Collectors.joining(", ", "[", "]"));
    }

    /** The Add as stream + branch, or null when neither input is computed from the other through a matrix product. */
    private Residual asResidual(Node add) {
        Value a = add.input(0);
        Value b = add.input(1);
        TensorType ta = shapes.typeOf(a);
        TensorType tb = shapes.typeOf(b);
        if (ta == null || tb == null || ta.shape() == null || !ta.shape().equals(tb.shape())
                || !ta.elementType().isFloatingPoint() || ta.shape().rank() < 2) {
            return null;
        }
        if (reachesThroughMatrixProduct(a, b, position.get(add))) {
            return new Residual(add, a, b);
        }
        if (reachesThroughMatrixProduct(b, a, position.get(add))) {
            return new Residual(add, b, a);
        }
        return null;
    }

    /**
     * Whether {@code target} is computed from {@code source} along a path through a matrix product.
     * Walks forward from {@code source} over nodes before {@code limit} in topological order, in two
     * states (before/after a matrix product).
     */
    private boolean reachesThroughMatrixProduct(Value source, Value target, int limit) {
        if (source.producer() == null && source.isInitializer()) {
            return false;
        }
        Node targetProducer = target.producer();
        if (targetProducer == null) {
            return false;
        }
        Map<Node, Integer> state = new IdentityHashMap<>(); // bit 1: reached plain, bit 2: reached after product
        Deque<Node> work = new ArrayDeque<>();
        Deque<Boolean> passed = new ArrayDeque<>();
        for (Use u : source.uses()) {
            work.add(u.node());
            passed.add(false);
        }
        while (!work.isEmpty()) {
            Node n = work.poll();
            boolean before = passed.poll();
            Integer pos = position.get(n);
            if (pos == null || pos >= limit) {
                continue;
            }
            boolean after = before || MATRIX_PRODUCTS.contains(n.opType());
            int bit = after ? 2 : 1;
            int seen = state.getOrDefault(n, 0);
            if ((seen & bit) != 0) {
                continue;
            }
            state.put(n, seen | bit);
            if (n == targetProducer && after) {
                return true;
            }
            for (Value out : n.outputs()) {
                if (out != null) {
                    for (Use u : out.uses()) {
                        work.add(u.node());
                        passed.add(after);
                    }
                }
            }
        }
        return false;
    }

    /** Whether {@code v} is {@code ancestor} or computed from it. */
    /** Operators whose output depends on their input's dimensions only. */
    private static final Set<String> SHAPE_ONLY_OPS = Set.of("Shape", "Size");

    private boolean dependsOn(Value v, Value ancestor) {
        if (v == ancestor) {
            return true;
        }
        Node start = v.producer();
        if (start == null) {
            return false;
        }
        int floor = ancestor.producer() == null ? -1 : position.get(ancestor.producer());
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> work = new ArrayDeque<>(List.of(start));
        while (!work.isEmpty()) {
            Node n = work.poll();
            if (!seen.add(n) || position.get(n) < floor || SHAPE_ONLY_OPS.contains(n.opType())) {
                // a Shape reads only the dimensions, not the values: exporters that reshape K by the batch
                // size of the query (torch's `k.reshape(B, M, h, d)`) do not make K a function of the stream
                continue;
            }
            for (Value in : n.inputs()) {
                if (in == ancestor) {
                    return true;
                }
                if (in != null && in.producer() != null) {
                    work.add(in.producer());
                }
            }
        }
        return false;
    }

    /**
     * Self-attention, cross-attention or MLP. Attention: a Softmax or fused attention operator, or a
     * product of two computed tensors. It is cross-attention when every such product pairs the
     * stream with a tensor computed from another graph input (the text tokens) and none pairs the
     * stream with itself; a fused operator is cross-attention when its keys (input 1) do not come
     * from the stream.
     */
    private BranchKind kindOf(Residual r) {
        boolean attention = false;
        boolean streamWithItself = false;
        boolean streamWithOther = false;
        for (Node n : exclusiveCone(r.branch())) {
            if (ATTENTION_OPS.contains(n.opType())) {
                attention = true;
                if (!n.opType().equals("Softmax") && n.inputCount() > 1 && n.input(1) != null) {
                    if (dependsOn(n.input(1), r.stream())) {
                        streamWithItself = true;
                    } else {
                        streamWithOther = true;
                    }
                }
            }
            if (n.opType().equals("MatMul") && n.inputCount() == 2 && !n.input(0).isInitializer()
                    && !n.input(1).isInitializer()) {
                boolean first = dependsOn(n.input(0), r.stream());
                boolean second = dependsOn(n.input(1), r.stream());
                if (first && second) {
                    streamWithItself = true;
                    attention = true;
                } else if (first != second && readsGraphInput(first ? n.input(1) : n.input(0))) {
                    streamWithOther = true;
                }
            }
        }
        if (!attention) {
            return BranchKind.MLP;
        }
        return streamWithOther && !streamWithItself ? BranchKind.CROSS_ATTENTION : BranchKind.ATTENTION;
    }

    /** Whether {@code v} is computed from a graph input that is not an initializer (weights do not count). */
    private static boolean readsGraphInput(Value v) {
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>(List.of(v));
        while (!work.isEmpty()) {
            Value x = work.poll();
            if (!seen.add(x)) {
                continue;
            }
            if (x.isGraphInput() && !x.isInitializer()) {
                return true;
            }
            Node p = x.producer();
            if (p != null) {
                for (Value in : p.inputs()) {
                    if (in != null) {
                        work.add(in);
                    }
                }
            }
        }
        return false;
    }

    /**
     * The nodes that compute only {@code root}: those that would become dead if {@code root} were
     * supplied from outside. Their cost is what reusing the value saves.
     */
    List<Node> exclusiveCone(Value root) {
        return exclusiveCone(graph, root, position);
    }

    static List<Node> exclusiveCone(Graph graph, Value root, Map<Node, Integer> position) {
        Node p = root.producer();
        if (p == null) {
            return List.of();
        }
        for (Value out : p.outputs()) {
            if (out != null && out != root && (out.hasUses() || out.isGraphOutput())) {
                return List.of();
            }
        }
        // candidates: ancestors of root, visited from the latest to the earliest
        Set<Node> ancestors = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> work = new ArrayDeque<>(List.of(p));
        while (!work.isEmpty()) {
            Node n = work.poll();
            if (ancestors.add(n)) {
                for (Value in : n.inputs()) {
                    if (in != null && in.producer() != null) {
                        work.add(in.producer());
                    }
                }
            }
        }
        List<Node> sorted = new ArrayList<>(ancestors);
        sorted.sort((x, y) -> Integer.compare(position.get(y), position.get(x)));
        Set<Node> cone = Collections.newSetFromMap(new IdentityHashMap<>());
        cone.add(p);
        for (Node n : sorted) {
            if (n == p) {
                continue;
            }
            boolean onlyFeedsCone = true;
            for (Value out : n.outputs()) {
                if (out == null) {
                    continue;
                }
                if (out.isGraphOutput()) {
                    onlyFeedsCone = false;
                    break;
                }
                for (Use u : out.uses()) {
                    if (!cone.contains(u.node())) {
                        onlyFeedsCone = false;
                        break;
                    }
                }
            }
            if (onlyFeedsCone) {
                cone.add(n);
            }
        }
        List<Node> result = new ArrayList<>(cone);
        result.sort((x, y) -> Integer.compare(position.get(x), position.get(y)));
        return result;
    }

    /** Shape helper for messages. */
    static String describe(Shape s) {
        return s == null ? "?" : s.toString();
    }
}
