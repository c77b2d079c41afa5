package dev.l2c.learn;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.l2c.analysis.LayerMap;
import dev.l2c.pkg.CacheNames;
import dev.l2c.compiler.CacheStepGraph;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;
import dev.l2c.ir.Model;
import dev.l2c.ir.serde.OnnxWriter;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.runtime.OrtFailures;
import dev.l2c.runtime.MemoryPolicy;
import dev.l2c.runtime.ModelInputs;
import dev.l2c.runtime.OrtRuntime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Runs the probe and blend graphs ({@link RoutingGraphs}) of one model at one fixed model batch:
 * a full evaluation that also yields every branch value, and an evaluation under any routing mask
 * with given cached values. Inputs, the model output and branch values live in native buffers
 * reused from run to run. Not thread-safe.
 */
final class RoutingEvaluator implements AutoCloseable {
    private final ModelCard card;
    private final LayerMap layers;
    private final int batch;
    private final OrtEnvironment env;
    private final OrtSession probe;
    private final OrtSession blend;
    /** The model inputs (sample, timestep, labels), typed as the probe graph declares them. */
    private ModelInputs modelInputs;
    private final FloatBuffer maskBuffer;
    private final FloatBuffer outputBuffer;
    private final OnnxTensor maskTensor;
    private final OnnxTensor outputTensor;
    private final int outputElements;
    private final LoadedModel model;
    private final OrtRuntime.Options options;
    /** Pruned graphs that compute at most one layer and reuse all others, by computed layer (index L: none). */
    private final OrtSession[] reuseAllBut;
    private long runs;
    private long runNanos;

    /**
     * @param batch the model batch every run uses (twice the images under classifier-free guidance)
     */
    RoutingEvaluator(LoadedModel model, int batch, OrtRuntime.Options options) throws L2cException {
        this.card = model.card();
        this.model = model;
        this.options = options;
        this.layers = model.layers();
        this.reuseAllBut = new OrtSession[model.layers().size() + 1];
        this.batch = batch;
        this.env = OrtRuntime.environment(options.threads());
        OrtSession p = null;
        OrtSession b = null;
        try {
            p = open(RoutingGraphs.probe(model.onnx(), layers), options, model);
            b = open(RoutingGraphs.blend(model.onnx(), layers), options, model);
            int outChannels = outputChannels(p, model);
            outputElements = batch * outChannels * card.height() * card.width();
            modelInputs = new ModelInputs(env, card, ModelInputs.Types.of(p, card), batch);
            maskBuffer = direct(layers.size() * 4).asFloatBuffer();
            outputBuffer = direct(outputElements * 4).asFloatBuffer();
            maskTensor = OnnxTensor.createTensor(env, maskBuffer, new long[]{layers.size()});
            outputTensor = OnnxTensor.createTensor(env, outputBuffer, new long[]{batch, outChannels, card.height(), card.width()});
        } catch (OrtException | ProviderException | RuntimeException e) {
            closeQuietly(p);
            closeQuietly(b);
            if (modelInputs != null) {
                modelInputs.close();
            }
            if (e instanceof ProviderException pe) {
                throw pe;
            }
            throw new ProviderException(model.file(), "cannot prepare the learner's graphs: " + e.getMessage());
        }
        this.probe = p;
        this.blend = b;
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    private OrtSession open(Model graph, OrtRuntime.Options options, LoadedModel model) throws L2cException {
        return open(graph, options, model, 1);
    }

    private OrtSession open(Model graph, OrtRuntime.Options options, LoadedModel model, int sharing) throws L2cException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            OnnxWriter.write(graph, OnnxWriter.TensorPlacement.EMBED_ALL, bytes);
        } catch (IOException e) {
            throw new ProviderException(model.file(), "cannot serialise the learner's graph: " + e.getMessage());
        }
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options, options.setup(sharing, 0))) {
            return env.createSession(bytes.toByteArray(), so);
        } catch (OrtException e) {
            throw new ProviderException(model.file(), "ONNX Runtime cannot load the learner's graph: "
                    + e.getMessage().split("\n")[0]);
        }
    }

    private int outputChannels(OrtSession session, LoadedModel model) throws L2cException {
        try {
            long[] shape = ((TensorInfo) session.getOutputInfo().get(card.output()).getInfo()).getShape();
            return (int) (shape.length == 4 && shape[1] > 0 ? shape[1] : card.channels() * (card.learnedSigma() ? 2L : 1L));
        } catch (OrtException | RuntimeException e) {
            throw new ProviderException(model.file(), "cannot read the output '" + card.output() + "': " + e.getMessage());
        }
    }

    int batch() {
        return batch;
    }

    /** A branch cache of this evaluator's batch. */
    BranchCache newCache() throws L2cException {
        return new BranchCache(env, layers, batch);
    }

    /**
     * A full evaluation of {@code in}; when {@code branchesInto} is not null every branch value is
     * written into it.
     */
    float[] probe(ModelInput in, BranchCache branchesInto) throws L2cException {
        Map<String, OnnxTensorLike> inputs = set(in);
        Map<String, OnnxValue> pinned = new HashMap<>();
        pinned.put(card.output(), outputTensor);
        if (branchesInto != null) {
            for (int j = 0; j < layers.size(); j++) {
                pinned.put(CacheNames.of(j), branchesInto.tensor(j));
            }
        }
        run(probe, inputs, pinned, "the full evaluation");
        return readOutput();
    }

    /**
     * An evaluation of {@code in} in which layer j takes {@code cached}'s value when mask[j] = 1
     * (and its computed value when 0). When {@code freshInto} is not null, the computed branch
     * values are written into it (for every layer, whatever the mask).
     */
    float[] blend(ModelInput in, BranchCache cached, float[] mask, BranchCache freshInto) throws L2cException {
        if (mask.length != layers.size()) {
            throw new IllegalArgumentException("mask of " + mask.length + " values for " + layers.size() + " layers");
        }
        Map<String, OnnxTensorLike> inputs = set(in);
        maskBuffer.clear();
        maskBuffer.put(mask);
        inputs.put(RoutingGraphs.MASK, maskTensor);
        for (int j = 0; j < layers.size(); j++) {
            inputs.put(CacheNames.of(j), cached.tensor(j));
        }
        Map<String, OnnxValue> pinned = new HashMap<>();
        pinned.put(card.output(), outputTensor);
        if (freshInto != null) {
            for (int j = 0; j < layers.size(); j++) {
                pinned.put(RoutingGraphs.freshName(j), freshInto.tensor(j));
            }
        }
        run(blend, inputs, pinned, "an evaluation with cached branches");
        return readOutput();
    }

    /**
     * An evaluation of {@code in} that reuses {@code cached}'s value for every layer except
     * {@code computed} (−1: every layer reused). Runs a graph pruned to that one layer (compiled on
     * first use, as {@code l2c compile} would), so it costs a small fraction of a full evaluation.
     */
    float[] reuseAllBut(ModelInput in, BranchCache cached, int computed) throws L2cException {
        int l = layers.size();
        int slot = computed < 0 ? l : computed;
        int[] reads = new int[computed < 0 ? l : l - 1];
        int r = 0;
        for (int j = 0; j < l; j++) {
            if (j != computed) {
                reads[r++] = j;
            }
        }
        if (reuseAllBut[slot] == null) {
            Model pruned = CacheStepGraph.build(model.onnx(), layers, reads, new int[0]).model();
            // many small graphs, each run a few times: no per-session copies of prepacked weights
            reuseAllBut[slot] = open(pruned, options.withMemory(MemoryPolicy.LEAN), model, l + 1);
        }
        Map<String, OnnxTensorLike> inputs = set(in);
        for (int j : reads) {
            inputs.put(CacheNames.of(j), cached.tensor(j));
        }
        Map<String, OnnxValue> pinned = new HashMap<>();
        pinned.put(card.output(), outputTensor);
        run(reuseAllBut[slot], inputs, pinned, "an evaluation reusing all but one layer");
        return readOutput();
    }

    /** Writes {@code in} into the model inputs and returns them by name (a fresh map the caller adds to). */
    private Map<String, OnnxTensorLike> set(ModelInput in) {
        if (in.batch() != batch) {
            throw new IllegalArgumentException("input of batch " + in.batch() + " for an evaluator of batch " + batch);
        }
        return modelInputs.write(in.x(), in.modelTime(), in.conditions());
    }

    private void run(OrtSession session, Map<String, OnnxTensorLike> inputs, Map<String, OnnxValue> pinned, String what)
            throws L2cException {
        long t0 = System.nanoTime();
        try {
            session.run(inputs, Set.of(), pinned, OrtRuntime.runOptions()).close();
        } catch (OrtException e) {
            throw OrtFailures.running(null, what, e);
        }
        runNanos += System.nanoTime() - t0;
        runs++;
    }

    private float[] readOutput() {
        float[] out = new float[outputElements];
        FloatBuffer b = outputBuffer.duplicate();
        b.clear();
        b.get(out);
        return out;
    }

    /** Model evaluations run so far. */
    long runs() {
        return runs;
    }

    /** Time inside ONNX Runtime so far. */
    long runNanos() {
        return runNanos;
    }

    @Override
    public void close() {
        modelInputs.close();
        maskTensor.close();
        outputTensor.close();
        closeQuietly(probe);
        closeQuietly(blend);
        for (OrtSession s : reuseAllBut) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(OrtSession s) {
        if (s != null) {
            try {
                s.close();
            } catch (OrtException e) {
                throw new IllegalStateException("closing a session failed", e);
            }
        }
    }
}
