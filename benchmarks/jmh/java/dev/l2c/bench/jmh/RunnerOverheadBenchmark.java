package dev.l2c.bench.jmh;

import dev.l2c.pkg.CompiledPackage;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.runtime.InitialNoise;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.PackageExecutor;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.Sampler;
import org.openjdk.jmh.annotations.AuxCounters;
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

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A whole DDIM-20 sampling run of the embedded DiT's reference package through the runner (sampler,
 * guidance, input buffers, cache hand-over), at 1 and 8 images (model batch 2 and 16 with CFG). The
 * auxiliary counters split each run into time inside ONNX Runtime's run calls and the rest; the
 * runner's per-step overhead is {@code outsideOrtMs / 20} and its share {@code outsideOrtMs / (ortMs +
 * outsideOrtMs)} (target ≤ 1 %).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
public class RunnerOverheadBenchmark {

    @Param({"1", "8"})
    int images;

    private Path pkg;
    private PackageExecutor executor;
    private LoadedModel model;
    private Sampler sampler;
    private SampleRun.Request request;

    /** Time per run inside and outside ONNX Runtime, in ms, averaged by JMH over the runs. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Split {
        public double ortMs;
        public double outsideOrtMs;
        public long runs;

        @Setup(Level.Iteration)
        public void clear() {
            ortMs = 0;
            outsideOrtMs = 0;
            runs = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        model = LoadedModel.load(DemoPackages.MODEL, null, null);
        pkg = DemoPackages.referencePackage(model);
        executor = new PackageExecutor(CompiledPackage.open(pkg), OrtRuntime.Options.cpu());
        sampler = DemoPackages.ddim20(model);
        long[] labels = new long[images];
        for (int i = 0; i < images; i++) {
            labels[i] = i % 10;
        }
        request = new SampleRun.Request(InitialNoise.gaussian(3, images * 784), labels, 1.5f);
    }

    @Benchmark
    public float[] sample(Split split) throws Exception {
        try (Progress quiet = Progress.start("jmh", 20, false)) {
            SampleRun.Output o = SampleRun.run(executor, model.card(), sampler, request, quiet);
            split.ortMs += o.ortNanos() / 1e6;
            split.outsideOrtMs += (o.wallNanos() - o.ortNanos()) / 1e6;
            split.runs++;
            return o.samples();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        executor.close();
        DemoPackages.delete(pkg);
    }
}
