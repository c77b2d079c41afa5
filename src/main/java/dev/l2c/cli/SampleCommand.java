package dev.l2c.cli;

import dev.l2c.emit.ScheduleCompiler;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.OutputException;
import dev.l2c.error.UsageException;
import dev.l2c.bench.ProcessMemory;
import dev.l2c.io.ImageGrid;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npy;
import dev.l2c.io.Progress;
import dev.l2c.io.TempFolder;
import dev.l2c.model.LoadedModel;
import dev.l2c.model.ModelCard;
import dev.l2c.metrics.FashionMnist;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.InitialNoise;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.SampleGenerator;
import dev.l2c.runtime.SampleGenerators;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code l2c sample PKG|MODEL}: generate images. */
@Command(name = "sample", description = {
        "Generate images with a compiled package, or with a plain model (every step full, or --schedule to compile on the fly).",
        "Writes a PNG grid (-o) and optionally the final samples as .npy (float32 [n, C, H, W])."})
final class SampleCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PKG|MODEL", description = "A package folder from `l2c compile`, or an ONNX model.")
    Path target;

    @Option(names = "--schedule", paramLabel = "FILE", description = "With a MODEL: compile this schedule first (into a temporary package).")
    Path schedulePath;

    @Option(names = "--nfe", description = "With a plain MODEL: model evaluations (default 20).")
    Integer nfe;

    @Option(names = "--labels", split = ",", paramLabel = "L,L,...", description = "Class label of each image (default: 0,1,2,... cycling).")
    long[] labels;

    @Option(names = {"-n", "--count"}, description = "Number of images when no --labels or --noise fix it (default 8).")
    Integer count;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial noise (Java's Gaussian generator).")
    long seed;

    @Option(names = "--noise", paramLabel = "FILE.npy", description = "Initial noise x_T, float32 [n, C, H, W] (e.g. from a PyTorch run).")
    Path noise;

    @Option(names = "--cfg", description = "Classifier-free guidance scale (default: the card's; 1 = no guidance).")
    Float cfg;

    @Option(names = {"-o", "--output"}, defaultValue = "samples.png", paramLabel = "FILE.png", description = "PNG grid to write.")
    Path grid;

    @Option(names = "--npy", paramLabel = "FILE.npy", description = "Also write the final samples as float32 .npy.")
    Path npy;

    @Option(names = "--columns", description = "Images per row of the grid (default: up to 10).")
    Integer columns;

    @Mixin
    RuntimeOptions runtimeOptions;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--stats", paramLabel = "FILE.json",
            description = "Write timings and the process's peak resident memory (VmHWM) as JSON.")
    Path stats;

    @Mixin
    ModelOptions modelOptions;

    /** Resident memory around the run: before it, its own peak (-1 when unknown), the peak before it. */
    private long[] runMemory = {-1, -1, -1};

    @Mixin
    SamplerOptions samplerOptions;

    @Override
    public Integer call() throws L2cException {
        OrtRuntime.Options options = runtimeOptions.toOptions();
        checkWritable(grid);
        if (npy != null) {
            checkWritable(npy);
        }
        if (CompiledPackage.isPackage(target)) {
            if (schedulePath != null) {
                throw new UsageException("--schedule is for a plain MODEL; " + target + " is already compiled");
            }
            return samplePackage(CompiledPackage.open(target), options);
        }
        LoadedModel m = modelOptions.load(target);
        if (schedulePath == null) {
            Sampler sampler = samplerOptions.create(m.card(), nfe == null ? 20 : nfe);
            try (SampleGenerator gen = SampleGenerators.plain(m.file(), m.card(), sampler, options)) {
                return generate(gen, m.card(), sampler.name(), "full schedule (plain model)");
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
            return samplePackage(CompiledPackage.open(pkg), options);
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
        try (SampleGenerator gen = SampleGenerators.open(pkg, options)) {
            return generate(gen, m.card(), m.sampler().name(), String.format(Locale.ROOT, "%s, ideal speedup %.2fx",
                    gen.describe(), m.idealSpeedup()));
        }
    }

    private int generate(SampleGenerator gen, ModelCard card, String samplerName, String what) throws L2cException {
        float[] xT;
        int n;
        if (noise != null) {
            NdArray a = Npy.read(noise);
            long[] s = a.shape();
            if (s.length != 4 || s[1] != card.channels() || s[2] != card.height() || s[3] != card.width()) {
                throw new MismatchException(noise, "noise has shape " + Arrays.toString(s) + " but the model samples [n, "
                        + card.channels() + ", " + card.height() + ", " + card.width() + "]");
            }
            xT = a.asFloats();
            n = (int) s[0];
        } else {
            n = labels != null ? labels.length : (count == null ? 8 : count);
            if (n < 1) {
                throw new UsageException("need at least one image (--count)");
            }
            xT = InitialNoise.gaussian(seed, n * card.sampleElements());
        }
        long[] y = labels != null ? labels : FashionMnist.balancedLabels(n, card.classes());
        if (y.length != n) {
            throw new UsageException("--labels gives " + y.length + " labels but the noise holds " + n + " images");
        }
        for (long label : y) {
            if (label < 0 || label >= card.classes()) {
                throw new UsageException("label " + label + " is outside 0.." + (card.classes() - 1));
            }
        }
        float scale = cfg != null ? cfg : card.defaultCfg();
        SampleRun.Output out;
        long peakBeforeRun = ProcessMemory.peakRssBytes();
        long rssBeforeRun = ProcessMemory.rssBytes();
        // the peak of the run alone (activations, caches), apart from the session creation's
        boolean peakReset = stats != null && ProcessMemory.resetPeak();
        try (Progress progress = Progress.start("sampling", gen.evaluations(), !quiet)) {
            out = gen.generate(new SampleRun.Request(xT, y, scale), progress);
        }
        runMemory = new long[]{rssBeforeRun, peakReset ? ProcessMemory.peakRssBytes() : -1, peakBeforeRun};
        int cols = columns != null ? columns : Math.min(n, 10);
        ImageGrid.writeSamplesPng(grid, out.samples(), n, card.channels(), card.height(), card.width(), cols,
                Math.max(1, 56 / card.height()), card.rangeMin(), card.rangeMax());
        if (npy != null) {
            Npy.writeFloats(npy, out.samples(), n, card.channels(), card.height(), card.width());
        }
        if (stats != null) {
            writeStats(out, gen, samplerName, n, scale, what);
        }
        String timing;
        long[] steps = out.stepNanos();
        if (steps.length > 0) {
            long[] sorted = steps.clone();
            Arrays.sort(sorted);
            timing = String.format(Locale.ROOT, "median step %s, %.2f%% outside ONNX Runtime",
                    Units.millis(sorted[sorted.length / 2]), 100 * out.overheadShare());
        } else {
            timing = "the whole run in one ONNX Runtime call";
        }
        System.out.printf(Locale.ROOT, "wrote %s%s: %d images, %s-%d, cfg %.2f, %s; %.3f s (%s)%n",
                grid, npy == null ? "" : " and " + npy, n, samplerName, gen.evaluations(), scale, what,
                out.wallNanos() / 1e9, timing);
        return 0;
    }

    private void writeStats(SampleRun.Output out, SampleGenerator gen, String samplerName, int n, float scale, String what)
            throws OutputException {
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = om.createObjectNode();
        root.put("target", target.toString());
        root.put("what", what);
        root.put("sampler", samplerName);
        root.put("nfe", gen.evaluations());
        root.put("open_seconds", gen.openSeconds());
        root.put("images", n);
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
