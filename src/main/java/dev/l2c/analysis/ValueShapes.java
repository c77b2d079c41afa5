package dev.l2c.analysis;

import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The result of {@link ShapeInference}: the type of every value it could infer, with a dynamic batch
 * kept symbolic. Immutable.
 */
public final class ValueShapes {
    private final Map<Value, TensorType> types;

    ValueShapes(Map<Value, TensorType> types) {
        this.types = Collections.unmodifiableMap(new IdentityHashMap<>(types));
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

    public int size() {
        return types.size();
    }
}
