package dev.l2c.runtime;

import dev.l2c.conditioning.Conditions;

import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.l2c.modelcard.ModelCard;

import java.util.Map;

/**
 * One model evaluation's tensors for one batch size: the model's inputs ({@link ModelInputs}, typed
 * as the graphs declare them) and the pinned output ONNX Runtime writes into. Every step writes its
 * values into the same buffers, so no tensor is created or copied per step. The one set-up behind
 * both step-by-step executors ({@link PlainModelExecutor}, {@link PackageExecutor}).
 */
final class StepTensors implements PerBatch.Resource {
    private final ModelInputs inputs;
    /** The model output (the noise estimate), written by ONNX Runtime into our buffer. */
    final PinnedOutput output;

    StepTensors(OrtEnvironment env, ModelCard card, ModelInputs.Types types, int batch, long outputChannels)
            throws OrtException {
        inputs = new ModelInputs(env, card, types, batch);
        try {
            output = new PinnedOutput(env, new long[]{batch, outputChannels, card.height(), card.width()});
        } catch (OrtException | RuntimeException e) {
            inputs.close();
            throw e;
        }
    }

    /** Writes this step's values into the buffers; returns the model inputs by name (a map the caller may add to). */
    Map<String, OnnxTensorLike> write(float[] x, double t, Conditions y) {
        return inputs.write(x, t, y);
    }

    @Override
    public void close() {
        inputs.close();
        output.close();
    }
}
