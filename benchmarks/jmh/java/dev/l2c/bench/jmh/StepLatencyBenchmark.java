package dev.l2c.bench.jmh;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.runtime.OrtRuntime;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Latency of one step graph of the embedded DiT's reference package under ONNX Runtime: the full step
 * (which also outputs the caches the next step reads) and the cache step (two thirds of the branches
 * cut), at model batch 2 and 16, with memory policies speed (prepacked weights, arena), balanced (arena only) and lean (neither). This is ONNX Runtime's run call
 * alone; {@link RunnerOverheadBenchmark} measures what the runner adds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
public class StepLatencyBenchmark {

    @Param({"2", "16"})
    int batch;

    @Param({"full", "cache"})
    String step;

    @Param({"speed", "balanced", "lean"})
    String memory;

    private Path pkg;
    private OrtSession session;
    private OrtSession fullSession;
    private final Map<String, OnnxTensorLike> inputs = new HashMap<>();
    private Set<String> requested;
    private OnnxTensor out;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        LoadedModel m = LoadedModel.load(DemoPackages.MODEL, null, null);
        pkg = DemoPackages.referencePackage(m);
        PackageManifest manifest = CompiledPackage.open(pkg).manifest();
        OrtRuntime.Options options = OrtRuntime.Options.cpu().withMemory(dev.l2c.runtime.MemoryPolicy.parse(memory));
        OrtEnvironment env = OrtRuntime.environment(0);
        PackageManifest.Step full = manifest.steps().get(0);
        PackageManifest.Step cache = manifest.steps().get(1);
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(options)) {
            fullSession = OrtRuntime.open(pkg.resolve(full.graph()), so);
            session = step.equals("full") ? fullSession : OrtRuntime.open(pkg.resolve(cache.graph()), so);
        }
        Random r = new Random(1);
        float[] x = new float[batch * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        long[] t = new long[batch];
        long[] y = new long[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = 500;
            y[i] = i % 11;
        }
        inputs.put("x", OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{batch, 1, 28, 28}));
        inputs.put("t", OnnxTensor.createTensor(env, LongBuffer.wrap(t), new long[]{batch}));
        inputs.put("y", OnnxTensor.createTensor(env, LongBuffer.wrap(y), new long[]{batch}));
        out = OnnxTensor.createTensor(env, FloatBuffer.allocate(batch * 784), new long[]{batch, 1, 28, 28});
        Set<String> fullOutputs = new HashSet<>();
        full.cacheOutputs().forEach(o -> fullOutputs.add(o.name()));
        if (step.equals("cache")) {
            // the cached values a cache step reads come from a real full step
            OrtSession.Result res = fullSession.run(inputs, fullOutputs, Map.of("out", out));
            for (PackageManifest.CacheInput in : cache.cacheInputs()) {
                OnnxValue v = res.get(in.name()).orElseThrow();
                inputs.put(in.name(), (OnnxTensor) v);
            }
            requested = Set.of();
        } else {
            requested = fullOutputs;
        }
    }

    @Benchmark
    public void run() throws Exception {
        OrtSession.Result r = session.run(inputs, requested, Map.of("out", out));
        r.close(); // frees the cache outputs of a full step; the pinned output is not owned by the result
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (OnnxTensorLike t : List.copyOf(inputs.values())) {
            t.close();
        }
        out.close();
        if (session != fullSession) {
            session.close();
        }
        fullSession.close();
        DemoPackages.delete(pkg);
    }
}
