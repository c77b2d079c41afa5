package dev.l2c.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.l2c.conditioning.Conditions;
import dev.l2c.ir.DataType;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The one packer of a model evaluation's inputs (sample, timestep, {@link Conditions}: class labels or
 * text embeddings and mask) into ONNX Runtime tensors, for one batch size, in the element types the
 * session itself declares: the timestep as int64, int32 or float32, labels as int64 or int32, a text
 * mask as float32, int64, int32 or bool. Every place that feeds a model graph uses it (the
 * step-by-step executors, the learner, the linked model), so a model whose label input is int32 runs
 * everywhere or nowhere. The tensors wrap direct buffers that every evaluation rewrites,
 * so nothing is created or copied per step. Not thread-safe.
 */
public final class ModelInputs implements AutoCloseable {
    /**
     * The element types of the timestep and condition inputs, as a session declares them.
     *
     * @param condition the label input's type (int64 or int32), or for a text model its mask's
     *                  (float32, int64, int32 or bool; null when it has no mask): the embeddings are float32
     */
    public record Types(DataType timestep, DataType condition) {
        public Types {
            if (timestep != DataType.INT64 && timestep != DataType.INT32 && timestep != DataType.FLOAT) {
                throw new IllegalArgumentException("the timestep input is " + timestep.shortName
                        + "; int64, int32 and float32 are supported");
            }
        }

        /** The types of a class-conditional model's inputs. */
        public DataType label() {
            return condition;
        }

        /**
         * The types {@code session} declares for the card's timestep and condition inputs.
         *
         * @throws IllegalArgumentException naming the input when the session lacks it or types it otherwise
         */
        public static Types of(OrtSession session, ModelCard card) throws OrtException {
            DataType t = declared(session, card.timestepInput());
            if (card.conditioning() instanceof Conditioning.ClassLabel l) {
                DataType label = declared(session, l.input());
                if (label != DataType.INT64 && label != DataType.INT32) {
                    throw new IllegalArgumentException("the label input '" + l.input() + "' is " + label.shortName
                            + "; int64 and int32 are supported");
                }
                return new Types(t, label);
            }
            Conditioning.TextTokens text = (Conditioning.TextTokens) card.conditioning();
            if (declared(session, text.textInput()) != DataType.FLOAT) {
                throw new IllegalArgumentException("the text input '" + text.textInput() + "' must be float32");
            }
            return new Types(t, text.maskInput() == null ? null : declared(session, text.maskInput()));
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
    private final OnnxTensor sampleTensor;
    private final OnnxTensor timestepTensor;
    private final ConditionTensors condition;
    /** The conditions last written: a run writes the same ones at every step, and they are not copied again. */
    private Conditions written;

    public ModelInputs(OrtEnvironment env, ModelCard card, Types types, int batch) throws OrtException {
        this.card = card;
        this.types = types;
        this.batch = batch;
        sample = direct(batch * card.sampleElements() * 4).asFloatBuffer();
        timestep = direct(batch * bytes(types.timestep()));
        OnnxTensor s = null;
        OnnxTensor t = null;
        try {
            s = OnnxTensor.createTensor(env, sample, new long[]{batch, card.channels(), card.height(), card.width()});
            t = tensor(env, timestep, types.timestep(), new long[]{batch});
            this.condition = new ConditionTensors(env, card, types.condition(), batch);
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

    /** {@link #write(float[], double, Conditions)} for a class-conditional model. */
    public Map<String, OnnxTensorLike> write(float[] x, double t, long[] y) {
        if (y.length < batch) {
            throw new IllegalArgumentException(y.length + " labels for a batch of " + batch);
        }
        return write(x, t, Conditions.labels(y.length == batch ? y : java.util.Arrays.copyOf(y, batch)));
    }

    /**
     * Writes one evaluation's values (timestep {@code t} for the whole batch) into the buffers and
     * returns the inputs by name, in a fresh map the caller may add cache tensors to.
     */
    public Map<String, OnnxTensorLike> write(float[] x, double t, Conditions c) {
        if (c.batch() != batch) {
            throw new IllegalArgumentException(c.batch() + " conditions for a batch of " + batch);
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
        if (c != written) {
            condition.write(c);
            written = c;
        }
        Map<String, OnnxTensorLike> inputs = new HashMap<>();
        inputs.put(card.sampleInput(), sampleTensor);
        inputs.put(card.timestepInput(), timestepTensor);
        condition.addTo(inputs);
        return inputs;
    }

    /** Fresh tensors of {@code c} for {@code card}'s condition inputs, typed {@code type}; the caller closes them. */
    public static ConditionTensors conditionTensors(OrtEnvironment env, ModelCard card, DataType type, Conditions c)
            throws OrtException {
        ConditionTensors tensors = new ConditionTensors(env, card, type, c.batch());
        tensors.write(c);
        return tensors;
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
        condition.close();
    }

    /**
     * The condition inputs of one batch size: the label tensor, or the text embeddings and mask
     * tensors, over direct buffers that {@link #write} refills.
     */
    public static final class ConditionTensors implements AutoCloseable {
        private final ModelCard card;
        private final DataType type;
        private final int batch;
        private final ByteBuffer first;
        private final ByteBuffer mask;
        private final OnnxTensor firstTensor;
        private final OnnxTensor maskTensor;

        ConditionTensors(OrtEnvironment env, ModelCard card, DataType type, int batch) throws OrtException {
            this.card = card;
            this.type = type;
            this.batch = batch;
            if (card.conditioning() instanceof Conditioning.TextTokens t) {
                first = direct(batch * t.textElements() * 4);
                firstTensor = OnnxTensor.createTensor(env, first.asFloatBuffer(), new long[]{batch, t.tokens(), t.width()});
                if (t.maskInput() != null) {
                    mask = direct(batch * t.tokens() * bytes(type));
                    OnnxTensor m;
                    try {
                        m = tensor(env, mask, type, new long[]{batch, t.tokens()});
                    } catch (OrtException | RuntimeException e) {
                        firstTensor.close();
                        throw e;
                    }
                    maskTensor = m;
                } else {
                    mask = null;
                    maskTensor = null;
                }
            } else {
                first = direct(batch * bytes(type));
                firstTensor = tensor(env, first, type, new long[]{batch});
                mask = null;
                maskTensor = null;
            }
        }

        /** Copies {@code c} into the buffers. */
        public void write(Conditions c) {
            c.checkFits(card);
            if (c.batch() != batch) {
                throw new IllegalArgumentException(c.batch() + " conditions for a batch of " + batch);
            }
            if (!c.isText()) {
                putLabels(first, type, c.labels(), batch);
                return;
            }
            first.asFloatBuffer().put(c.text());
            if (mask != null) {
                float[] m = c.mask();
                for (int i = 0; i < m.length; i++) {
                    switch (type) {
                        case FLOAT -> mask.putFloat(i * 4, m[i]);
                        case INT64 -> mask.putLong(i * 8, m[i] != 0 ? 1 : 0);
                        case INT32 -> mask.putInt(i * 4, m[i] != 0 ? 1 : 0);
                        default -> mask.put(i, (byte) (m[i] != 0 ? 1 : 0));
                    }
                }
            }
        }

        /** The tensors by input name. */
        public void addTo(Map<String, OnnxTensorLike> inputs) {
            if (card.conditioning() instanceof Conditioning.TextTokens t) {
                inputs.put(t.textInput(), firstTensor);
                if (maskTensor != null) {
                    inputs.put(t.maskInput(), maskTensor);
                }
            } else {
                inputs.put(card.labelInput(), firstTensor);
            }
        }

        @Override
        public void close() {
            firstTensor.close();
            if (maskTensor != null) {
                maskTensor.close();
            }
        }
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
            case BOOL -> OnnxTensor.createTensor(env, b, shape, OnnxJavaType.BOOL);
            default -> throw new IllegalArgumentException("element type " + type.shortName);
        };
    }

    private static int bytes(DataType type) {
        return switch (type) {
            case INT64 -> 8;
            case BOOL -> 1;
            default -> 4;
        };
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    private static DataType fromOrt(OnnxJavaType type, String input) {
        return switch (type) {
            case INT64 -> DataType.INT64;
            case INT32 -> DataType.INT32;
            case FLOAT -> DataType.FLOAT;
            case BOOL -> DataType.BOOL;
            default -> throw new IllegalArgumentException("input '" + input + "' is " + type
                    + "; the timestep may be int64, int32 or float32, labels int64 or int32, a mask float32, int64,"
                    + " int32 or bool");
        };
    }
}
