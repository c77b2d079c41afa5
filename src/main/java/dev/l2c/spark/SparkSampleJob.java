package dev.l2c.spark;

import dev.l2c.runtime.MemoryPolicy;
import dev.l2c.runtime.OrtRuntime;

import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.BatchedSampling;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The Spark job: generates images from a compiled package (stepwise or linked) across a cluster and writes
 * them as a Parquet table. Run it with spark-submit:
 *
 * <pre>
 * spark-submit --master local[2] --class dev.l2c.spark.SparkSampleJob target/l2c-spark.jar \
 *     out/dit-l2c --count 1000 --seed 7 -o out/samples.parquet
 * </pre>
 *
 * <p>Order of work: options checked; the package verified (every file against its SHA-256, the weights
 * included), so a damaged package stops the job with one line before anything runs; the requests made
 * (a count) or read and checked row by row (a table); one Spark job then samples every partition on the
 * executors ({@link PartitionSampler}) and writes the table, which Spark's Parquet writer commits whole
 * or not at all; last, a summary line.
 */
@Command(name = "l2c-spark", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = SparkSampleJob.Version.class,
        description = {"Generate images with a compiled l2c package on Apache Spark and write them as a Parquet table "
                + "(id, label, seed, guidance_scale, schedule_sha256, sample and/or png, error).",
                "A row's noise comes from its seed alone: the table does not depend on partitions, executors or retries."})
public final class SparkSampleJob implements Callable<Integer> {
    /** Rows per partition the default partitioning aims at, so that a retried task redoes little. */
    static final int ROWS_PER_PARTITION = 1024;
    /**
     * Largest default batch: l2c sample's (larger batches are slower per image on the CPU), which also
     * keeps small the padding of each partition's last batch per guidance scale.
     */
    static final int MAX_DEFAULT_BATCH = BatchedSampling.MAX_DEFAULT_BATCH;
    /** More images than this in one job is surely a typo. */
    static final long MAX_IMAGES = 1L << 40;

    @Parameters(paramLabel = "PKG|spark:NAME", description = "The package: a folder every executor can read under this "
            + "path (a shared filesystem), or spark:NAME for one shipped with spark-submit --archives PKG.zip#NAME "
            + "(spark: alone for its files shipped with --files).")
    String target;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Requests requests;

    static final class Requests {
        @Option(names = {"-n", "--count"}, paramLabel = "N", description = "Generate N images: ids 0..N-1, seeds from "
                + "--seed, labels from --labels.")
        Long count;

        @Option(names = "--requests", paramLabel = "FILE", description = "A table of requests, one image per row: "
                + "id, label, seed and optionally guidance_scale (CSV with a header, JSON lines, or Parquet; any path "
                + "Spark reads).")
        String table;

        /** The checked requests in their partitions, how many rows, how many partitions. */
        record Partitioned(Dataset<Row> requests, long rows, int partitions) {
        }

        Partitioned partitioned(SparkSession spark, ModelCard card, float scale, boolean unguidedOnly, long[] labels,
                                List<String> prompts, long seed, String format, Integer partitions) throws L2cException {
            boolean text = card.textConditioned();
            if (count != null) {
                int p = partitions != null ? partitions : defaultPartitions(spark, count);
                if (text) {
                    List<String> use = prompts != null ? prompts : ((Conditioning.TextTokens) card.conditioning()).prompts();
                    if (use.isEmpty()) {
                        throw new UsageException("the package is text-conditioned: give --prompt TEXT");
                    }
                    return new Partitioned(RequestSources.fromCountWithPrompts(spark, count, p, seed, use, scale), count, p);
                }
                checkLabels(labels, card);
                return new Partitioned(RequestSources.fromCount(spark, count, p, seed, labels, card.classes(), scale),
                        count, p);
            }
            Dataset<Row> raw = RequestSources.readTable(spark, table, RequestSources.format(table, format), text);
            long rows = raw.count();
            int p = partitions != null ? partitions : defaultPartitions(spark, rows);
            return new Partitioned(RequestSources.fromTable(raw, new RequestParser(text ? 0 : card.classes(), text, scale,
                    unguidedOnly), p), rows, p);
        }
    }

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "With --count: the base seed; row i's "
            + "seed is the i-th SplitMix64 output from it (default 0).")
    long seed;

    @Option(names = "--labels", split = ",", paramLabel = "L,L,...", description = "With --count: labels, cycled over "
            + "the rows (default: 0,1,2,... through the classes).")
    long[] labels;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "With --count and a text-conditioned package: a "
            + "prompt, repeat for several, cycled over the rows (default: the card's prompts).")
    List<String> prompts;

    @Option(names = "--format", paramLabel = "csv|json|parquet", description = "Format of --requests (default: from "
            + "the file name).")
    String format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "The Parquet table to write "
            + "(any path Spark writes).")
    String output;

    @Option(names = "--overwrite", description = "Replace an existing output table.")
    boolean overwrite;

    @Option(names = "--store", defaultValue = "array", paramLabel = "array|png|both", description = "What the table "
            + "holds of each sample: the float array [C*H*W], its PNG, or both (default array).")
    String store;

    @Option(names = "--png-folder", paramLabel = "DIR", description = "Also write each image as DIR/ID.png (a folder "
            + "every executor can write: local, or a shared filesystem).")
    Path pngFolder;

    @Option(names = "--cfg", paramLabel = "SCALE", description = "Guidance scale of --count rows, and of request rows "
            + "without one (default: the card's).")
    Float cfg;

    @Option(names = "--batch", paramLabel = "B", description = "Images per model run, always full (a partition pads "
            + "its last batch); default: as for l2c sample, at most " + MAX_DEFAULT_BATCH + ".")
    Integer batch;

    @Option(names = "--partitions", paramLabel = "P", description = "Partitions (tasks) of the requests (default: "
            + "the cluster's cores, or one per " + ROWS_PER_PARTITION + " rows if more).")
    Integer partitions;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "ONNX Runtime intra-op threads per "
            + "executor (0: spark.executor.cores, else every core).")
    int threads;

    @Option(names = "--memory", defaultValue = "auto", paramLabel = "POLICY", description = MemoryPolicy.HELP)
    String memory;

    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "cpu|cuda", description = OrtRuntime.Options.PROVIDER_HELP)
    String provider;

    @Option(names = "--ort-cache", defaultValue = "auto", paramLabel = "DIR|auto|off", description = "Where executors "
            + "keep linked models' optimized form (as l2c sample; auto resolves on each executor).")
    String ortCache;

    @Option(names = "--summary", paramLabel = "FILE.json", description = "Also write the summary as JSON (on the "
            + "driver).")
    Path summaryFile;

    @Option(names = "--verbose", description = "Show stack traces of errors.")
    boolean verbose;

    /** The session the job runs in: spark-submit's (built from its configuration), or a caller's. */
    private Supplier<SparkSession> sessions = () -> SparkSession.builder().appName("l2c-spark").getOrCreate();
    private SparkSession session;
    private PrintWriter out = new PrintWriter(System.out, true);

    /** spark-submit's entry point: exits non-zero with one line on a problem, returns normally when done. */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        SparkSampleJob job = new SparkSampleJob();
        int code = run(job, out, err, args);
        if (job.session != null) {
            job.session.stop();
        }
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the job in an existing session (tests, notebooks); returns the exit status. */
    public static int run(SparkSession spark, PrintWriter out, PrintWriter err, String... args) {
        SparkSampleJob job = new SparkSampleJob();
        job.sessions = () -> spark;
        return run(job, out, err, args);
    }

    private static int run(SparkSampleJob job, PrintWriter out, PrintWriter err, String... args) {
        job.out = out;
        CommandLine cl = new CommandLine(job);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            L2cException user = userError(ex);
            if (user != null) {
                err.println("l2c-spark: " + user.getMessage());
                if (job.verbose) {
                    ex.printStackTrace(err);
                }
                err.flush();
                return user.exitCode();
            }
            err.println("l2c-spark: the job failed: " + firstLine(ex));
            ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("l2c-spark: " + ex.getMessage());
            err.println("(run with --help for the options)");
            err.flush();
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws L2cException {
        long start = System.nanoTime();
        SampleTables.Store stored = checkOptions();
        PackageLocation location = PackageLocation.parse(target);
        // a shared path is verified before Spark starts; a shipped package once Spark has unpacked it
        CompiledPackage pkg = location.sparkFiles() ? null : verify(location);
        SparkSession spark = sessions.get();
        session = spark;
        if (pkg == null) {
            pkg = verify(location);
        }
        PackageManifest manifest = pkg.manifest();
        ModelCard card = manifest.card();
        boolean unguidedOnly = manifest.unguidedOnly();
        float scale = manifest.guidanceScale(cfg, pkg.folder());
        checkOutputs(spark);
        int b = batch != null ? batch : defaultBatch(manifest, scale != 1f);
        if (card.textConditioned() && labels != null) {
            throw new UsageException("the package is text-conditioned: give --prompt TEXT, not --labels");
        }
        if (!card.textConditioned() && prompts != null) {
            throw new UsageException("the package is class-conditional: give --labels, not --prompt");
        }
        Requests.Partitioned checked = requests.partitioned(spark, card, scale, unguidedOnly, labels, prompts, seed, format,
                partitions);
        CollectionAccumulator<ExecutorTally> tallies = spark.sparkContext().collectionAccumulator("l2c images per task");
        PartitionSampler sampler = new PartitionSampler(location, ExecutorPackages.manifestSha256(pkg.folder()),
                RunSettings.of(provider, threads, memory, ortCache), b, stored,
                pngFolder == null ? null : new PngFolder(pngFolder.toAbsolutePath().toString()), tallies);
        spark.sparkContext().setJobDescription(String.format(Locale.ROOT, "l2c: %d images from %s, batch %d",
                checked.rows(), target, b));
        double setup = (System.nanoTime() - start) / 1e9;
        long t0 = System.nanoTime();
        try {
            checked.requests().mapPartitions(sampler, Encoders.row(SampleTables.output(stored)))
                    .write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        JobSummary summary = JobSummary.of(output, checked.partitions(), b, seconds, setup, tallies.value());
        out.println("l2c-spark: " + summary.line());
        if (summaryFile != null) {
            summary.writeJson(summaryFile);
        }
        return 0;
    }

    private SampleTables.Store checkOptions() throws UsageException {
        SampleTables.Store stored = switch (store.toLowerCase(Locale.ROOT)) {
            case "array" -> SampleTables.Store.ARRAY;
            case "png" -> SampleTables.Store.PNG;
            case "both" -> SampleTables.Store.BOTH;
            default -> throw new UsageException("--store must be array, png or both, not '" + store + "'");
        };
        if (requests.count != null && (requests.count < 1 || requests.count > MAX_IMAGES)) {
            throw new UsageException("--count must be between 1 and " + MAX_IMAGES + ", not " + requests.count);
        }
        if (requests.table != null && labels != null) {
            throw new UsageException("--labels is for --count; a request table gives each row's label");
        }
        if (requests.table != null && prompts != null) {
            throw new UsageException("--prompt is for --count; a request table gives each row's prompt");
        }
        if (batch != null && (batch < 1 || batch > 4096)) {
            throw new UsageException("--batch must be between 1 and 4096, not " + batch);
        }
        if (partitions != null && partitions < 1) {
            throw new UsageException("--partitions must be at least 1, not " + partitions);
        }
        if (cfg != null && !Float.isFinite(cfg)) {
            throw new UsageException("--cfg must be a finite number, not " + cfg);
        }
        if (summaryFile != null && !summaryFile.getFileName().toString().endsWith(".json")) {
            throw new UsageException("--summary writes JSON: name it FILE.json, not " + summaryFile);
        }
        RunSettings.of(provider, threads, memory, ortCache);
        return stored;
    }

    /** The whole package against its manifest, weights included: a damaged package stops the job here. */
    private static CompiledPackage verify(PackageLocation location) throws InvalidInputException {
        Path folder = location.resolve();
        if (!CompiledPackage.isPackage(folder)) {
            throw new InvalidInputException(folder, Files.isDirectory(folder)
                    ? "is a folder without " + PackageFiles.MANIFEST + ": not an l2c package (compile one with "
                    + "`l2c compile`)" : "no such package folder");
        }
        CompiledPackage pkg = ManifestConsistency.open(folder);
        pkg.verify();
        return pkg;
    }

    private static void checkLabels(long[] labels, ModelCard card) throws UsageException {
        if (labels == null) {
            return;
        }
        for (long label : labels) {
            if (label < 0 || label >= card.classes()) {
                throw new UsageException("label " + label + " is outside 0.." + (card.classes() - 1));
            }
        }
    }

    /** Before any work: the output table absent (or --overwrite), the request table present. */
    private void checkOutputs(SparkSession spark) throws L2cException {
        if (!overwrite && exists(spark, output)) {
            throw new OutputException(Path.of(output), "already exists; pass --overwrite to replace it");
        }
        if (requests.table != null && !exists(spark, requests.table)) {
            throw new InvalidInputException(Path.of(requests.table), "no such request table");
        }
        if (summaryFile != null) {
            Path parent = summaryFile.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new OutputException(summaryFile, "cannot write: folder " + parent + " does not exist");
            }
        }
        if (pngFolder != null) {
            try {
                Files.createDirectories(pngFolder);
            } catch (IOException e) {
                throw new OutputException(pngFolder, "cannot create the PNG folder: " + e.getMessage());
            }
        }
    }

    private static boolean exists(SparkSession spark, String path) throws InvalidInputException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(p);
        } catch (IOException e) {
            throw new InvalidInputException(Path.of(path), "cannot reach: " + e.getMessage());
        }
    }

    /** As l2c sample sizes a batch for 1 GiB of activations, at most {@link #MAX_DEFAULT_BATCH}. */
    static int defaultBatch(PackageManifest m, boolean guided) {
        long tokenBytes = m.layers().size() == 0 ? 0 : m.layers().layers().get(0).bytesPerSample();
        long perImage = BatchedSampling.bytesPerImage(tokenBytes, m.totals().peakCacheBytesPerSample(), guided);
        return Math.min(MAX_DEFAULT_BATCH, BatchedSampling.defaultBatch(Long.MAX_VALUE, perImage));
    }

    private static int defaultPartitions(SparkSession spark, long rows) {
        long byRows = (rows + ROWS_PER_PARTITION - 1) / ROWS_PER_PARTITION;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.max(spark.sparkContext().defaultParallelism(), byRows)));
    }

    /** Our error in a failure's causes: a task's failure reaches the driver wrapped by Spark. */
    private static L2cException userError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof L2cException e) {
                return e;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }

    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{dev.l2c.ToolVersion.nameAndVersion() + " (Spark job)"};
        }
    }
}
