package dev.l2c.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.l2c.ir.DataType;
import dev.l2c.modelcard.ModelCard;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The one packer of a model evaluation's inputs (sample, timestep, class labels) into ONNX Runtime
 * tensors, for one batch size, in the element types the session itself declares: the timestep as
 * int64, int32 or float32, the labels as int64 or int32. Every place that feeds a model graph uses it
 * (the step-by-step executors, the learner, the linked model's labels), so a model whose label input
 * is int32 runs everywhere or nowhere. The tensors wrap direct buffers that every evaluation rewrites,
 * so nothing is created or copied per step. Not thread-safe.
 */
public final class ModelInputs implements AutoCloseable {
    /** The element types of the timestep and label inputs, as a session declares them. */
    public record Types(DataType timestep, DataType label) {
        public Types {
            if (timestep != DataType.INT64 && timestep != DataType.INT32 && timestep != DataType.FLOAT) {
                throw new IllegalArgumentException("the timestep input is " + timestep.shortName
                        + "; int64, int32 and float32 are supported");
            }
            if (label != DataType.INT64 && label != DataType.INT32) {
                throw new IllegalArgumentException("the label input is " + label.shortName
                        + "; int64 and int32 are supported");
            }
        }

        /**
         * The types {@code session} declares for the card's timestep and label inputs.
         *
         * @throws IllegalArgumentException naming the input when the session lacks it or types it otherwise
         */
        public static Types of(OrtSession session, ModelCard card) throws OrtException {
            return new Types(declared(session, card.timestepInput()), declared(session, card.labelInput()));
        }

        private static DataType declared(OrtSession session, String input) throws OrtException {
            NodeInfo info = session.getInputInfo().get(input);
            if (info == null || !(info.getInfo() instanceof TensorInfo t)) {
                throw new IllegalArgumentException("the graph has no tensor input '" + input + "'");
            }
            return fromOrt(t.type, input);
        }
    }

    private final ModelCard card;
    private final Types types;
    private final int batch;
    private final FloatBuffer sample;
    private final ByteBuffer timestep;
    private final ByteBuffer labels;
    private final OnnxTensor sampleTensor;
    private final OnnxTensor timestepTensor;
    private final OnnxTensor labelTensor;

    public ModelInputs(OrtEnvironment env, ModelCard card, Types types, int batch) throws OrtException {
        this.card = card;
        this.types = types;
        this.batch = batch;
        sample = direct(batch * card.sampleElements() * 4).asFloatBuffer();
        timestep = direct(batch * bytes(types.timestep()));
        labels = direct(batch * bytes(types.label()));
        long[] vec = {batch};
        OnnxTensor s = null;
        OnnxTensor t = null;
        try {
            s = OnnxTensor.createTensor(env, sample, new long[]{batch, card.channels(), card.height(), card.width()});
            t = tensor(env, timestep, types.timestep(), vec);
            this.labelTensor = tensor(env, labels, types.label(), vec);
        } catch (OrtException | RuntimeException e) {
            if (s != null) {
                s.close();
            }
            if (t != null) {
                t.close();
            }
            throw e;
        }
        this.sampleTensor = s;
        this.timestepTensor = t;
    }

    /**
     * Writes one evaluation's values (timestep {@code t} for the whole batch) into the buffers and
     * returns the inputs by name, in a fresh map the caller may add cache tensors to.
     */
    public Map<String, OnnxTensorLike> write(float[] x, double t, long[] y) {
        if (y.length < batch) {
            throw new IllegalArgumentException(y.length + " labels for a batch of " + batch);
        }
        sample.clear();
        sample.put(x, 0, sample.capacity());
        for (int i = 0; i < batch; i++) {
            switch (types.timestep()) {
                case INT64 -> timestep.putLong(i * 8, Math.round(t));
                case INT32 -> timestep.putInt(i * 4, (int) Math.round(t));
                default -> timestep.putFloat(i * 4, (float) t);
            }
        }
        putLabels(labels, types.label(), y, batch);
        Map<String, OnnxTensorLike> inputs = new HashMap<>();
        inputs.put(card.sampleInput(), sampleTensor);
        inputs.put(card.timestepInput(), timestepTensor);
        inputs.put(card.labelInput(), labelTensor);
        return inputs;
    }

    /** A fresh tensor of {@code labels} in element type {@code type} (int64 or int32); the caller closes it. */
    public static OnnxTensor labelTensor(OrtEnvironment env, DataType type, long[] labels) throws OrtException {
        ByteBuffer b = direct(labels.length * bytes(type));
        putLabels(b, type, labels, labels.length);
        return tensor(env, b, type, new long[]{labels.length});
    }

    @Override
    public void close() {
        sampleTensor.close();
        timestepTensor.close();
        labelTensor.close();
    }

    private static void putLabels(ByteBuffer into, DataType type, long[] y, int n) {
        for (int i = 0; i < n; i++) {
            if (type == DataType.INT64) {
                into.putLong(i * 8, y[i]);
            } else {
                if (y[i] != (int) y[i]) {
                    throw new IllegalArgumentException("label " + y[i] + " does not fit the model's int32 label input");
                }
                into.putInt(i * 4, (int) y[i]);
            }
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, ByteBuffer b, DataType type, long[] shape) throws OrtException {
        return switch (type) {
            case INT64 -> OnnxTensor.createTensor(env, b.asLongBuffer(), shape);
            case INT32 -> OnnxTensor.createTensor(env, b.asIntBuffer(), shape);
            case FLOAT -> OnnxTensor.createTensor(env, b.asFloatBuffer(), shape);
            default -> throw new IllegalArgumentException("element type " + type.shortName);
        };
    }

    private static int bytes(DataType type) {
        return type == DataType.INT64 ? 8 : 4;
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    private static DataType fromOrt(OnnxJavaType type, String input) {
        return switch (type) {
            case INT64 -> DataType.INT64;
            case INT32 -> DataType.INT32;
            case FLOAT -> DataType.FLOAT;
            default -> throw new IllegalArgumentException("input '" + input + "' is " + type
                    + "; the timestep may be int64, int32 or float32 and the labels int64 or int32");
        };
    }
}
