package dev.l2c.runtime;

import dev.l2c.conditioning.Conditions;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;
import dev.l2c.modelcard.ModelCard;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a stepwise package: one session per distinct step graph, created once and reused. Cached
 * branch values stay in ONNX Runtime's memory: the tensor a step outputs is handed as-is to the steps
 * that read it (no copy into Java), and is freed after the step the manifest names in its
 * {@code free_after}.
 *
 * <p>All sessions map the same external weights file. With prepacking off (the default when a
 * package has several graphs) the weights are resident once, shared through the page cache.
 */
public final class PackageExecutor implements ModelExecutor {
    private final CompiledPackage pkg;
    private final PackageManifest manifest;
    private final ModelCard card;
    private final OrtEnvironment env;
    private final Map<String, OrtSession> sessions = new LinkedHashMap<>();
    /** The weights mapped once for all sessions (lean memory), or null. */
    private final SharedWeights sharedWeights;
    private final long outputChannels;
    private final PerBatch<StepTensors> tensors;
    /** Live cache tensors by (layer, producing step). */
    private final Map<Long, OnnxTensor> live = new HashMap<>();
    private final List<Set<String>> requestedOutputs = new ArrayList<>();
    private int nextEvaluation;
    /** What the memory policy means for this package's sessions. */
    private final MemoryPolicy.SessionSetup setup;
    private long runNanos;

    public PackageExecutor(CompiledPackage pkg, OrtRuntime.Options options) throws L2cException {
        this.pkg = pkg;
        this.manifest = pkg.manifest();
        if (manifest.isLinked()) {
            throw new IllegalArgumentException(pkg.folder() + " is a linked package; run it with LinkedModelRun");
        }
        this.card = manifest.card();
        this.env = OrtRuntime.environment(options.threads());
        List<String> graphs = manifest.onnxFiles();
        long tokenBytes = manifest.layers().size() == 0 ? 0 : manifest.layers().layers().get(0).bytesPerSample();
        this.setup = options.setup(graphs.size(), BatchedSampling.predictedArenaBytesPerGraph(tokenBytes,
                manifest.totals().peakCacheBytesPerSample()));
        this.sharedWeights = setup.mappedWeights() ? SharedWeights.map(env, pkg.folder(), graphs) : null;
        ModelInputs.Types types;
        try {
            for (String g : graphs) {
                try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options, setup)) {
                    if (sharedWeights != null) {
                        sharedWeights.addTo(so, g);
                    }
                    sessions.put(g, OrtRuntime.open(pkg.file(g), so));
                }
            }
            // every step graph has the source model's inputs; the first one declares their types
            types = PlainModelExecutor.inputTypes(sessions.get(graphs.get(0)), card, pkg.file(graphs.get(0)));
        } catch (L2cException e) {
            closeSessions();
            throw e;
        }
        this.outputChannels = manifest.model().outputChannels();
        this.tensors = new PerBatch<>(batch -> new StepTensors(env, card, types, batch, outputChannels));
        for (PackageManifest.Step s : manifest.steps()) {
            // the model output is pinned (written into our buffer); only cache outputs are allocated by ONNX Runtime
            Set<String> req = new HashSet<>();
            for (PackageManifest.CacheOutput o : s.cacheOutputs()) {
                req.add(o.name());
            }
            requestedOutputs.add(Set.copyOf(req));
        }
    }

    private static long key(int layer, int step) {
        return ((long) layer << 32) | step;
    }


    /** What the memory policy means for this package's sessions (AUTO resolved). */
    public MemoryPolicy.SessionSetup setup() {
        return setup;
    }

    /** Bytes of weights mapped once and shared by every session; 0 when each session loads its own. */
    public long sharedWeightBytes() {
        return sharedWeights == null ? 0 : sharedWeights.bytes();
    }

    @Override
    public float[] evaluate(int evaluation, float[] x, int batch, double timestep, Conditions labels) throws L2cException {
        if (evaluation != nextEvaluation) {
            throw new IllegalStateException("evaluations must run in order: expected " + nextEvaluation + ", got " + evaluation);
        }
        if (evaluation >= manifest.steps().size()) {
            throw new IllegalStateException("the package has " + manifest.steps().size() + " steps, asked for " + evaluation);
        }
        PackageManifest.Step step = manifest.steps().get(evaluation);
        try {
            StepTensors io = tensors.get(batch);
            PinnedOutput out = io.output;
            Map<String, OnnxTensorLike> inputs = io.write(x, timestep, labels);
            for (PackageManifest.CacheInput in : step.cacheInputs()) {
                OnnxTensor t = live.get(key(in.layer(), in.fromStep()));
                if (t == null) {
                    throw new IllegalStateException("step " + evaluation + " reads layer " + in.layer() + " from step "
                            + in.fromStep() + ", which is not live");
                }
                inputs.put(in.name(), t);
            }
            OrtSession session = sessions.get(step.graph());
            long t0 = System.nanoTime();
            OrtSession.Result result = session.run(inputs, requestedOutputs.get(evaluation), Map.of(card.output(), out.tensor),
                    OrtRuntime.runOptions());
            runNanos += System.nanoTime() - t0;
            // The Result is not closed: it would close the cache tensors, which live on until their last reader.
            for (PackageManifest.CacheOutput o : step.cacheOutputs()) {
                OnnxValue v = result.get(o.name()).orElseThrow(() ->
                        new IllegalStateException("graph " + step.graph() + " did not output " + o.name()));
                live.put(key(o.layer(), evaluation), (OnnxTensor) v);
            }
            for (PackageManifest.CacheRelease r : step.freeAfter()) {
                OnnxTensor t = live.remove(key(r.layer(), r.fromStep()));
                if (t == null) {
                    throw new IllegalStateException("step " + evaluation + " frees layer " + r.layer() + " from step "
                            + r.fromStep() + ", which is not live");
                }
                t.close();
            }
            nextEvaluation++;
            return Finite.check(out.read(), pkg.file(step.graph()), evaluation, timestep);
        } catch (OrtException e) {
            throw OrtFailures.running(pkg.file(step.graph()), "step " + evaluation, e);
        }
    }

    /** Cache tensors alive now (0 after a complete run: every cache was freed by its last reader). */
    public int liveCacheTensors() {
        return live.size();
    }

    @Override
    public void reset() {
        live.values().forEach(OnnxTensor::close);
        live.clear();
        nextEvaluation = 0;
    }

    @Override
    public int evaluations() {
        return manifest.steps().size();
    }

    @Override
    public long runNanos() {
        return runNanos;
    }

    public int sessionCount() {
        return sessions.size();
    }

    @Override
    public void close() {
        reset();
        tensors.close();
        closeSessions();
    }

    private void closeSessions() {
        for (OrtSession s : sessions.values()) {
            try {
                s.close();
            } catch (OrtException e) {
                throw new IllegalStateException("closing a session failed", e);
            }
        }
        sessions.clear();
        if (sharedWeights != null) {
            sharedWeights.close(); // after the sessions: they read these buffers
        }
    }
}
