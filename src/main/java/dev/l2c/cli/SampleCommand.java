package dev.l2c.cli;

import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.conditioning.ConditionSource;
import dev.l2c.conditioning.Conditions;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.OutputException;
import dev.l2c.error.UsageException;
import dev.l2c.runtime.ProcessMemory;
import dev.l2c.runtime.PromptEncoder;
import dev.l2c.io.DataKind;
import dev.l2c.io.ImageGrid;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npy;
import dev.l2c.io.Progress;
import dev.l2c.io.TempFolder;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.BatchedSampling;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.SampleGenerator;
import dev.l2c.runtime.SampleGenerators;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code l2c sample PKG|MODEL}: generate images. */
@Command(name = "sample", description = {
        "Generate images with a compiled package (stepwise or linked), or with a plain model (every step full, or "
                + "--schedule to compile on the fly).",
        "Any number of images, a batch at a time (--batch); writes a PNG grid (-o, the first "
                + SampleCommand.GRID_MAX + " images) and optionally every sample as .npy (float32 [n, C, H, W], "
                + "written as the batches finish)."})
final class SampleCommand implements Callable<Integer> {
    /** The grid shows at most this many images: a grid of a million tiles helps nobody. */
    static final int GRID_MAX = 100;
    /** More images than this in one command is surely a typo. */
    static final long MAX_IMAGES = 100_000_000L;

    @Parameters(paramLabel = "PKG|MODEL", description = "A package folder from `l2c compile`, or an ONNX model.")
    Path target;

    @Option(names = "--schedule", paramLabel = "FILE", description = "With a MODEL: compile this schedule first "
            + "(into a temporary package).")
    Path schedulePath;

    @Option(names = "--nfe", paramLabel = "N", description = "With a plain MODEL: model evaluations (default 20).")
    Integer nfe;

    @Option(names = "--labels", split = ",", paramLabel = "L[,L...]", hideParamSyntax = true, description = "Class label of each image "
            + "(default: 0,1,2,... cycling).")
    long[] labels;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text-conditioned models: a prompt, encoded by the "
            + "text encoder the card declares; repeat for several (image i gets prompt i mod their number).")
    List<String> prompts;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "Text-conditioned models: the unconditional "
            + "half of guidance (default: the card's null condition, e.g. the empty prompt).")
    String negativePrompt;

    @Option(names = "--embeddings", paramLabel = "FILE.npy", description = "Text-conditioned models: token embeddings "
            + "from your own text encoder, float32 [n, tokens, width] (or [tokens, width] for every image).")
    Path embeddings;

    @Option(names = "--embeddings-mask", paramLabel = "FILE.npy", description = "The mask of --embeddings, [n, tokens] "
            + "(or [tokens]): 1 for a real token, 0 for padding (default: all 1).")
    Path embeddingsMask;

    @Option(names = "--negative-embeddings", paramLabel = "FILE.npy", description = "The unconditional half's "
            + "embeddings, [n|1, tokens, width] (default: the card's null condition).")
    Path negativeEmbeddings;

    @Option(names = "--negative-embeddings-mask", paramLabel = "FILE.npy", description = "The mask of "
            + "--negative-embeddings (default: all 1).")
    Path negativeEmbeddingsMask;

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "Number of images when no --labels or --noise fix it "
            + "(default 8).")
    Long count;

    @Option(names = "--noise", paramLabel = "FILE.npy", description = "Initial noise x_T, float32 (or float64) "
            + "[n, C, H, W], e.g. from a PyTorch run.")
    Path noise;

    @Mixin
    NoiseOptions noiseOptions;

    @Option(names = "--batch", paramLabel = "B", description = "Images per model run (default: as many as fit 1 GiB "
            + "of activations, at most " + BatchedSampling.MAX_DEFAULT_BATCH + "; the output says which).")
    Integer batch;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE.png",
            description = "PNG grid to write (the first " + GRID_MAX + " images); replaced if it exists. Without -o: "
                    + "samples.png in the current folder, refused if that file exists; no grid when --npy is given.")
    Path grid;

    /** The grid written when no -o is given (and no --npy). */
    static final Path DEFAULT_GRID = Path.of("samples.png");

    @Option(names = "--npy", paramLabel = "FILE.npy", description = "Also write every sample as float32 .npy.")
    Path npy;

    @Option(names = "--columns", paramLabel = "C", description = "Images per row of the grid (default: up to 10).")
    Integer columns;

    @Option(names = "--verify", description = "Check every package file's SHA-256, the weights' too, before "
            + "sampling.")
    boolean verify;

    @Mixin
    RuntimeOptions runtimeOptions;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--stats", paramLabel = "FILE.json",
            description = "Write timings and the process's resident memory (VmHWM) as JSON.")
    Path stats;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    /** Resident memory around the run: before it, its own peak (-1 when unknown), the peak before it. */
    private long[] runMemory = {-1, -1, -1};

    @Override
    public Integer call() throws L2cException {
        OrtRuntime.Options options = runtimeOptions.toOptions();
        checkOptions();
        if (CompiledPackage.isPackage(target)) {
            if (schedulePath != null) {
                throw new UsageException("--schedule is for a plain MODEL; " + target + " is already compiled");
            }
            return samplePackage(ManifestConsistency.open(target), options);
        }
        if (verify) {
            throw new UsageException("--verify checks a package; " + target + " is a model");
        }
        if (Files.isDirectory(target)) {
            throw new InvalidInputException(target, "is a folder without " + PackageFiles.MANIFEST
                    + ": not an l2c package (compile one with `l2c compile`)");
        }
        LoadedModel m = modelOptions.load(target);
        long tokenBytes = m.layers().size() == 0 ? 0 : m.layers().layer(0).bytes(1);
        if (schedulePath == null) {
            Sampler sampler = samplerOptions.create(m.card(), nfe == null ? 20 : nfe);
            try (SampleGenerator gen = SampleGenerators.plain(m.file(), m.card(), sampler, options)) {
                return generate(gen, m.card(), sampler.name(), "full schedule (plain model)", tokenBytes, 0, m.file(),
                        noiseOptions.scale(m.card()));
            }
        }
        Schedule schedule = ScheduleJson.read(schedulePath);
        if (nfe != null && nfe != schedule.nfe()) {
            throw new MismatchException(schedulePath, "schedule has " + schedule.nfe() + " evaluations but --nfe is " + nfe);
        }
        Sampler sampler = samplerOptions.create(m.card(), schedule.nfe());
        try (TempFolder tmp = TempFolder.create("l2c-package-")) {
            Path pkg = tmp.resolve("package");
            ScheduleCompiler.compile(m, schedule, schedulePath, sampler, pkg);
            return samplePackage(ManifestConsistency.open(pkg), options);
        }
    }

    /** Everything that can be checked before any work: outputs writable, option values in range. */
    private void checkOptions() throws L2cException {
        if (grid == null && npy == null) {
            if (Files.exists(DEFAULT_GRID, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new UsageException(DEFAULT_GRID.toAbsolutePath() + " exists: without -o, sample writes its grid"
                        + " there and does not replace a file it did not name; give -o FILE.png (replaced if it exists)");
            }
            grid = DEFAULT_GRID;
        }
        if (grid != null && !grid.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new UsageException("-o writes a PNG grid: name it FILE.png, not " + grid);
        }
        if (grid != null) {
            checkWritable(grid);
        }
        if (npy != null) {
            if (!npy.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
                throw new UsageException("--npy writes a .npy file: name it FILE.npy, not " + npy);
            }
            checkWritable(npy);
        }
        if (columns != null && (columns < 1 || columns > GRID_MAX)) {
            throw new UsageException("--columns must be between 1 and " + GRID_MAX + ", not " + columns);
        }
        if (batch != null && batch < 1) {
            throw new UsageException("--batch must be at least 1, not " + batch);
        }
        if (count != null && (count < 1 || count > MAX_IMAGES)) {
            throw new UsageException("--count must be between 1 and " + MAX_IMAGES + ", not " + count);
        }
        noiseOptions.checkCfg();
        if (noise != null && noiseOptions.seedGiven()) {
            throw new UsageException("--seed draws the initial noise and --noise " + noise + " gives it: give one of them");
        }
    }

    private int samplePackage(CompiledPackage pkg, OrtRuntime.Options options) throws L2cException {
        PackageManifest m = pkg.manifest();
        if (samplerOptions.sampler != null && !samplerOptions.sampler.equals(m.sampler().name())) {
            throw new MismatchException(pkg.folder(), "was compiled for the " + m.sampler().name() + " sampler, not "
                    + samplerOptions.sampler);
        }
        if (nfe != null && nfe != m.steps().size()) {
            throw new MismatchException(pkg.folder(), "was compiled for " + m.steps().size() + " evaluations, not --nfe " + nfe);
        }
        if (samplerOptions.noClip) {
            throw new UsageException("--no-clip is fixed when a package is compiled; " + pkg.folder() + " clips x0 to "
                    + (m.sampler().clip() == null ? "nothing" : m.sampler().clip()));
        }
        if (verify) {
            long t0 = System.nanoTime();
            pkg.verify();
            System.err.printf(Locale.ROOT, "verified %s: %d files match their SHA-256 (%.2f s)%n", pkg.folder(),
                    m.files().size(), (System.nanoTime() - t0) / 1e9);
        }
        long tokenBytes = m.layers().size() == 0 ? 0 : m.layers().layers().get(0).bytesPerSample();
        noiseOptions.checkCfg();
        float scale = m.guidanceScale(noiseOptions.cfg, pkg.folder());
        try (SampleGenerator gen = SampleGenerators.open(pkg, options)) {
            return generate(gen, m.card(), m.sampler().name(), String.format(Locale.ROOT, "%s, ideal speedup %.2fx",
                    gen.describe(), m.idealSpeedup()), tokenBytes, m.totals().peakCacheBytesPerSample(), pkg.folder(), scale);
        }
    }

    private int generate(SampleGenerator gen, ModelCard card, String samplerName, String what, long tokenBytes,
                         long cacheBytesPerSample, Path source, float scale) throws L2cException {
        int per = card.sampleElements();
        long n;
        BatchedSampling.NoiseSource noiseSource;
        if (noise != null) {
            NdArray a = Npy.read(noise);
            long[] s = a.shape();
            if (a.kind() == DataKind.INT64) {
                throw new InvalidInputException(noise, "holds integers; the initial noise must be float32 (or float64) "
                        + "Gaussian values");
            }
            if (s.length != 4 || s[1] != card.channels() || s[2] != card.height() || s[3] != card.width() || s[0] < 1) {
                throw new MismatchException(noise, "noise has shape " + Arrays.toString(s) + " but the model samples [n, "
                        + card.channels() + ", " + card.height() + ", " + card.width() + "] with n >= 1");
            }
            n = s[0];
            if (count != null && count != n) {
                throw new UsageException("--count " + count + " but the noise holds " + n + " images");
            }
            noiseSource = BatchedSampling.fromArray(a.asFloats(), per, noise);
        } else {
            n = labels != null ? labels.length : count != null ? count
                    : prompts != null ? prompts.size() : embeddings != null ? embeddingRows() : 8;
            noiseSource = BatchedSampling.gaussian(noiseOptions.seed(), per);
        }
        if (labels != null && labels.length == 0) {
            throw new UsageException("--labels gives no label (e.g. --labels 0,3,7)");
        }
        if (labels != null && labels.length != n) {
            throw new UsageException("--labels gives " + labels.length + " labels but there are " + n + " images");
        }
        if (labels != null && !card.textConditioned()) {
            for (long label : labels) {
                if (label < 0 || label >= card.classes()) {
                    throw new UsageException("label " + label + " is outside 0.." + (card.classes() - 1));
                }
            }
        }
        ConditionSource labelOf = conditions(card, source, n);
        long bytesPerImage = BatchedSampling.bytesPerImage(tokenBytes, cacheBytesPerSample, scale != 1f);
        int b = batch != null ? (int) Math.min(batch, n) : BatchedSampling.defaultBatch(n, bytesPerImage);
        if ((long) b * per > Integer.MAX_VALUE / 2) {
            throw new UsageException("--batch " + b + " needs " + ((long) b * per) + " values per batch; use a smaller one");
        }
        int shown = (int) Math.min(n, GRID_MAX);
        float[] gridSamples = new float[shown * per];
        long batches = (n + b - 1) / b;
        BatchedSampling.Result result;
        long peakBeforeRun = ProcessMemory.peakRssBytes();
        long rssBeforeRun = ProcessMemory.rssBytes();
        // the peak of the run alone (activations, caches), apart from the session creation's
        boolean peakReset = stats != null && ProcessMemory.resetPeak();
        try (Npy.FloatStreamWriter npyOut = npy == null ? null
                : Npy.streamFloats(npy, n, card.channels(), card.height(), card.width());
             Progress progress = Progress.start("sampling", batches * gen.evaluations(), !quiet)) {
            result = BatchedSampling.run(gen, card, n, b, noiseSource, labelOf, scale, progress, (first, k, samples, y) -> {
                if (npyOut != null) {
                    npyOut.append(samples, 0, k * per);
                }
                if (first < shown) {
                    int keep = (int) Math.min(k, shown - first);
                    System.arraycopy(samples, 0, gridSamples, (int) first * per, keep * per);
                }
            }, source);
            if (npyOut != null) {
                npyOut.commit();
            }
        }
        runMemory = new long[]{rssBeforeRun, peakReset ? ProcessMemory.peakRssBytes() : -1, peakBeforeRun};
        int cols = columns != null ? columns : Math.min(shown, 10);
        if (grid != null) {
            ImageGrid.writeSamplesPng(grid, gridSamples, shown, card.channels(), card.height(), card.width(), cols,
                    Math.max(1, 56 / card.height()), card.rangeMin(), card.rangeMax());
        }
        if (stats != null) {
            writeStats(result, gen, samplerName, n, scale, what);
        }
        String timing;
        long[] steps = result.stepNanos();
        if (steps.length > 0) {
            long[] sorted = steps.clone();
            Arrays.sort(sorted);
            timing = String.format(Locale.ROOT, "median step %s, %.2f%% outside ONNX Runtime",
                    Units.millis(sorted[sorted.length / 2]), 100 * result.overheadShare());
        } else {
            timing = "each batch in one ONNX Runtime call";
        }
        String batching = batches == 1 ? "1 batch" : String.format(Locale.ROOT, "%d batches of %d%s", batches, b,
                batch == null ? " (default for this model)" : "");
        System.out.printf(Locale.ROOT, "wrote %s%s%s: %d images in %s, %s-%d, cfg %.2f, %s; %.3f s (%s)%n",
                grid == null ? npy : grid, grid == null ? "" : shown < n ? " (the first " + shown + ")" : "",
                grid == null || npy == null ? "" : " and " + npy, n, batching,
                samplerName, gen.evaluations(), scale, what, result.wallNanos() / 1e9, timing);
        return 0;
    }

    /** Where the images' conditions come from: labels, prompts or embeddings, as the card's conditioning asks. */
    private ConditionSource conditions(ModelCard card, Path source, long n) throws L2cException {
        boolean textGiven = prompts != null || embeddings != null;
        if (!card.textConditioned()) {
            if (textGiven || negativePrompt != null || negativeEmbeddings != null) {
                throw new UsageException(card.name() + " is class-conditional: give --labels, not prompts or embeddings");
            }
            long[] given = labels;
            return given != null ? ConditionSource.labels(i -> given[(int) i], "given labels")
                    : ConditionSource.balancedLabels(card.classes());
        }
        if (labels != null) {
            throw new UsageException(card.name() + " is text-conditioned: give --prompt TEXT or --embeddings FILE.npy,"
                    + " not --labels");
        }
        if (embeddingsMask != null && embeddings == null || negativeEmbeddingsMask != null && negativeEmbeddings == null) {
            throw new UsageException("a mask goes with its embeddings: --embeddings-mask needs --embeddings,"
                    + " --negative-embeddings-mask needs --negative-embeddings");
        }
        if (prompts != null && embeddings != null) {
            throw new UsageException("--prompt and --embeddings both give the condition: give one of them");
        }
        if (negativePrompt != null && negativeEmbeddings != null) {
            throw new UsageException("--negative-prompt and --negative-embeddings both give the unconditional half: give one");
        }
        Conditioning.TextTokens t = (Conditioning.TextTokens) card.conditioning();
        Conditions negative = negativeEmbeddings == null ? null
                : TextEmbeddingFiles.read(negativeEmbeddings, negativeEmbeddingsMask, t, n);
        if (embeddings != null) {
            Conditions given = TextEmbeddingFiles.read(embeddings, embeddingsMask, t, n);
            if (negativePrompt != null) {
                try (PromptEncoder encoder = PromptEncoder.open(card, encoderFolder(source), source)) {
                    negative = encoder.unconditional(negativePrompt, 1);
                }
            }
            if (negative == null && t.nullKind().equals(Conditioning.TextTokens.NULL_EMPTY_PROMPT)) {
                try (PromptEncoder encoder = PromptEncoder.open(card, encoderFolder(source), source)) {
                    negative = encoder.unconditional(null, 1);
                }
            }
            ConditionSource fromFile = ConditionSource.cycling(given, null, "embeddings from " + embeddings.getFileName());
            return negative == null ? fromFile : ConditionSource.withUnconditional(fromFile, negative);
        }
        List<String> use = prompts != null ? prompts : t.prompts();
        if (use.isEmpty()) {
            throw new UsageException(card.name() + " is text-conditioned: give --prompt TEXT or --embeddings FILE.npy");
        }
        try (PromptEncoder encoder = PromptEncoder.open(card, encoderFolder(source), source)) {
            for (String p : use) {
                List<String> unknown = encoder.tokenizer().unknownWords(p);
                if (!unknown.isEmpty()) {
                    System.err.println("l2c: warning: the text encoder does not know " + unknown + " in \"" + p + "\"");
                }
            }
            ConditionSource src = encoder.source(use, negativePrompt);
            return negative == null ? src : ConditionSource.withUnconditional(src, negative);
        }
    }

    /** Images the --embeddings file holds: its first dimension when it is [n, tokens, width], else 1. */
    private long embeddingRows() throws L2cException {
        long[] shape = Npy.read(embeddings).shape();
        return shape.length == 3 ? shape[0] : 1;
    }

    /** The folder the text encoder is read from: the package folder, or the model's. */
    private static Path encoderFolder(Path source) {
        Path abs = source.toAbsolutePath();
        return Files.isDirectory(abs) ? abs : abs.getParent();
    }

    private void writeStats(BatchedSampling.Result out, SampleGenerator gen, String samplerName, long n, float scale,
                            String what) throws OutputException {
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = om.createObjectNode();
        root.put("target", target.toString());
        root.put("what", what);
        root.put("sampler", samplerName);
        root.put("nfe", gen.evaluations());
        root.put("open_seconds", gen.openSeconds());
        root.put("images", n);
        root.put("batch", out.batch());
        root.put("batches", out.batches());
        root.put("cfg", scale);
        root.put("wall_seconds", out.wallNanos() / 1e9);
        root.put("ort_seconds", out.ortNanos() / 1e9);
        root.put("outside_ort_share", out.overheadShare());
        var steps = root.putArray("step_ms");
        for (long s : out.stepNanos()) {
            steps.add(s / 1e6);
        }
        // the process's peak: of the session creation before the run, or of the run
        root.put("peak_rss_bytes", Math.max(runMemory[2], ProcessMemory.peakRssBytes()));
        root.put("rss_before_run_bytes", runMemory[0]);
        root.put("peak_rss_during_run_bytes", runMemory[1]);
        root.put("rss_anon_bytes_at_end", ProcessMemory.anonymousRssBytes());
        root.put("rss_file_bytes_at_end", ProcessMemory.fileRssBytes());
        dev.l2c.io.AtomicOutput.writeFile(stats, o -> o.write(om.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
    }

    /** Fails before any work when an output cannot be written (a missing or read-only folder). */
    static void checkWritable(Path file) throws OutputException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new OutputException(file, "cannot write: folder " + parent + " does not exist");
        }
        if (!Files.isWritable(parent)) {
            throw new OutputException(file, "cannot write: folder " + parent + " is not writable");
        }
        if (Files.isDirectory(file)) {
            throw new OutputException(file, "cannot write: it is a folder");
        }
    }
}
