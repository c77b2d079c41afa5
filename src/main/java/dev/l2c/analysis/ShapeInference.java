package dev.l2c.analysis;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Shape;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Infers the element type and shape of every value from the graph inputs' declared types, keeping
 * symbolic dimensions (the dynamic batch) symbolic. Integer tensors that compute shapes are evaluated
 * along the way (ONNX "data propagation"), because exporters build Reshape targets from Shape ops.
 *
 * <p>Covers the operators transformer exports use; any other operator leaves its outputs unknown,
 * which only matters if a cached tensor or a cost depends on them. Read-only: the graph is not
 * changed and declared value_info is only used where inference has nothing.
 */
public final class ShapeInference {
    private static final long INT_MAX_LIKE = Long.MAX_VALUE / 4;
    private static final int MAX_PROPAGATED_ELEMENTS = 64;
    private static final Set<String> UNARY_SAME = Set.of(
            "Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs", "Cos", "Sin", "Reciprocal",
            "Softmax", "LogSoftmax", "Identity", "Gelu", "FastGelu", "BiasGelu", "Floor", "Ceil", "Round", "Sign",
            "HardSigmoid", "LeakyRelu", "Elu", "Selu", "Softplus", "Softsign", "Mish", "HardSwish", "Clip",
            "LayerNormalization", "SimplifiedLayerNormalization", "RMSNormalization", "GroupNormalization",
            "InstanceNormalization", "BatchNormalization", "Dropout", "QuickGelu", "Celu", "ThresholdedRelu",
            "Trilu", "CumSum", "SkipLayerNormalization", "SkipSimplifiedLayerNormalization", "Erfc", "Tan",
            "Atan", "Asin", "Acos", "Sinh", "Cosh", "Swish");
    private static final Set<String> BROADCAST = Set.of(
            "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sum", "Mean", "PRelu", "BitShift",
            "BitwiseAnd", "BitwiseOr", "BitwiseXor");
    private static final Set<String> COMPARISON = Set.of(
            "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor");
    private static final Set<String> REDUCE = Set.of(
            "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2", "ReduceL1",
            "ReduceSumSquare", "ReduceLogSumExp", "ReduceLogSum");

    private final Graph graph;
    private final long opset;
    private final Map<Value, TensorType> types = new IdentityHashMap<>();
    private final Map<Value, List<Dim>> ints = new IdentityHashMap<>();

    private ShapeInference(Graph graph, long opset) {
        this.graph = graph;
        this.opset = opset;
    }

    /** Infers shapes for {@code graph} under default-domain operator set {@code opset}. */
    public static ValueShapes infer(Graph graph, long opset) {
        ShapeInference s = new ShapeInference(graph, opset);
        s.run();
        return new ValueShapes(s.types);
    }

    private void run() {
        for (Value in : graph.inputs()) {
            if (in.type() != null) {
                types.put(in, in.type());
            }
        }
        for (Value init : graph.initializers()) {
            Tensor t = init.initializer();
            types.put(init, TensorType.of(t.type(), t.shape()));
            recordConstant(init, t);
        }
        for (Node n : graph.topologicalOrder()) {
            try {
                inferNode(n);
            } catch (IllegalArgumentException | IndexOutOfBoundsException | ArithmeticException e) {
                // the model's own attributes or constants do not fit the rule (an axis or a permutation out
                // of range, a reshape that does not divide): the outputs stay unknown and callers report
                // what they needed. Anything else is a bug in a rule and propagates.
            }
            for (Value out : n.outputs()) {
                if (out != null && !types.containsKey(out) && out.type() != null) {
                    types.put(out, out.type());
                }
            }
        }
    }

    private void recordConstant(Value v, Tensor t) {
        if ((t.type() == DataType.INT64 || t.type() == DataType.INT32) && t.elementCount() <= MAX_PROPAGATED_ELEMENTS) {
            List<Dim> vals = new ArrayList<>();
            for (long x : t.toLongs()) {
                vals.add(x >= 0 ? Dim.of(x) : new Dim(x, null));
            }
            ints.put(v, vals);
        }
    }

    private TensorType type(Value v) {
        return v == null ? null : types.get(v);
    }

    private Shape shape(Value v) {
        TensorType t = type(v);
        return t == null ? null : t.shape();
    }

    private void set(Node n, int output, DataType dt, Shape shape) {
        if (output < n.outputs().size() && n.output(output) != null && dt != null) {
            types.put(n.output(output), new TensorType(dt, shape));
        }
    }

    private void setInts(Node n, List<Dim> values) {
        if (values != null && values.size() <= MAX_PROPAGATED_ELEMENTS) {
            ints.put(n.output(0), List.copyOf(values));
        }
    }

    private List<Dim> intsOf(Value v) {
        return v == null ? null : ints.get(v);
    }

    /** The known integer values of an input, as plain longs, or null. */
    private long[] constLongs(Value v) {
        List<Dim> d = intsOf(v);
        if (d == null) {
            return null;
        }
        long[] out = new long[d.size()];
        for (int i = 0; i < out.length; i++) {
            if (d.get(i).symbol() != null) {
                return null;
            }
            out[i] = d.get(i).factor();
        }
        return out;
    }

    private static int normAxis(long axis, int rank) {
        int a = (int) (axis < 0 ? axis + rank : axis);
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    private void inferNode(Node n) {
        String op = n.opType();
        Value x = n.input(0);
        TensorType tx = type(x);
        if (UNARY_SAME.contains(op)) {
            if (tx != null) {
                set(n, 0, tx.elementType(), tx.shape());
            }
            return;
        }
        if (!op.equals("Constant") && (tx == null || tx.shape() == null)) {
            // every other rule starts from the first input's type: unknown in, unknown out
            return;
        }
        switch (op) {
            case "Constant" -> constant(n);
            case "Cast", "CastLike" -> {
                DataType to = op.equals("Cast") ? DataType.fromCode((int) n.intAttribute("to", 1)) : type(n.input(1)).elementType();
                set(n, 0, to, shape(x));
                if (intsOf(x) != null && (to == DataType.INT64 || to == DataType.INT32)) {
                    setInts(n, intsOf(x));
                }
            }
            case "Shape" -> {
                Shape s = shape(x);
                if (s == null) {
                    return;
                }
                int rank = s.rank();
                long start = n.intAttribute("start", 0);
                long end = n.intAttribute("end", rank);
                int st = (int) Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
                int en = (int) Math.max(0, Math.min(rank, end < 0 ? end + rank : end));
                List<Dim> dims = s.dims().subList(st, Math.max(st, en));
                set(n, 0, DataType.INT64, Shape.of(dims.size()));
                setInts(n, dims);
            }
            case "Size" -> {
                set(n, 0, DataType.INT64, Shape.SCALAR);
                if (shape(x) != null) {
                    setInts(n, List.of(shape(x).elementCount()));
                }
            }
            case "Gather" -> gather(n);
            case "Unsqueeze" -> unsqueeze(n);
            case "Squeeze" -> squeeze(n);
            case "Concat" -> concat(n);
            case "Reshape" -> reshape(n);
            case "Transpose" -> {
                Shape s = shape(x);
                long[] perm = n.intsAttribute("perm");
                List<Dim> out = new ArrayList<>();
                for (int i = 0; i < s.rank(); i++) {
                    out.add(s.dim(perm == null ? s.rank() - 1 - i : (int) perm[i]));
                }
                set(n, 0, tx.elementType(), new Shape(out));
            }
            case "Split" -> split(n);
            case "Slice" -> slice(n);
            case "MatMul" -> matmul(n);
            case "Gemm" -> gemm(n);
            case "Conv" -> convLike(n, true);
            case "MaxPool", "AveragePool", "LpPool" -> convLike(n, false);
            case "GlobalAveragePool", "GlobalMaxPool" -> {
                List<Dim> d = new ArrayList<>(shape(x).dims());
                for (int i = 2; i < d.size(); i++) {
                    d.set(i, Dim.of(1));
                }
                set(n, 0, tx.elementType(), new Shape(d));
            }
            case "Flatten" -> {
                Shape s = shape(x);
                int axis = (int) n.intAttribute("axis", 1);
                if (axis < 0) {
                    axis += s.rank();
                }
                set(n, 0, tx.elementType(), Shape.of(new Shape(s.dims().subList(0, axis)).elementCount(),
                        new Shape(s.dims().subList(axis, s.rank())).elementCount()));
            }
            case "Einsum" -> einsum(n);
            case "Expand" -> {
                List<Dim> target = intsOf(n.input(1));
                if (target != null && tx != null) {
                    set(n, 0, tx.elementType(), broadcast(List.of(tx.shape(), new Shape(target))));
                }
            }
            case "ConstantOfShape" -> {
                List<Dim> target = intsOf(x);
                Attribute v = n.attribute("value");
                DataType dt = v == null ? DataType.FLOAT : v.asTensor().type();
                if (target != null) {
                    set(n, 0, dt, new Shape(target));
                }
            }
            case "Where" -> {
                TensorType a = type(n.input(1));
                set(n, 0, a.elementType(), broadcast(List.of(shape(n.input(0)), shape(n.input(1)), shape(n.input(2)))));
            }
            case "Not", "IsNaN", "IsInf" -> set(n, 0, DataType.BOOL, shape(x));
            case "Range" -> {
                long[] s = constLongs(n.input(0));
                long[] l = constLongs(n.input(1));
                long[] d = constLongs(n.input(2));
                Dim len = (s != null && l != null && d != null && d[0] != 0)
                        ? Dim.of(Math.max(0, (long) Math.ceil((double) (l[0] - s[0]) / d[0]))) : Dim.UNKNOWN;
                set(n, 0, tx.elementType(), Shape.of(len));
            }
            case "Tile" -> {
                long[] reps = constLongs(n.input(1));
                if (reps != null) {
                    List<Dim> d = new ArrayList<>();
                    for (int i = 0; i < reps.length; i++) {
                        d.add(shape(x).dim(i).times(Dim.of(reps[i])));
                    }
                    set(n, 0, tx.elementType(), new Shape(d));
                }
            }
            case "Pad" -> {
                long[] pads = n.inputCount() > 1 ? constLongs(n.input(1)) : n.intsAttribute("pads");
                if (pads != null) {
                    Shape s = shape(x);
                    List<Dim> d = new ArrayList<>();
                    for (int i = 0; i < s.rank(); i++) {
                        d.add(addDims(s.dim(i), Dim.of(pads[i] + pads[i + s.rank()])));
                    }
                    set(n, 0, tx.elementType(), new Shape(d));
                }
            }
            default -> {
                if (BROADCAST.contains(op)) {
                    broadcastOp(n);
                } else if (COMPARISON.contains(op)) {
                    List<Shape> shapes = new ArrayList<>();
                    for (Value in : n.inputs()) {
                        shapes.add(shape(in));
                    }
                    set(n, 0, DataType.BOOL, broadcast(shapes));
                } else if (REDUCE.contains(op) || op.equals("ArgMax") || op.equals("ArgMin")) {
                    reduce(n);
                }
            }
        }
    }

    private void constant(Node n) {
        for (Attribute a : n.attributes().values()) {
            switch (a.name()) {
                case "value" -> {
                    Tensor t = a.asTensor();
                    set(n, 0, t.type(), t.shape());
                    recordConstant(n.output(0), t);
                }
                case "value_float" -> set(n, 0, DataType.FLOAT, Shape.SCALAR);
                case "value_floats" -> set(n, 0, DataType.FLOAT, Shape.of(a.asFloats().length));
                case "value_int" -> {
                    set(n, 0, DataType.INT64, Shape.SCALAR);
                    setInts(n, List.of(Dim.of(a.asInt())));
                }
                case "value_ints" -> {
                    long[] v = a.asInts();
                    set(n, 0, DataType.INT64, Shape.of(v.length));
                    List<Dim> d = new ArrayList<>();
                    for (long x : v) {
                        d.add(new Dim(x, null));
                    }
                    setInts(n, d);
                }
                default -> { }
            }
        }
    }

    private void gather(Node n) {
        Shape data = shape(n.input(0));
        Shape idx = shape(n.input(1));
        int axis = normAxis(n.intAttribute("axis", 0), data.rank());
        List<Dim> out = new ArrayList<>(data.dims().subList(0, axis));
        out.addAll(idx.dims());
        out.addAll(data.dims().subList(axis + 1, data.rank()));
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
        List<Dim> vals = intsOf(n.input(0));
        long[] indices = constLongs(n.input(1));
        if (vals != null && indices != null && data.rank() == 1) {
            List<Dim> picked = new ArrayList<>();
            for (long i : indices) {
                picked.add(vals.get((int) (i < 0 ? i + vals.size() : i)));
            }
            setInts(n, picked);
        }
    }

    private long[] axesOf(Node n) {
        if (n.inputCount() > 1 && n.input(1) != null) {
            return constLongs(n.input(1));
        }
        return n.intsAttribute("axes");
    }

    private void unsqueeze(Node n) {
        Shape s = shape(n.input(0));
        long[] axes = axesOf(n);
        int rank = s.rank() + axes.length;
        boolean[] isNew = new boolean[rank];
        for (long a : axes) {
            isNew[normAxis(a, rank)] = true;
        }
        List<Dim> out = new ArrayList<>();
        int j = 0;
        for (int i = 0; i < rank; i++) {
            out.add(isNew[i] ? Dim.of(1) : s.dim(j++));
        }
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
        if (intsOf(n.input(0)) != null) {
            setInts(n, intsOf(n.input(0)));
        }
    }

    private void squeeze(Node n) {
        Shape s = shape(n.input(0));
        long[] axes = axesOf(n);
        boolean[] drop = new boolean[s.rank()];
        if (axes == null) {
            for (int i = 0; i < s.rank(); i++) {
                drop[i] = s.dim(i).isKnown() && s.dim(i).value() == 1;
            }
        } else {
            for (long a : axes) {
                drop[normAxis(a, s.rank())] = true;
            }
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (!drop[i]) {
                out.add(s.dim(i));
            }
        }
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
        if (intsOf(n.input(0)) != null) {
            setInts(n, intsOf(n.input(0)));
        }
    }

    private static Dim addDims(Dim a, Dim b) {
        if (a.isKnown() && b.isKnown()) {
            return Dim.of(a.value() + b.value());
        }
        // padding a symbolic dimension by nothing (Pad with zero pads on the batch axis) keeps it
        if (b.isKnown() && b.value() == 0) {
            return a;
        }
        if (a.isKnown() && a.value() == 0) {
            return b;
        }
        if (!a.isKnown() && !b.isKnown() && !a.isUnknown() && a.symbol().equals(b.symbol())) {
            return new Dim(a.factor() + b.factor(), a.symbol());
        }
        return Dim.UNKNOWN;
    }

    private void concat(Node n) {
        Shape first = shape(n.input(0));
        int axis = normAxis(n.intAttribute("axis", 0), first.rank());
        List<Dim> out = new ArrayList<>(first.dims());
        Dim total = Dim.of(0);
        boolean allInts = true;
        List<Dim> vals = new ArrayList<>();
        for (Value in : n.inputs()) {
            Shape s = shape(in);
            total = addDims(total, s.dim(axis));
            for (int i = 0; i < out.size(); i++) {
                if (i != axis && out.get(i).isUnknown()) {
                    out.set(i, s.dim(i));
                }
            }
            if (intsOf(in) == null) {
                allInts = false;
            } else {
                vals.addAll(intsOf(in));
            }
        }
        out.set(axis, total);
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
        if (allInts && first.rank() == 1) {
            setInts(n, vals);
        }
    }

    private void reshape(Node n) {
        Shape in = shape(n.input(0));
        List<Dim> target = intsOf(n.input(1));
        boolean allowZero = n.intAttribute("allowzero", 0) != 0;
        if (target == null) {
            Shape ts = shape(n.input(1));
            if (ts != null && ts.rank() == 1 && ts.dim(0).isKnown()) {
                List<Dim> unknown = new ArrayList<>();
                for (int i = 0; i < ts.dim(0).value(); i++) {
                    unknown.add(Dim.UNKNOWN);
                }
                set(n, 0, type(n.input(0)).elementType(), new Shape(unknown));
            }
            return;
        }
        List<Dim> out = new ArrayList<>();
        int inferIndex = -1;
        for (int i = 0; i < target.size(); i++) {
            Dim d = target.get(i);
            if (d.isKnown() && d.factor() == 0 && !allowZero) {
                out.add(in.dim(i));
            } else if (d.isKnown() && d.factor() == -1) {
                inferIndex = i;
                out.add(null);
            } else {
                out.add(d);
            }
        }
        if (inferIndex >= 0) {
            Dim known = Dim.of(1);
            for (Dim d : out) {
                if (d != null) {
                    known = known.times(d);
                }
            }
            out.set(inferIndex, in.elementCount().dividedBy(known));
        }
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
        if (intsOf(n.input(0)) != null) {
            setInts(n, intsOf(n.input(0)));
        }
    }

    private void split(Node n) {
        Shape s = shape(n.input(0));
        int axis = normAxis(n.intAttribute("axis", 0), s.rank());
        long[] sizes = n.inputCount() > 1 && n.input(1) != null ? constLongs(n.input(1)) : n.intsAttribute("split");
        int outputs = n.outputs().size();
        for (int i = 0; i < outputs; i++) {
            List<Dim> d = new ArrayList<>(s.dims());
            if (sizes != null) {
                d.set(axis, Dim.of(sizes[i]));
            } else {
                d.set(axis, s.dim(axis).dividedBy(Dim.of(outputs)));
            }
            set(n, i, type(n.input(0)).elementType(), new Shape(d));
        }
    }

    private void slice(Node n) {
        Shape s = shape(n.input(0));
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (opset < 10) {
            starts = n.intsAttribute("starts");
            ends = n.intsAttribute("ends");
            axes = n.intsAttribute("axes");
        } else {
            starts = constLongs(n.input(1));
            ends = constLongs(n.input(2));
            axes = n.inputCount() > 3 && n.input(3) != null ? constLongs(n.input(3)) : null;
            if (n.inputCount() > 4 && n.input(4) != null) {
                steps = constLongs(n.input(4));
                if (steps == null) {
                    return;
                }
            }
            if (n.inputCount() > 3 && n.input(3) != null && axes == null) {
                return;
            }
        }
        if (starts == null || ends == null) {
            List<Dim> d = new ArrayList<>(s.dims());
            if (axes != null) {
                for (long a : axes) {
                    d.set(normAxis(a, s.rank()), Dim.UNKNOWN);
                }
            } else {
                d.replaceAll(x -> Dim.UNKNOWN);
            }
            set(n, 0, type(n.input(0)).elementType(), new Shape(d));
            return;
        }
        List<Dim> out = new ArrayList<>(s.dims());
        List<Dim> vals = intsOf(n.input(0));
        List<Dim> slicedVals = null;
        for (int i = 0; i < starts.length; i++) {
            int axis = axes == null ? i : normAxis(axes[i], s.rank());
            long step = steps == null ? 1 : steps[i];
            Dim dim = s.dim(axis);
            long st = starts[i];
            long en = ends[i];
            if (dim.isKnown()) {
                long len = dim.value();
                long b = clampIndex(st, len, step > 0);
                long e = clampIndex(en, len, step > 0);
                long count = step > 0 ? Math.max(0, (e - b + step - 1) / step) : Math.max(0, (b - e - step - 1) / (-step));
                out.set(axis, Dim.of(count));
                if (vals != null && s.rank() == 1 && step == 1) {
                    slicedVals = vals.subList((int) b, (int) Math.max(b, e));
                }
            } else if (st == 0 && en >= INT_MAX_LIKE && step == 1) {
                out.set(axis, dim);
            } else {
                out.set(axis, Dim.UNKNOWN);
            }
        }
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
        if (slicedVals != null) {
            setInts(n, new ArrayList<>(slicedVals));
        }
    }

    private static long clampIndex(long i, long len, boolean forward) {
        if (i < 0) {
            i += len;
        }
        return forward ? Math.max(0, Math.min(len, i)) : Math.max(-1, Math.min(len - 1, i));
    }

    private void matmul(Node n) {
        Shape a = shape(n.input(0));
        Shape b = shape(n.input(1));
        List<Dim> ad = new ArrayList<>(a.dims());
        List<Dim> bd = new ArrayList<>(b.dims());
        boolean aVec = ad.size() == 1;
        boolean bVec = bd.size() == 1;
        if (aVec) {
            ad.add(0, Dim.of(1));
        }
        if (bVec) {
            bd.add(Dim.of(1));
        }
        Shape batch = broadcast(List.of(new Shape(ad.subList(0, ad.size() - 2)), new Shape(bd.subList(0, bd.size() - 2))));
        List<Dim> out = new ArrayList<>(batch.dims());
        if (!aVec) {
            out.add(ad.get(ad.size() - 2));
        }
        if (!bVec) {
            out.add(bd.get(bd.size() - 1));
        }
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
    }

    private void gemm(Node n) {
        Shape a = shape(n.input(0));
        Shape b = shape(n.input(1));
        Dim m = n.intAttribute("transA", 0) != 0 ? a.dim(1) : a.dim(0);
        Dim nn = n.intAttribute("transB", 0) != 0 ? b.dim(0) : b.dim(1);
        set(n, 0, type(n.input(0)).elementType(), Shape.of(m, nn));
    }

    private void convLike(Node n, boolean isConv) {
        Shape x = shape(n.input(0));
        int spatial = x.rank() - 2;
        long[] kernel = n.intsAttribute("kernel_shape");
        Dim channels = x.dim(1);
        if (isConv) {
            Shape w = shape(n.input(1));
            channels = w.dim(0);
            if (kernel == null) {
                kernel = new long[spatial];
                for (int i = 0; i < spatial; i++) {
                    kernel[i] = w.dim(2 + i).value();
                }
            }
        }
        long[] strides = n.intsAttribute("strides");
        long[] pads = n.intsAttribute("pads");
        long[] dil = n.intsAttribute("dilations");
        Attribute autoPad = n.attribute("auto_pad");
        String mode = autoPad == null ? "NOTSET" : autoPad.asString();
        boolean ceil = n.intAttribute("ceil_mode", 0) != 0;
        List<Dim> out = new ArrayList<>(List.of(x.dim(0), channels));
        for (int i = 0; i < spatial; i++) {
            Dim in = x.dim(2 + i);
            if (!in.isKnown()) {
                out.add(Dim.UNKNOWN);
                continue;
            }
            long s = strides == null ? 1 : strides[i];
            long d = dil == null ? 1 : dil[i];
            long k = kernel[i];
            long size;
            if (mode.startsWith("SAME")) {
                size = (in.value() + s - 1) / s;
            } else {
                long p = pads == null || mode.equals("VALID") ? 0 : pads[i] + pads[i + spatial];
                long span = in.value() + p - d * (k - 1) - 1;
                size = (ceil ? (span + s - 1) / s : span / s) + 1;
            }
            out.add(Dim.of(size));
        }
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
    }

    private void einsum(Node n) {
        String eq = n.attribute("equation").asString().replace(" ", "");
        String[] sides = eq.split("->");
        String[] operands = sides[0].split(",");
        Map<Character, Dim> sizes = new HashMap<>();
        for (int i = 0; i < operands.length; i++) {
            Shape s = shape(n.input(i));
            String term = operands[i];
            if (term.contains(".") || term.length() != s.rank()) {
                return;
            }
            for (int k = 0; k < term.length(); k++) {
                Dim d = s.dim(k);
                sizes.merge(term.charAt(k), d, (old, nu) -> old.isKnown() && old.value() == 1 ? nu : old);
            }
        }
        String output = sides.length > 1 ? sides[1] : implicitEinsumOutput(operands);
        List<Dim> out = new ArrayList<>();
        for (char c : output.toCharArray()) {
            out.add(sizes.getOrDefault(c, Dim.UNKNOWN));
        }
        set(n, 0, type(n.input(0)).elementType(), new Shape(out));
    }

    static String implicitEinsumOutput(String[] operands) {
        Map<Character, Integer> count = new java.util.TreeMap<>();
        for (String t : operands) {
            for (char c : t.toCharArray()) {
                count.merge(c, 1, Integer::sum);
            }
        }
        StringBuilder sb = new StringBuilder();
        count.forEach((c, k) -> {
            if (k == 1) {
                sb.append(c);
            }
        });
        return sb.toString();
    }

    private void reduce(Node n) {
        Shape s = shape(n.input(0));
        long[] axes;
        if (n.opType().startsWith("Arg")) {
            axes = new long[]{n.intAttribute("axis", 0)};
        } else {
            axes = axesOf(n);
        }
        boolean keep = n.intAttribute("keepdims", 1) != 0;
        boolean[] reduced = new boolean[s.rank()];
        if (axes == null || axes.length == 0) {
            if (n.intAttribute("noop_with_empty_axes", 0) != 0) {
                set(n, 0, type(n.input(0)).elementType(), s);
                return;
            }
            java.util.Arrays.fill(reduced, true);
        } else {
            for (long a : axes) {
                reduced[normAxis(a, s.rank())] = true;
            }
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (!reduced[i]) {
                out.add(s.dim(i));
            } else if (keep) {
                out.add(Dim.of(1));
            }
        }
        DataType dt = n.opType().startsWith("Arg") ? DataType.INT64 : type(n.input(0)).elementType();
        set(n, 0, dt, new Shape(out));
    }

    private void broadcastOp(Node n) {
        List<Shape> shapes = new ArrayList<>();
        for (Value in : n.inputs()) {
            shapes.add(shape(in));
        }
        set(n, 0, type(n.input(0)).elementType(), broadcast(shapes));
        // evaluate small integer arithmetic on shape values (chunk sizes, head dims)
        List<Dim> a = intsOf(n.input(0));
        List<Dim> b = n.inputCount() > 1 ? intsOf(n.input(1)) : null;
        if (a == null || b == null || n.inputCount() != 2) {
            return;
        }
        int len = Math.max(a.size(), b.size());
        if ((a.size() != len && a.size() != 1) || (b.size() != len && b.size() != 1)) {
            return;
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < len; i++) {
            Dim x = a.get(a.size() == 1 ? 0 : i);
            Dim y = b.get(b.size() == 1 ? 0 : i);
            Dim r = switch (n.opType()) {
                case "Add" -> addDims(x, y);
                case "Sub" -> x.isKnown() && y.isKnown() ? new Dim(x.factor() - y.factor(), null) : Dim.UNKNOWN;
                case "Mul" -> x.isKnown() && y.isKnown() ? new Dim(x.factor() * y.factor(), null) : x.times(y);
                case "Div" -> x.isKnown() && y.isKnown() && y.factor() != 0 ? new Dim(x.factor() / y.factor(), null) : x.dividedBy(y);
                default -> Dim.UNKNOWN;
            };
            out.add(r);
        }
        setInts(n, out);
    }

    /** Numpy broadcasting of several shapes; null if any is unknown. */
    static Shape broadcast(List<Shape> shapes) {
        int rank = 0;
        for (Shape s : shapes) {
            if (s == null) {
                return null;
            }
            rank = Math.max(rank, s.rank());
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            Dim result = Dim.of(1);
            for (Shape s : shapes) {
                int j = i - (rank - s.rank());
                if (j < 0) {
                    continue;
                }
                Dim d = s.dim(j);
                if (result.isKnown() && result.value() == 1) {
                    result = d;
                } else if (d.isKnown() && d.value() == 1) {
                    continue;
                } else if (!d.equals(result)) {
                    // a known size beats a symbol (the model would fail otherwise); two symbols: unknown
                    if (d.isKnown() && !result.isKnown()) {
                        result = d;
                    } else if (!(result.isKnown() && !d.isKnown())) {
                        result = Dim.UNKNOWN;
                    }
                }
            }
            out.add(result);
        }
        return new Shape(out);
    }
}
