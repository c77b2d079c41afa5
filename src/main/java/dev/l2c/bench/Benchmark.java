package dev.l2c.bench;

import dev.l2c.conditioning.ConditionSource;
import dev.l2c.runtime.PromptEncoder;

import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.io.Progress;
import dev.l2c.io.TempFolder;
import dev.l2c.metrics.ClassifierFeatures;
import dev.l2c.runtime.BatchedSampling;
import dev.l2c.metrics.CaptionAdherence;
import dev.l2c.metrics.FashionMnistReference;
import dev.l2c.metrics.FeatureStatistics;
import dev.l2c.metrics.Fidelity;
import dev.l2c.metrics.FdBootstrap;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.InitialNoise;
import dev.l2c.runtime.MemoryPolicy;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.SampleGenerator;
import dev.l2c.runtime.SampleGenerators;
import dev.l2c.runtime.SampleRun;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Times sampling runs of several configurations of one model in one process, then measures their
 * quality. Every configuration is loaded (and compiled) first; then rounds run each configuration once
 * in turn (A B C A B C …), so slow drifts of the machine (other load, thermal state) hit all of them
 * alike. All runs start from the same noise and labels.
 *
 * <p>Quality: fidelity (PSNR, max |Δ|) of each configuration's final samples to those of the
 * reference configuration (the full schedule) from the same noise; and, with {@code fdImages > 0}, the
 * Fréchet distance of the classifier features of that many class-balanced samples to the
 * Fashion-MNIST test set (fidelity is then measured on those samples too).
 */
public final class Benchmark {
    /** Configurations named so are TaylorSeer baselines ({@code bench --suite}'s matched ones): the forecast comparison. */
    static final String TAYLORSEER_PREFIX = "taylorseer";


    /**
     * How to run. {@code sampler} null means the model card's default; {@code reference} names the
     * configuration quality is measured against (null: the first); {@code sampleCache} is the folder
     * the quality samples are kept in between runs ({@link QualitySampleCache}), or null for none.
     */
    public record Settings(int images, float cfg, long seed, int repeats, int warmup, OrtRuntime.Options runtime,
                           String sampler, boolean clip, int fdImages, int fdBatch, String reference,
                           Set<String> fdOnly, int fdResamples, List<Integer> fdWidthsAt, Path sampleCache) {
        /**
         * Whether configuration {@code name} gets the {@code fdImages} quality samples: every one, or
         * with {@code fdOnly} given only those it names and the reference (PSNR needs its samples).
         */
        boolean generatesForQuality(String name, boolean isReference) {
            return fdImages > 0 && (fdOnly.isEmpty() || isReference || fdOnly.contains(name));
        }
    }

    private Benchmark() {
    }

    /**
     * A configuration ready to run: its package (null for the plain loop), its sampler and, while
     * timing, an open generator.
     */
    private static final class Prepared {
        final BenchConfig config;
        final Sampler sampler;
        final CompiledPackage pkg;
        final int graphs;
        final long macs;
        final long layerEvaluations;
        final long totalLayerEvaluations;
        final boolean[] fullSteps;
        final TempFolder tempDir;
        SampleGenerator generator;

        Prepared(BenchConfig config, Sampler sampler, CompiledPackage pkg, int graphs, long macs,
                 long layerEvaluations, long totalLayerEvaluations, boolean[] fullSteps, TempFolder tempDir) {
            this.config = config;
            this.sampler = sampler;
            this.pkg = pkg;
            this.graphs = graphs;
            this.macs = macs;
            this.layerEvaluations = layerEvaluations;
            this.totalLayerEvaluations = totalLayerEvaluations;
            this.fullSteps = fullSteps;
            this.tempDir = tempDir;
        }

        SampleGenerator open(LoadedModel model, OrtRuntime.Options options) throws L2cException {
            if (config.memory() != null) {
                options = options.withMemory(config.memory());
            }
            return pkg == null ? SampleGenerators.plain(model.file(), model.card(), sampler, options)
                    : SampleGenerators.open(pkg, options);
        }

        void closeGenerator() {
            if (generator != null) {
                generator.close();
                generator = null;
            }
        }
    }

    public static List<BenchResult> run(LoadedModel model, List<BenchConfig> configs, Settings settings)
            throws L2cException {
        ModelCard card = model.card();
        int referenceIndex = referenceIndex(configs, settings.reference());
        // class-balanced labels, or the card's prompts: the same for every configuration
        ConditionSource conditions = PromptEncoder.balanced(model);
        List<Prepared> prepared = new ArrayList<>();
        try {
            for (BenchConfig c : configs) {
                Prepared p = prepare(model, c, settings);
                prepared.add(p);
                p.generator = p.open(model, settings.runtime());
            }
            List<BenchResult> results = time(card, conditions, prepared, settings);
            float[] timedReference = results.get(referenceIndex).samples();
            // the timed executors are closed before generating for quality: at large batches every
            // session's arena would hold its activations, for every configuration at once
            prepared.forEach(Prepared::closeGenerator);
            if (settings.fdImages() > 0) {
                results = generateForQuality(model, conditions, prepared, results, referenceIndex, settings);
            }
            return measureQuality(results, referenceIndex, timedReference, settings);
        } finally {
            for (Prepared p : prepared) {
                p.closeGenerator();
                if (p.tempDir != null) {
                    p.tempDir.close();
                }
            }
        }
    }

    public static int referenceIndex(List<BenchConfig> configs, String name) throws UsageException {
        if (name == null) {
            return 0;
        }
        for (int i = 0; i < configs.size(); i++) {
            if (configs.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new UsageException("--reference '" + name + "' is not one of the configurations "
                + configs.stream().map(BenchConfig::name).toList());
    }

    private static List<BenchResult> time(ModelCard card, ConditionSource conditions, List<Prepared> prepared,
                                          Settings settings) throws L2cException {
        float[] noise = InitialNoise.gaussian(settings.seed(), settings.images() * card.sampleElements());
        SampleRun.Request request = new SampleRun.Request(noise, conditions.conditions(0, settings.images()),
                conditions.unconditional(0, settings.images()), settings.cfg());
        int n = prepared.size();
        double[][] seconds = new double[n][settings.repeats()];
        double[][] overhead = new double[n][settings.repeats()];
        double[] fullMs = new double[n];
        double[] cacheMs = new double[n];
        float[][] samples = new float[n][];
        long totalEvaluations = 0;
        for (Prepared p : prepared) {
            totalEvaluations += (long) p.sampler.evaluations() * (settings.warmup() + settings.repeats());
        }
        try (Progress progress = Progress.start("timing", totalEvaluations, true)) {
            for (int round = 0; round < settings.warmup() + settings.repeats(); round++) {
                for (int i = 0; i < n; i++) {
                    Prepared p = prepared.get(i);
                    SampleRun.Output o = p.generator.generate(request, progress);
                    int r = round - settings.warmup();
                    if (r < 0) {
                        continue;
                    }
                    seconds[i][r] = o.wallNanos() / 1e9;
                    overhead[i][r] = o.overheadShare();
                    samples[i] = o.samples();
                    if (r == settings.repeats() - 1) {
                        fullMs[i] = Stats.median(o.stepNanos(), p.fullSteps);
                        boolean[] cache = new boolean[p.fullSteps.length];
                        for (int k = 0; k < cache.length; k++) {
                            cache[k] = !p.fullSteps[k];
                        }
                        cacheMs[i] = Stats.median(o.stepNanos(), cache);
                    }
                }
            }
        }
        List<BenchResult> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Prepared p = prepared.get(i);
            results.add(new BenchResult(p.config, p.sampler.evaluations(), p.graphs, p.macs,
                    p.layerEvaluations, p.totalLayerEvaluations, seconds[i], fullMs[i], cacheMs[i],
                    Stats.median(overhead[i]), samples[i], settings.images(), samples[i], BenchResult.Quality.NONE,
                    p.generator.openSeconds()));
        }
        return results;
    }

    /**
     * Generates {@code fdImages} class-balanced samples per configuration, from the same noise, batch by
     * batch; batches the sample cache holds are read from it instead, and every batch generated is saved
     * there as soon as it is done.
     */
    private static List<BenchResult> generateForQuality(LoadedModel model, ConditionSource conditions,
                                                        List<Prepared> prepared,
                                                        List<BenchResult> timed, int referenceIndex, Settings s)
            throws L2cException {
        ModelCard card = model.card();
        // one configuration at a time, with memory that does not grow with its number of graphs
        OrtRuntime.Options lean = s.runtime().withMemory(MemoryPolicy.LEAN);
        QualitySampleCache cache = QualitySampleCache.at(s.sampleCache());
        int n = s.fdImages();
        int per = card.sampleElements();
        int batches = (n + s.fdBatch() - 1) / s.fdBatch();
        float[] noise = InitialNoise.gaussian(s.seed() + 1, n * per);
        boolean[] generate = new boolean[prepared.size()];
        String[] keys = new String[prepared.size()];
        float[][][] cached = new float[prepared.size()][][];
        long total = 0;
        int reused = 0;
        int wanted = 0;
        for (int i = 0; i < prepared.size(); i++) {
            Prepared p = prepared.get(i);
            generate[i] = s.generatesForQuality(p.config.name(), i == referenceIndex);
            if (!generate[i]) {
                continue;
            }
            keys[i] = cache.configurationKey(model, p.pkg == null ? null : p.pkg.folder(), p.sampler, s, lean,
                    card.textConditioned() ? conditions.description() : "classes " + card.classes());
            cached[i] = new float[batches][];
            for (int b = 0; b < batches; b++) {
                int start = b * s.fdBatch();
                cached[i][b] = cache.load(keys[i], start, Math.min(s.fdBatch(), n - start), per);
                wanted++;
                if (cached[i][b] != null) {
                    reused++;
                } else {
                    total += p.sampler.evaluations();
                }
            }
        }
        if (cache.enabled()) {
            System.err.printf(Locale.ROOT, "bench: %d of %d quality batches from %s, %d to generate%n", reused, wanted,
                    s.sampleCache(), wanted - reused);
        }
        List<BenchResult> out = new ArrayList<>();
        try (Progress progress = Progress.start("quality samples", total, true)) {
            for (int i = 0; i < prepared.size(); i++) {
                Prepared p = prepared.get(i);
                if (!generate[i]) {
                    out.add(timed.get(i)); // keeps its timed samples: PSNR on those, no FD
                    continue;
                }
                float[] all = new float[n * per];
                try {
                    for (int b = 0; b < batches; b++) {
                        int start = b * s.fdBatch();
                        int size = Math.min(s.fdBatch(), n - start);
                        float[] x = cached[i][b];
                        if (x == null) {
                            if (p.generator == null) {
                                p.generator = p.open(model, lean);
                            }
                            SampleRun.Request req = new SampleRun.Request(
                                    Arrays.copyOfRange(noise, start * per, (start + size) * per),
                                    conditions.conditions(start, size), conditions.unconditional(start, size), s.cfg());
                            x = p.generator.generate(req, progress).samples();
                            cache.store(keys[i], start, size, per, x);
                        }
                        System.arraycopy(x, 0, all, start * per, size * per);
                    }
                } finally {
                    p.closeGenerator();
                }
                out.add(timed.get(i).withSamples(all, n));
            }
        }
        return out;
    }

    /**
     * PSNR and max |Δ| against the reference configuration, FD against the test set. A configuration
     * with quality samples is compared with the reference's quality samples, one left out by
     * {@code --fd-only} with the reference's timed samples (same noise and labels as its own).
     */
    private static List<BenchResult> measureQuality(List<BenchResult> results, int referenceIndex,
                                                    float[] timedReference, Settings s) throws L2cException {
        BenchResult reference = results.get(referenceIndex);
        FeatureStatistics real = null;
        ClassifierFeatures classifier = null;
        try {
            if (s.fdImages() > 0) {
                classifier = ClassifierFeatures.open(ClassifierFeatures.DEFAULT_MODEL);
                real = FashionMnistReference.testSet(classifier).statistics();
            }
            // features of every configuration with quality samples (same noise and labels, rows aligned)
            List<Integer> withFd = new ArrayList<>();
            List<float[]> features = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                BenchResult r = results.get(i);
                if (classifier != null && s.generatesForQuality(r.config().name(), i == referenceIndex)) {
                    withFd.add(i);
                    features.add(classifier.features(r.samples(), r.sampleCount()));
                }
            }
            FdBootstrap boot = withFd.isEmpty() ? null : FdBootstrap.run(features, s.fdImages(), classifier.featureDim(),
                    real, s.fdResamples(), s.seed() + 2);
            // the same bootstrap on the first n samples of each configuration: how the intervals narrow with n
            java.util.Map<Integer, FdBootstrap> onFirst = new java.util.TreeMap<>();
            for (int n : s.fdWidthsAt()) {
                if (boot != null && n >= 2 && n < s.fdImages()) {
                    int d = classifier.featureDim();
                    onFirst.put(n, FdBootstrap.run(features.stream().map(f -> Arrays.copyOf(f, n * d)).toList(), n, d, real,
                            s.fdResamples(), s.seed() + 2));
                }
            }
            List<BenchResult> out = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                BenchResult r = results.get(i);
                boolean qualitySet = s.generatesForQuality(r.config().name(), i == referenceIndex);
                Fidelity f = Fidelity.of(r.samples(), qualitySet ? reference.samples() : timedReference);
                int k = withFd.indexOf(i);
                BenchResult.FdIntervals intervals = k < 0 ? null : fdIntervals(results, withFd, boot, k, referenceIndex);
                if (intervals != null && !onFirst.isEmpty()) {
                    java.util.SortedMap<Integer, BenchResult.FdIntervals> byCount = new java.util.TreeMap<>();
                    for (java.util.Map.Entry<Integer, FdBootstrap> e : onFirst.entrySet()) {
                        byCount.put(e.getKey(), fdIntervals(results, withFd, e.getValue(), k, referenceIndex));
                    }
                    intervals = intervals.withFirstSamples(byCount);
                }
                out.add(r.withQuality(new BenchResult.Quality(f.psnr(), f.maxAbsDiff(),
                        intervals == null ? Double.NaN : intervals.fd().value(), qualitySet ? s.fdImages() : 0,
                        r.sampleCount(), intervals)));
            }
            return out;
        } finally {
            if (classifier != null) {
                classifier.close();
            }
        }
    }

    /** The 95 % level of every FD interval and paired difference the benchmark reports. */
    public static final double FD_LEVEL = 0.95;

    /**
     * Configuration {@code withFd.get(k)}'s FD interval, and its paired differences to the reference
     * and to the fewer-steps configuration whose layer evaluations are nearest its own (the
     * comparison at equal compute; ties go to the one with more compute).
     */
    private static BenchResult.FdIntervals fdIntervals(List<BenchResult> results, List<Integer> withFd, FdBootstrap boot,
                                                       int k, int referenceIndex) {
        BenchResult r = results.get(withFd.get(k));
        int refK = withFd.indexOf(referenceIndex);
        BenchResult.FdComparison vsReference = refK < 0 || refK == k ? null : compare(results, withFd, boot, k, refK);
        int fewer = -1;
        if (!r.config().fewerStepsCurve()) {
            for (int j = 0; j < withFd.size(); j++) {
                BenchResult c = results.get(withFd.get(j));
                if (j == k || !c.config().fewerStepsCurve()) {
                    continue;
                }
                long gap = Math.abs(c.layerEvaluations() - r.layerEvaluations());
                long best = fewer < 0 ? Long.MAX_VALUE
                        : Math.abs(results.get(withFd.get(fewer)).layerEvaluations() - r.layerEvaluations());
                if (gap < best || (gap == best && c.layerEvaluations() > results.get(withFd.get(fewer)).layerEvaluations())) {
                    fewer = j;
                }
            }
        }
        BenchResult.FdComparison vsFewer = fewer < 0 ? null : compare(results, withFd, boot, k, fewer);
        // TaylorSeer at equal compute: the static forecasting baseline a forecast schedule must beat
        int taylor = -1;
        if (!r.config().fewerStepsCurve() && !r.config().name().startsWith(TAYLORSEER_PREFIX) && withFd.get(k) != referenceIndex) {
            for (int j = 0; j < withFd.size(); j++) {
                BenchResult c = results.get(withFd.get(j));
                long gap = Math.abs(c.layerEvaluations() - r.layerEvaluations());
                if (j != k && c.config().name().startsWith(TAYLORSEER_PREFIX) && gap <= 0.02 * r.totalLayerEvaluations()
                        && (taylor < 0 || gap < Math.abs(results.get(withFd.get(taylor)).layerEvaluations() - r.layerEvaluations()))) {
                    taylor = j;
                }
            }
        }
        BenchResult.FdComparison vsTaylor = taylor < 0 ? null : compare(results, withFd, boot, k, taylor);
        return new BenchResult.FdIntervals(boot.fd(k, FD_LEVEL), vsReference, vsFewer, new java.util.TreeMap<>(), vsTaylor);
    }

    private static BenchResult.FdComparison compare(List<BenchResult> results, List<Integer> withFd, FdBootstrap boot,
                                                    int k, int against) {
        return new BenchResult.FdComparison(results.get(withFd.get(against)).config().name(),
                boot.difference(k, against, FD_LEVEL), boot.relativeExcess(k, against, FD_LEVEL));
    }

    /**
     * One configuration's adherence to the demo captions: its scores and the captions' per-image
     * outcomes (paired with the reference's: same noise, same captions).
     */
    public record AdherenceResult(String config, CaptionAdherence.Scores scores) {
    }

    /**
     * Generates {@code images} samples per configuration (with --fd-only: those it names and the
     * reference), image i captioned with caption i mod 80 of the
     * text demo's grammar ({@link CaptionAdherence#allCaptions}), from the same noise (seed + 2), and
     * scores them with the FD classifier. Only for a text-conditioned model whose encoder knows the grammar.
     */
    public static List<AdherenceResult> adherence(LoadedModel model, List<BenchConfig> configs, Settings s, int images)
            throws L2cException {
        ModelCard card = model.card();
        if (!card.textConditioned()) {
            throw new UsageException("--adherence scores captions: " + model.file().getFileName() + " is class-conditional");
        }
        List<CaptionAdherence.Caption> captions = CaptionAdherence.allCaptions();
        CaptionAdherence.Caption[] perImage = new CaptionAdherence.Caption[images];
        for (int i = 0; i < images; i++) {
            perImage[i] = captions.get(i % captions.size());
        }
        ConditionSource conditions;
        try (PromptEncoder encoder = PromptEncoder.open(card, model.cardFile().toAbsolutePath().getParent(),
                model.cardFile())) {
            List<String> texts = captions.stream().map(CaptionAdherence.Caption::text).toList();
            for (String t : texts) {
                if (!encoder.tokenizer().unknownWords(t).isEmpty()) {
                    throw new UsageException("--adherence: the text encoder of " + model.file().getFileName()
                            + " does not know the words " + encoder.tokenizer().unknownWords(t) + " of the demo captions");
                }
            }
            conditions = encoder.source(texts, null);
        }
        int per = card.sampleElements();
        float[] noise = InitialNoise.gaussian(s.seed() + 2, images * per);
        OrtRuntime.Options lean = s.runtime().withMemory(MemoryPolicy.LEAN);
        List<AdherenceResult> out = new ArrayList<>();
        long total = 0;
        int batches = (images + s.fdBatch() - 1) / s.fdBatch();
        List<Prepared> prepared = new ArrayList<>();
        try (ClassifierFeatures classifier = ClassifierFeatures.open(ClassifierFeatures.DEFAULT_MODEL)) {
            int reference = referenceIndex(configs, s.reference());
            for (int i = 0; i < configs.size(); i++) {
                // the configurations that get FD samples (--fd-only), the reference always
                if (s.fdImages() > 0 && !s.generatesForQuality(configs.get(i).name(), i == reference)) {
                    continue;
                }
                prepared.add(prepare(model, configs.get(i), s));
                total += (long) batches * prepared.get(prepared.size() - 1).sampler.evaluations();
            }
            try (Progress progress = Progress.start("adherence samples", total, true)) {
                for (Prepared p : prepared) {
                    float[] all = new float[images * per];
                    p.generator = p.open(model, lean);
                    try {
                        for (int start = 0; start < images; start += s.fdBatch()) {
                            int size = Math.min(s.fdBatch(), images - start);
                            SampleRun.Request req = new SampleRun.Request(
                                    Arrays.copyOfRange(noise, start * per, (start + size) * per),
                                    conditions.conditions(start, size), conditions.unconditional(start, size), s.cfg());
                            System.arraycopy(p.generator.generate(req, progress).samples(), 0, all, start * per, size * per);
                        }
                    } finally {
                        p.closeGenerator();
                    }
                    out.add(new AdherenceResult(p.config.name(), CaptionAdherence.score(classifier, all, perImage)));
                }
            }
        } finally {
            for (Prepared p : prepared) {
                if (p.tempDir != null) {
                    p.tempDir.close();
                }
            }
        }
        return out;
    }

    private static Prepared prepare(LoadedModel model, BenchConfig c, Settings s) throws L2cException {
        ModelCard card = model.card();
        int layers = model.layers().size();
        if (c.isPlain()) {
            Sampler sampler = card.sampler(s.sampler(), c.nfe(), s.clip());
            boolean[] full = new boolean[c.nfe()];
            Arrays.fill(full, true);
            return new Prepared(c, sampler, null, 1, model.layers().macsPerSampleFull() * c.nfe(),
                    (long) layers * c.nfe(), (long) layers * c.nfe(), full, null);
        }
        Schedule schedule = ScheduleJson.read(c.schedule());
        Sampler sampler = card.sampler(s.sampler(), schedule.nfe(), s.clip());
        TempFolder tmp = TempFolder.create("l2c-bench-");
        CompiledPackage pkg;
        try {
            Path dir = tmp.resolve("package");
            ScheduleCompiler.compile(model, schedule, c.schedule(), sampler, dir,
                    c.linked() ? ScheduleCompiler.Options.linked(s.cfg() != 1f) : ScheduleCompiler.Options.stepwise());
            pkg = ManifestConsistency.open(dir);
        } catch (L2cException | RuntimeException e) {
            // an interrupt or a bad schedule while compiling: the folder is not handed on, so remove it here
            tmp.close();
            throw e;
        }
        PackageManifest m = pkg.manifest();
        return new Prepared(c, sampler, pkg, m.onnxFiles().size(), m.totals().macsPerSample(),
                m.totals().layerEvaluations(), m.totals().layerEvaluationsFull(), m.fullSteps(), tmp);
    }

}
