package dev.l2c.learn;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.l2c.analysis.LayerMap;
import dev.l2c.error.ProviderException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One value per cacheable layer, for one model batch, in native buffers that ONNX Runtime reads as
 * inputs and writes as outputs directly (no tensor is created or copied per run). The learner keeps
 * two: the values a step reuses, and the values the step being evaluated produces.
 */
final class BranchCache implements AutoCloseable {
    private final FloatBuffer[] buffers;
    private final OnnxTensor[] tensors;

    BranchCache(OrtEnvironment env, LayerMap layers, int batch) throws ProviderException {
        buffers = new FloatBuffer[layers.size()];
        tensors = new OnnxTensor[layers.size()];
        try {
            for (int j = 0; j < layers.size(); j++) {
                long[] shape = layers.layer(j).type().shape().evaluate(batch);
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                if (n * 4 > Integer.MAX_VALUE) {
                    throw new ProviderException(null, "layer " + j + "'s cached value " + java.util.Arrays.toString(shape)
                            + " is too large for one buffer; use fewer calibration images");
                }
                buffers[j] = ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                tensors[j] = OnnxTensor.createTensor(env, buffers[j], shape);
            }
        } catch (OrtException e) {
            close();
            throw new ProviderException(null, "cannot allocate the branch cache: " + e.getMessage());
        }
    }

    OnnxTensor tensor(int layer) {
        return tensors[layer];
    }

    /** Copies layer {@code layer}'s value from {@code other}. */
    void copyFrom(BranchCache other, int layer) {
        FloatBuffer src = other.buffers[layer].duplicate();
        FloatBuffer dst = buffers[layer].duplicate();
        src.clear();
        dst.clear();
        dst.put(src);
    }

    /** Elements of layer {@code layer}'s value. */
    int elements(int layer) {
        return buffers[layer].capacity();
    }

    /** Copies layer {@code layer}'s value into {@code out} (of {@link #elements} floats). */
    void read(int layer, float[] out) {
        FloatBuffer src = buffers[layer].duplicate();
        src.clear();
        src.get(out);
    }

    /** Sets layer {@code layer}'s value from {@code values} (of {@link #elements} floats). */
    void write(int layer, float[] values) {
        FloatBuffer dst = buffers[layer].duplicate();
        dst.clear();
        dst.put(values);
    }

    @Override
    public void close() {
        for (OnnxTensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }
}
