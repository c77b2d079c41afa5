package dev.l2c.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;
import dev.l2c.ir.DataType;
import dev.l2c.ir.ExternalTensorData;
import dev.l2c.ir.Model;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a package mapped into memory once and handed to every session as its initializers
 * (ONNX Runtime's AddInitializer uses the caller's buffer in place). Every session then reads the same
 * pages at the same addresses: the weights are resident once, and counted once in the process's
 * resident set, however many step graphs there are. (Each session mapping the external-data file by
 * itself would share the physical pages too, but every mapping is counted again in RSS.)
 *
 * <p>Requires weight prepacking off: a prepacking session would keep its own packed copy. The buffers
 * must outlive every session that uses them, so {@link #close()} comes after the sessions' close.
 */
final class SharedWeights implements AutoCloseable {
    private final Map<String, OnnxTensor> byName = new HashMap<>();
    private final Map<String, List<String>> namesByGraph = new LinkedHashMap<>();
    private final List<OnnxTensor> tensors = new ArrayList<>();
    private long bytes;

    private SharedWeights() {
    }

    /** Maps the external initializers of every graph in {@code graphs}. */
    static SharedWeights map(OrtEnvironment env, Path folder, List<String> graphs) throws L2cException {
        SharedWeights w = new SharedWeights();
        Map<String, OnnxTensor> byLocation = new HashMap<>();
        try {
            for (String g : graphs) {
                Model m = OnnxReader.read(folder.resolve(g));
                List<String> names = new ArrayList<>();
                for (Value init : m.graph().initializers()) {
                    Tensor t = init.initializer();
                    if (!(t.data() instanceof ExternalTensorData ext)) {
                        continue;
                    }
                    String location = ext.file() + "@" + ext.offset() + "+" + ext.byteSize() + ":" + t.type() + java.util.Arrays.toString(t.dims());
                    OnnxTensor tensor = byLocation.get(location);
                    if (tensor == null) {
                        tensor = w.wrap(env, ext, t);
                        byLocation.put(location, tensor);
                    }
                    OnnxTensor previous = w.byName.putIfAbsent(t.name(), tensor);
                    if (previous != null && previous != tensor) {
                        throw new InvalidInputException(folder.resolve(g), "initializer '" + t.name()
                                + "' points at different bytes than in another graph of the package");
                    }
                    names.add(t.name());
                }
                w.namesByGraph.put(g, names);
            }
            return w;
        } catch (L2cException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    private OnnxTensor wrap(OrtEnvironment env, ExternalTensorData ext, Tensor t) throws L2cException {
        OnnxJavaType type = javaType(t.type(), ext);
        try (FileChannel ch = FileChannel.open(ext.file(), StandardOpenOption.READ)) {
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, ext.offset(), ext.byteSize());
            buf.order(ByteOrder.nativeOrder());
            OnnxTensor tensor = OnnxTensor.createTensor(env, buf, t.dims(), type);
            tensors.add(tensor);
            bytes += ext.byteSize();
            return tensor;
        } catch (IOException e) {
            throw new InvalidInputException(ext.file(), "cannot map weights: " + e.getMessage());
        } catch (OrtException e) {
            throw new ProviderException(ext.file(), "cannot wrap weight '" + t.name() + "': " + e.getMessage());
        }
    }

    private static OnnxJavaType javaType(DataType t, ExternalTensorData ext) throws InvalidInputException {
        return switch (t) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case DOUBLE -> OnnxJavaType.DOUBLE;
            case INT64 -> OnnxJavaType.INT64;
            case INT32 -> OnnxJavaType.INT32;
            case INT16 -> OnnxJavaType.INT16;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case BOOL -> OnnxJavaType.BOOL;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            default -> throw new InvalidInputException(ext.file(), "weights of type " + t.shortName
                    + " cannot be shared between sessions");
        };
    }

    /** Adds this graph's initializers to the options of the session about to load it. */
    void addTo(OrtSession.SessionOptions options, String graph) throws ProviderException {
        try {
            for (String name : namesByGraph.getOrDefault(graph, List.of())) {
                options.addInitializer(name, byName.get(name));
            }
        } catch (OrtException e) {
            throw new ProviderException(null, "cannot share weights with graph " + graph + ": " + e.getMessage());
        }
    }

    /** Bytes of distinct weights mapped. */
    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        tensors.forEach(OnnxTensor::close);
        tensors.clear();
    }
}
