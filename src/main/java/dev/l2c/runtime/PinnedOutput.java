package dev.l2c.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A pre-allocated float output that ONNX Runtime writes into (a "pinned" output), reused by every step
 * of a batch size: the model output is read from our own buffer, with no tensor created per step.
 */
final class PinnedOutput implements PerBatch.Resource {
    final FloatBuffer buffer;
    final OnnxTensor tensor;
    final int elements;

    PinnedOutput(OrtEnvironment env, long[] shape) throws OrtException {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        elements = (int) n;
        buffer = ByteBuffer.allocateDirect(elements * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        tensor = OnnxTensor.createTensor(env, buffer, shape);
    }

    float[] read() {
        float[] out = new float[elements];
        buffer.clear();
        buffer.get(out);
        return out;
    }

    @Override
    public void close() {
        tensor.close();
    }
}
