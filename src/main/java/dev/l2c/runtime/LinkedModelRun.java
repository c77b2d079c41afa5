package dev.l2c.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.NonFiniteException;
import dev.l2c.error.ProviderException;
import dev.l2c.io.Progress;
import dev.l2c.ir.DataType;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Runs a linked package: its one model performs the whole sampling run, so a batch is one call into
 * ONNX Runtime (noise and labels in, samples out) in one session with ONNX Runtime's default options:
 * weights prepacked once, one memory arena for every step, caches never leaving the session.
 */
public final class LinkedModelRun implements SampleGenerator {
    private final CompiledPackage pkg;
    private final PackageManifest.LinkedModel linked;
    private final ModelCard card;
    private final DataType labelType;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final double openSeconds;
    private final PerBatch<PinnedOutput> samplesByBatch;
    private PinnedOutput stepCheck;

    public LinkedModelRun(CompiledPackage pkg, OrtRuntime.Options options) throws L2cException {
        PackageManifest m = pkg.manifest();
        if (!m.isLinked()) {
            throw new IllegalArgumentException(pkg.folder() + " is a stepwise package; run it with PackageExecutor");
        }
        this.pkg = pkg;
        this.linked = m.linkedModel();
        this.card = m.card();
        // a class label's type, or a text model's mask type (null without a mask)
        this.labelType = card.textConditioned()
                ? (m.model().conditions().size() > 1 ? m.model().conditions().get(1).dtype() : null)
                : m.model().label().dtype();
        this.env = OrtRuntime.environment(options.threads());
        long t0 = System.nanoTime();
        // one graph: ONNX Runtime's defaults whatever the memory policy (prepacking, an arena)
        if (options.ortCache() != null && options.provider() == OrtRuntime.Provider.CPU) {
            this.session = OptimizedModelCache.open(env, options.ortCache(), pkg.file(linked.file()),
                    m.files().get(linked.file()), m.files().get(m.weights().file()), options);
        } else {
            try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options)) {
                this.session = OrtRuntime.open(pkg.file(linked.file()), so);
            }
        }
        this.openSeconds = (System.nanoTime() - t0) / 1e9;
        this.samplesByBatch = new PerBatch<>(batch -> new PinnedOutput(env, new long[]{batch, card.channels(), card.height(),
                card.width()}));
    }

    @Override
    public SampleRun.Output generate(SampleRun.Request request, Progress progress) throws L2cException {
        int batch = request.batch();
        boolean guided = request.cfg() != 1f;
        if (guided && !linked.guided()) {
            throw new MismatchException(pkg.folder(), "was linked with --no-guidance, so it samples with"
                    + " scale 1 only (got --cfg " + request.cfg() + "); compile it again with --link alone for guidance");
        }
        long[] shape = {batch, card.channels(), card.height(), card.width()};
        Path file = pkg.file(linked.file());
        try (OnnxTensor noise = OnnxTensor.createTensor(env, direct(request.xT()), shape);
             ModelInputs.ConditionTensors conditions = ModelInputs.conditionTensors(env, card, labelType, request.conditions());
             ModelInputs.ConditionTensors unconditional = card.textConditioned() && linked.guided()
                     ? ModelInputs.conditionTensors(env, card, labelType, request.unconditionalFor(card)) : null;
             OnnxTensor scale = linked.guided() ? OnnxTensor.createTensor(env, direct(new float[]{request.cfg()}), new long[0])
                     : null) {
            PinnedOutput out = samplesByBatch.get(batch);
            if (stepCheck == null) {
                stepCheck = new PinnedOutput(env, new long[]{pkg.manifest().steps().size()});
            }
            Map<String, OnnxTensorLike> inputs = new HashMap<>();
            inputs.put(linked.noise(), noise);
            if (card.textConditioned()) {
                conditions.addTo(inputs);
                if (unconditional != null) {
                    Map<String, OnnxTensorLike> u = new HashMap<>();
                    unconditional.addTo(u);
                    for (int i = 0; i < linked.unconditional().size(); i++) {
                        inputs.put(linked.unconditional().get(i), u.get(linked.conditions().get(i)));
                    }
                }
            } else {
                Map<String, OnnxTensorLike> c = new HashMap<>();
                conditions.addTo(c);
                inputs.put(linked.labels(), c.get(card.labelInput()));
            }
            if (scale != null) {
                inputs.put(linked.guidanceScale(), scale);
            }
            long t0 = System.nanoTime();
            session.run(inputs, Set.of(), Map.of(linked.samples(), out.tensor, linked.stepCheck(), stepCheck.tensor),
                    OrtRuntime.runOptions()).close();
            long wall = System.nanoTime() - t0;
            float[] checks = stepCheck.read();
            for (int k = 0; k < checks.length; k++) {
                if (!Float.isFinite(checks[k])) {
                    PackageManifest.Step s = pkg.manifest().steps().get(k);
                    throw new NonFiniteException(file, String.format(java.util.Locale.ROOT, "step %d (model time %.3f): "
                            + "the noise estimate holds NaN or an infinity; the weights may be damaged (`l2c verify`) "
                            + "or the model diverges", k, s.modelTime()));
                }
            }
            progress.advance(evaluations(), wall);
            return new SampleRun.Output(out.read(), new long[0], wall, wall);
        } catch (OrtException e) {
            throw OrtFailures.running(file, "the sampling run", e);
        }
    }

    private static FloatBuffer direct(float[] values) {
        FloatBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(values).rewind();
        return b;
    }

    @Override
    public int evaluations() {
        return pkg.manifest().steps().size();
    }

    @Override
    public boolean[] fullSteps() {
        return pkg.manifest().fullSteps();
    }

    @Override
    public double openSeconds() {
        return openSeconds;
    }

    @Override
    public String describe() {
        return "1 linked model of " + linked.nodes() + " nodes";
    }

    @Override
    public void close() {
        samplesByBatch.close();
        if (stepCheck != null) {
            stepCheck.close();
        }
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session failed", e);
        }
    }
}
