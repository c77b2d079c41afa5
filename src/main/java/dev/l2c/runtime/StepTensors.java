package dev.l2c.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.l2c.ir.DataType;
import dev.l2c.modelcard.ModelCard;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One model evaluation's tensors for one batch size: the model's three inputs (sample, timestep,
 * label) wrapping direct buffers, and the pinned output ONNX Runtime writes into. Every step writes
 * its values into the same buffers, so no tensor is created or copied per step. The one set-up
 * behind both step-by-step executors ({@link PlainModelExecutor}, {@link PackageExecutor}).
 */
final class StepTensors implements PerBatch.Resource {
    private final ModelCard card;
    private final int batch;
    private final FloatBuffer sample;
    private final ByteBuffer timestep;
    private final LongBuffer labels;
    private final OnnxTensor sampleTensor;
    private final OnnxTensor timestepTensor;
    private final OnnxTensor labelTensor;
    /** The model output (the noise estimate), written by ONNX Runtime into our buffer. */
    final PinnedOutput output;

    StepTensors(OrtEnvironment env, ModelCard card, int batch, long outputChannels) throws OrtException {
        this.card = card;
        this.batch = batch;
        long[] sampleShape = {batch, card.channels(), card.height(), card.width()};
        sample = ByteBuffer.allocateDirect(batch * card.sampleElements() * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        DataType timestepType = card.timestepType();
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
        output = new PinnedOutput(env, new long[]{batch, outputChannels, card.height(), card.width()});
    }

    /** Writes this step's values into the buffers; returns the model inputs by name (a map the caller may add to). */
    Map<String, OnnxTensorLike> write(float[] x, double t, long[] y) {
        sample.clear();
        sample.put(x, 0, sample.capacity());
        for (int i = 0; i < batch; i++) {
            switch (card.timestepType()) {
                case INT64 -> timestep.putLong(i * 8, Math.round(t));
                case INT32 -> timestep.putInt(i * 4, (int) Math.round(t));
                default -> timestep.putFloat(i * 4, (float) t);
            }
        }
        labels.clear();
        labels.put(y, 0, batch);
        Map<String, OnnxTensorLike> inputs = new HashMap<>();
        inputs.put(card.sampleInput(), sampleTensor);
        inputs.put(card.timestepInput(), timestepTensor);
        inputs.put(card.labelInput(), labelTensor);
        return inputs;
    }

    @Override
    public void close() {
        sampleTensor.close();
        timestepTensor.close();
        labelTensor.close();
        output.close();
    }
}
