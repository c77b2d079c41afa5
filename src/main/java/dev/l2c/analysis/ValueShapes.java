package dev.l2c.analysis;

import dev.l2c.ir.Dim;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link ShapeInference}: the type of every value it could infer, and, for the small
 * integer tensors that describe shapes (Shape → Gather → Concat → Reshape chains), their values as
 * {@link Dim}s, so a dynamic batch stays symbolic. Immutable.
 */
public final class ValueShapes {
    private final Map<Value, TensorType> types;
    private final Map<Value, List<Dim>> integerValues;

    ValueShapes(Map<Value, TensorType> types, Map<Value, List<Dim>> integerValues) {
        this.types = Collections.unmodifiableMap(new IdentityHashMap<>(types));
        this.integerValues = Collections.unmodifiableMap(new IdentityHashMap<>(integerValues));
    }

    /** The inferred (or declared) type, or null where inference could not tell. */
    public TensorType typeOf(Value v) {
        return types.get(v);
    }

    /** The type, or IllegalStateException naming the value and its producer. */
    public TensorType requireType(Value v) {
        TensorType t = types.get(v);
        if (t == null || t.shape() == null) {
            throw new IllegalStateException("shape of " + v.name() + " (from "
                    + (v.producer() == null ? "a graph input" : v.producer()) + ") could not be inferred");
        }
        return t;
    }

    /** The elements of a small integer tensor, flattened, when they are known (possibly symbolic). */
    public List<Dim> integerValue(Value v) {
        return integerValues.get(v);
    }

    public int size() {
        return types.size();
    }
}
