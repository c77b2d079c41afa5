package dev.l2c.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.l2c.ir.DataType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * The model's three inputs (sample, timestep, label) for one batch size, as ONNX Runtime tensors
 * wrapping direct buffers that are reused from step to step: each step writes the new values into the
 * buffers, so no tensor is created or copied per step.
 */
final class TensorIo implements AutoCloseable {
    final int batch;
    final FloatBuffer sample;
    private final ByteBuffer timestep;
    private final DataType timestepType;
    final LongBuffer labels;
    final OnnxTensor sampleTensor;
    final OnnxTensor timestepTensor;
    final OnnxTensor labelTensor;

    TensorIo(OrtEnvironment env, int batch, long[] sampleShape, DataType timestepType) throws OrtException {
        this.batch = batch;
        this.timestepType = timestepType;
        long n = 1;
        for (long d : sampleShape) {
            n *= d;
        }
        sample = ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        int tBytes = timestepType == DataType.INT64 ? 8 : 4;
        timestep = ByteBuffer.allocateDirect(batch * tBytes).order(ByteOrder.nativeOrder());
        labels = ByteBuffer.allocateDirect(batch * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
        sampleTensor = OnnxTensor.createTensor(env, sample, sampleShape);
        long[] vec = {batch};
        timestepTensor = switch (timestepType) {
            case INT64 -> OnnxTensor.createTensor(env, timestep.asLongBuffer(), vec);
            case INT32 -> OnnxTensor.createTensor(env, timestep.asIntBuffer(), vec);
            case FLOAT -> OnnxTensor.createTensor(env, timestep.asFloatBuffer(), vec);
            default -> throw new IllegalArgumentException("timestep type " + timestepType.shortName);
        };
        labelTensor = OnnxTensor.createTensor(env, labels, vec);
    }

    /** Writes this step's values into the shared buffers. */
    void set(float[] x, double t, long[] y) {
        sample.clear();
        sample.put(x, 0, sample.capacity());
        for (int i = 0; i < batch; i++) {
            switch (timestepType) {
                case INT64 -> timestep.putLong(i * 8, Math.round(t));
                case INT32 -> timestep.putInt(i * 4, (int) Math.round(t));
                default -> timestep.putFloat(i * 4, (float) t);
            }
        }
        labels.clear();
        labels.put(y, 0, batch);
    }

    @Override
    public void close() {
        sampleTensor.close();
        timestepTensor.close();
        labelTensor.close();
    }
}
