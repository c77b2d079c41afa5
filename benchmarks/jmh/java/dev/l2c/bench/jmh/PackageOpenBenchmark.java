package dev.l2c.bench.jmh;

import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.schedule.ScheduleJson;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What checking a package costs when it is opened (issue 24): the manifest read with its digest and
 * the files' checksums (graphs and schedule hashed, the weights' size) against that plus the
 * re-derivation of the manifest's sampler terms, timesteps and cache plan, which every runner open
 * does. {@code pkg}: {@code demo-forecast} compiles the demo DiT with the learned 65 % forecast
 * schedule (14 graphs); any other value is the path of an existing package (e.g. a DiT-XL/2 package
 * from {@code benchmarks/run.sh xl}: {@code -p pkg=/tmp/l2c-xl/...}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
public class PackageOpenBenchmark {

    @Param({"demo-forecast"})
    String pkg;

    private Path folder;
    private boolean compiled;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (pkg.equals("demo-forecast")) {
            LoadedModel m = LoadedModel.load(DemoPackages.MODEL, null, null);
            folder = Files.createTempDirectory("l2c-jmh-").resolve("package");
            Path schedule = Path.of("schedules/dit_fmnist_ddim20_forecast_r65.json");
            ScheduleCompiler.compile(m, ScheduleJson.read(schedule), schedule, DemoPackages.ddim20(m), folder);
            compiled = true;
        } else {
            folder = Path.of(pkg);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (compiled) {
            DemoPackages.delete(folder);
        }
    }

    /** Manifest, its digest, the graphs' and schedule's SHA-256, the weights' size. */
    @Benchmark
    public Object filesAndDigest() throws Exception {
        return CompiledPackage.open(folder);
    }

    /** The same plus the re-derived sampler terms, timesteps and cache plan: what `sample` does. */
    @Benchmark
    public Object filesDigestAndDerivedFields() throws Exception {
        return ManifestConsistency.open(folder);
    }
}
