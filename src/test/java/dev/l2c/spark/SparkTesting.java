package dev.l2c.spark;

import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.io.AtomicOutput;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.schedule.ReferenceSchedules;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the Spark tests share: one local Spark session for the whole test JVM (two task threads, each task
 * tried twice so that a test can make one fail), and packages of the embedded DiT with a 4-step DDIM
 * schedule (the reference mask: full and cache steps), compiled once.
 */
final class SparkTesting {
    static final Path DIT = Path.of("onnx-models/dit_fmnist.onnx");
    static final int STEPS = 4;
    /** local[2] with up to two attempts per task: local mode otherwise gives up at a task's first failure. */
    static final String MASTER = "local[2,2]";

    private static SparkSession session;
    private static Path packages;
    private static final Map<Boolean, Path> COMPILED = new TreeMap<>();

    private SparkTesting() {
    }

    static synchronized SparkSession spark() {
        if (session == null) {
            session = SparkSession.builder().master(MASTER).appName("l2c-spark-tests")
                    .config("spark.ui.enabled", "false")
                    // loopback only: the tests talk to nothing but themselves
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .getOrCreate();
        }
        return session;
    }

    /** The embedded DiT compiled with a 4-step DDIM reference schedule: stepwise, or linked with guidance. */
    static synchronized Path ditPackage(boolean linked) throws Exception {
        if (packages == null) {
            packages = Files.createTempDirectory("l2c-spark-test-packages-");
            Path dir = packages;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> AtomicOutput.deleteTreeQuietly(dir)));
        }
        Path pkg = COMPILED.get(linked);
        if (pkg == null) {
            LoadedModel dit = LoadedModel.load(DIT, null, null);
            pkg = packages.resolve(linked ? "dit-ddim4-linked" : "dit-ddim4");
            ScheduleCompiler.compile(dit, ReferenceSchedules.referenceAlternating(STEPS, dit.layers().size()),
                    Path.of("reference-ddim4.json"), dit.card().sampler("ddim", STEPS, true), pkg,
                    linked ? ScheduleCompiler.Options.linked(true) : ScheduleCompiler.Options.stepwise());
            COMPILED.put(linked, pkg);
        }
        return pkg;
    }

    /** What a job run printed and returned. */
    record Outcome(int code, String out, String err) {
    }

    static Outcome runJob(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SparkSampleJob.run(spark(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /** Runs a job that must succeed. */
    static Outcome runJobOk(String... args) {
        Outcome o = runJob(args);
        assertEquals(0, o.code(), "job " + String.join(" ", args) + " failed: " + o.err());
        return o;
    }

    /** An output table's rows by id (rows without an id last, under Long.MAX_VALUE downwards). */
    static Map<Long, Row> rowsById(Path table) {
        List<Row> rows = spark().read().parquet(table.toString()).collectAsList();
        Map<Long, Row> byId = new TreeMap<>();
        long noId = Long.MAX_VALUE;
        for (Row r : rows) {
            Long id = r.isNullAt(r.fieldIndex(SampleTables.ID)) ? null : r.getLong(r.fieldIndex(SampleTables.ID));
            byId.put(id != null ? id : noId--, r);
        }
        assertEquals(rows.size(), byId.size(), "ids are unique in " + table);
        return byId;
    }

    /** A row's sample as floats. */
    static float[] sample(Row r) {
        List<Float> values = r.getList(r.fieldIndex(SampleTables.SAMPLE));
        float[] a = new float[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }

    /** The bit patterns of floats: what "bit-identical" compares. */
    static int[] bits(float[] values) {
        int[] b = new int[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = Float.floatToRawIntBits(values[i]);
        }
        return b;
    }

    /** The package folder as the zip archive Spark's {@code --archives} ships (files at the archive's top). */
    static void zipPackage(Path pkg, Path zip) throws java.io.IOException {
        try (java.io.OutputStream f = Files.newOutputStream(zip); java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(f);
             var files = Files.list(pkg)) {
            for (Path p : files.toList()) {
                z.putNextEntry(new java.util.zip.ZipEntry(p.getFileName().toString()));
                Files.copy(p, z);
                z.closeEntry();
            }
        }
    }
}
