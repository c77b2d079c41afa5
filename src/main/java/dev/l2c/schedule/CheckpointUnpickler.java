package dev.l2c.schedule;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code data.pkl} of a PyTorch zip checkpoint as plain data and nothing else.
 *
 * <p>A pickle names Python callables ("globals") and calls them to build objects; loading one in
 * Python runs whatever it names. Razorvine's Unpickler never runs Python, but by default it turns
 * any global it does not know into a generic object, and its table of known globals is static,
 * shared by every Unpickler in the process. This subclass therefore resolves globals itself, from
 * a fixed allowlist, and refuses every other one before anything is built from it:
 * <ul>
 *   <li>{@code collections OrderedDict} → a {@link LinkedHashMap};</li>
 *   <li>{@code torch._utils _rebuild_tensor_v2} and {@code _rebuild_parameter} → a {@link TensorRef}
 *       (shape, stride and a {@link StorageRef}; no bytes are read here);</li>
 *   <li>{@code torch FloatStorage} and the other typed storages → a {@link StorageType} marker,
 *       which only ever appears inside persistent ids;</li>
 *   <li>{@code argparse Namespace} (training arguments saved next to the DiT routers) → a
 *       {@link PyObject} holding its attributes.</li>
 * </ul>
 * Opcodes that name a class without a global (INST, OBJ), the extension registry (EXT1/2/4) and
 * out-of-band buffers are refused as well. Length-prefixed strings are checked against the bytes
 * that remain, so a corrupt length cannot make the reader allocate gigabytes.
 *
 * <p>One instance reads one pickle; it is not thread-safe.
 */
final class CheckpointUnpickler extends Unpickler {

    /** A torch storage class, e.g. FloatStorage: 4-byte little-endian float32 elements. */
    record StorageType(String className, String dtype, int elementBytes) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("torch." + className + " is only expected inside a persistent id, not called");
        }
    }

    /** A storage the pickle refers to by key: its bytes are the zip entry {@code <prefix>/data/<key>}. */
    record StorageRef(String key, StorageType type, String location, long elements) {
    }

    /** A tensor as the pickle describes it: a view of {@code storage} from element {@code offset}. */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
        long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        boolean contiguous() {
            long expected = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (shape[i] != 1 && stride[i] != expected) {
                    return false;
                }
                expected *= shape[i];
            }
            return true;
        }

        @Override
        public String toString() {
            return storage.type().dtype() + Arrays.toString(shape);
        }
    }

    /** An instance of an allowed plain Python class, reduced to its attributes. */
    record PyObject(String className, Map<String, Object> attributes) {
    }

    /** A pickle that names a global outside the allowlist, or uses an opcode that builds objects by other means. */
    static final class RefusedPickleException extends PickleException {
        RefusedPickleException(String message) {
            super(message);
        }
    }

    private static final Map<String, StorageType> STORAGES = storages(
            new StorageType("FloatStorage", "float32", 4),
            new StorageType("DoubleStorage", "float64", 8),
            new StorageType("HalfStorage", "float16", 2),
            new StorageType("BFloat16Storage", "bfloat16", 2),
            new StorageType("LongStorage", "int64", 8),
            new StorageType("IntStorage", "int32", 4),
            new StorageType("ShortStorage", "int16", 2),
            new StorageType("CharStorage", "int8", 1),
            new StorageType("ByteStorage", "uint8", 1),
            new StorageType("BoolStorage", "bool", 1));

    /** The globals this reader resolves, spelt "module name" as in error messages. */
    static final List<String> ALLOWED_GLOBALS = List.of(
            "collections OrderedDict", "torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_parameter",
            "torch <typed storage>", "argparse Namespace");

    private static Map<String, StorageType> storages(StorageType... types) {
        Map<String, StorageType> m = new LinkedHashMap<>();
        for (StorageType t : types) {
            m.put(t.className(), t);
        }
        return Map.copyOf(m);
    }

    /** Unpickles {@code pickle}, building only the data described above. */
    Object read(byte[] pickle) throws IOException {
        return load(new ByteArrayInputStream(pickle));
    }

    @Override
    protected Object dispatch(short key) throws IOException {
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n)) {
                    throw new PickleException("STACK_GLOBAL needs two strings, found " + module + " and " + name);
                }
                stack.add(resolve(m, n));
                return NO_RETURN_VALUE;
            }
            case Opcodes.BUILD -> {
                build();
                return NO_RETURN_VALUE;
            }
            case Opcodes.INST -> throw refusedOpcode("INST");
            case Opcodes.OBJ -> throw refusedOpcode("OBJ");
            case Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 -> throw refusedOpcode("EXT (extension registry)");
            case Opcodes.NEXT_BUFFER, Opcodes.READONLY_BUFFER -> throw refusedOpcode("out-of-band buffer");
            case Opcodes.BINSTRING, Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.LONG4 -> requireLengthPrefixedBytes(4);
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> requireLengthPrefixedBytes(8);
            default -> {
                // Every other opcode builds plain data (numbers, strings, tuples, lists, dicts) or the memo.
            }
        }
        return super.dispatch(key);
    }

    @Override
    protected Object persistentLoad(Object pid) {
        // torch.save writes ("storage", StorageClass, key, location, numel) for every storage.
        if (pid instanceof Object[] t && t.length == 5 && "storage".equals(t[0]) && t[1] instanceof StorageType type
                && t[2] instanceof String key && t[3] instanceof String location && t[4] instanceof Number n
                && n.longValue() >= 0) {
            return new StorageRef(key, type, location, n.longValue());
        }
        throw new PickleException("unexpected persistent id " + (pid instanceof Object[] t ? Arrays.toString(t) : pid)
                + "; expected a torch storage reference");
    }

    private static IObjectConstructor resolve(String module, String name) {
        String global = module + " " + name;
        switch (global) {
            case "collections OrderedDict":
                return CheckpointUnpickler::orderedDict;
            case "torch._utils _rebuild_tensor_v2":
                return CheckpointUnpickler::rebuildTensor;
            case "torch._utils _rebuild_parameter":
                return args -> {
                    if (args.length < 1 || !(args[0] instanceof TensorRef t)) {
                        throw new PickleException("_rebuild_parameter expects a tensor, found " + Arrays.toString(args));
                    }
                    return t;
                };
            case "argparse Namespace":
                return args -> new PyObject("argparse.Namespace", new LinkedHashMap<>());
            default:
                if (module.equals("torch") && STORAGES.containsKey(name)) {
                    return STORAGES.get(name);
                }
                throw new RefusedPickleException("names the Python global \"" + global
                        + "\"; a checkpoint is read as plain data only, so it is refused without running anything"
                        + " (allowed: " + String.join(", ", ALLOWED_GLOBALS) + ")");
        }
    }

    private static RefusedPickleException refusedOpcode(String name) {
        return new RefusedPickleException("uses the pickle opcode " + name
                + ", which torch.save never writes; it is refused without running anything");
    }

    private static Object orderedDict(Object[] args) {
        Map<Object, Object> map = new LinkedHashMap<>();
        if (args.length == 1 && args[0] instanceof List<?> pairs) {
            for (Object p : pairs) {
                if (!(p instanceof Object[] kv) || kv.length != 2) {
                    throw new PickleException("OrderedDict expects (key, value) pairs, found " + p);
                }
                map.put(kv[0], kv[1]);
            }
        } else if (args.length != 0) {
            throw new PickleException("OrderedDict called with unexpected arguments " + Arrays.toString(args));
        }
        return map;
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])}. */
    private static Object rebuildTensor(Object[] args) {
        if (args.length < 4 || !(args[0] instanceof StorageRef storage) || !(args[1] instanceof Number offset)
                || !(args[2] instanceof Object[] size) || !(args[3] instanceof Object[] stride) || size.length != stride.length) {
            throw new PickleException("_rebuild_tensor_v2 called with unexpected arguments " + Arrays.toString(args));
        }
        long[] shape = longs(size);
        long[] strides = longs(stride);
        TensorRef t = new TensorRef(storage, offset.longValue(), shape, strides);
        for (long d : shape) {
            if (d < 0) {
                throw new PickleException("tensor with negative size " + Arrays.toString(shape));
            }
        }
        if (t.offset() < 0) {
            throw new PickleException("tensor with negative storage offset " + t.offset());
        }
        return t;
    }

    private static long[] longs(Object[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] instanceof Number n)) {
                throw new PickleException("expected integers, found " + Arrays.toString(values));
            }
            out[i] = n.longValue();
        }
        return out;
    }

    /**
     * BUILD sets an object's state. Razorvine would look up a {@code __setstate__} method by
     * reflection; here only the two cases torch.save produces are accepted: attributes of an
     * argparse Namespace, and an OrderedDict's instance attributes (its {@code _metadata}: module
     * versions, not entries), which are dropped.
     */
    private void build() {
        Object state = stack.pop();
        Object target = stack.peek();
        if (target instanceof PyObject o && state instanceof Map<?, ?> attributes) {
            for (Map.Entry<?, ?> e : attributes.entrySet()) {
                o.attributes().put(String.valueOf(e.getKey()), e.getValue());
            }
        } else if (!(target instanceof Map<?, ?> && state instanceof Map<?, ?>)) {
            throw new PickleException("cannot set the state of " + describe(target) + " from " + describe(state));
        }
    }

    private static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    /** Fails unless the length that the next {@code width} bytes declare fits in what is left of the pickle. */
    private void requireLengthPrefixedBytes(int width) throws IOException {
        input.mark(width);
        byte[] b = input.readNBytes(width);
        input.reset();
        if (b.length < width) {
            throw new IOException("the pickle ends inside a length field (truncated data.pkl)");
        }
        long length = 0;
        for (int i = width - 1; i >= 0; i--) {
            length = (length << 8) | (b[i] & 0xff);
        }
        long remaining = input.available() - (long) width;
        if (length < 0 || length > remaining) {
            throw new IOException("the pickle declares a " + length + "-byte value but only " + remaining
                    + " bytes remain (truncated or corrupt data.pkl)");
        }
    }
}
