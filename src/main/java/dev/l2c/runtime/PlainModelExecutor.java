package dev.l2c.runtime;

import dev.l2c.conditioning.Conditions;

import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;
import dev.l2c.modelcard.ModelCard;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The original, uncompiled model in one session: every evaluation computes every layer. This is
 * "sampling a plain MODEL" and the baseline that compiled packages are measured against.
 */
public final class PlainModelExecutor implements ModelExecutor {
    private final Path file;
    private final ModelCard card;
    private final OrtSession session;
    private final OrtEnvironment env;
    private final long outputChannels;
    private final PerBatch<StepTensors> tensors;
    private long runNanos;

    public PlainModelExecutor(Path file, ModelCard card, OrtRuntime.Options options) throws L2cException {
        this.file = file;
        this.card = card;
        this.env = OrtRuntime.environment(options.threads());
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options)) {
            this.session = OrtRuntime.open(file, so);
        }
        this.outputChannels = outputChannels(session, card, file);
        ModelInputs.Types types = inputTypes(session, card, file);
        this.tensors = new PerBatch<>(batch -> new StepTensors(env, card, types, batch, outputChannels));
    }

    /** The input types {@code session} declares, or a one-line error naming {@code file}. */
    static ModelInputs.Types inputTypes(OrtSession session, ModelCard card, Path file) throws L2cException {
        try {
            return ModelInputs.Types.of(session, card);
        } catch (OrtException | IllegalArgumentException e) {
            throw new ProviderException(file, e.getMessage());
        }
    }

    static long outputChannels(OrtSession session, ModelCard card, Path file) throws L2cException {
        try {
            TensorInfo info = (TensorInfo) session.getOutputInfo().get(card.output()).getInfo();
            long[] shape = info.getShape();
            return shape.length == 4 && shape[1] > 0 ? shape[1] : card.channels() * (card.learnedSigma() ? 2L : 1L);
        } catch (OrtException | RuntimeException e) {
            throw new ProviderException(file, "cannot read the output '" + card.output() + "' of the model: " + e.getMessage());
        }
    }

    @Override
    public float[] evaluate(int evaluation, float[] x, int batch, double timestep, Conditions labels) throws L2cException {
        try {
            StepTensors io = tensors.get(batch);
            PinnedOutput out = io.output;
            Map<String, OnnxTensorLike> inputs = io.write(x, timestep, labels);
            long t0 = System.nanoTime();
            session.run(inputs, Set.of(), Map.of(card.output(), out.tensor), OrtRuntime.runOptions()).close();
            runNanos += System.nanoTime() - t0;
            return Finite.check(out.read(), file, evaluation, timestep);
        } catch (OrtException e) {
            throw OrtFailures.running(file, "evaluation " + evaluation, e);
        }
    }

    @Override
    public void reset() {
        // nothing is carried between evaluations
    }

    @Override
    public int evaluations() {
        return -1;
    }

    @Override
    public long runNanos() {
        return runNanos;
    }

    @Override
    public void close() {
        tensors.close();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session failed", e);
        }
    }
}
