package dev.l2c.schedule;

import dev.l2c.error.UsageException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The schedules a learned L2C schedule is compared against, each with a knob that sets how much
 * compute it saves, so that every baseline can be matched to the same budget. Layers follow L2C's
 * numbering (layer 2i is block i's attention branch, 2i+1 its MLP branch, B = L/2 blocks).
 *
 * <ul>
 *   <li>{@link Kind#NONE none}: every layer at every one of the N evaluations; saves nothing.</li>
 *   <li>{@link Kind#FEWER_STEPS fewer-steps}: no caching, but only N' &lt; N evaluations: plain
 *       DDIM / DPM-Solver with fewer steps. <b>Its NFE differs from the reference N</b>, so the
 *       sampler must be run with N' evaluations; its saving is counted against N full
 *       evaluations ({@link #removedFraction(Schedule, int)}), not against its own N'.</li>
 *   <li>{@link Kind#FORA fora} (FORA-style): evaluations k with k mod interval = 0 are full; every
 *       other evaluation reuses every layer (a cache step with an empty compute list).</li>
 *   <li>{@link Kind#DEEPCACHE deepcache} (DeepCache carried over to transformers): full every
 *       interval evaluations; in between only the first k and the last k blocks are computed, the
 *       blocks in the middle are reused.</li>
 *   <li>{@link Kind#RANDOM random}: the cache steps of the L2C router pattern of the sampler
 *       ({@link #l2cCacheSteps}), each computing layers drawn uniformly at random with a seeded
 *       {@link SplittableRandom}, as many as the budget allows, spread evenly over the cache steps.
 *       It answers "does the router's choice of layers matter, or only how many it keeps?"</li>
 *   <li>{@link Kind#L2C_MASK l2c-mask}: the cache steps of the L2C router pattern, all computing the
 *       same fixed set of layers.</li>
 *   <li>{@link Kind#TAYLORSEER taylorseer} (TaylorSeer, arXiv 2503.06923): the first {@code warmup}
 *       evaluations full, then one full evaluation every {@code interval}; in between every layer is
 *       forecast by TaylorSeer's Taylor series of order 1 or 2 from its last computed values
 *       ({@link ForecastSchedules#taylorSeer}). Warmup 1 gives FORA's refreshes.</li>
 * </ul>
 *
 * <h2>Budgets</h2>
 * Every kind has a factory taking its own parameters (an interval, a block count, a layer list) and
 * can be matched to a target fraction F of compute removed ({@link #matchBudget} counting layer
 * evaluations, {@link #matchBudgetMacs} counting multiply-accumulates): the matcher picks the
 * parameter whose schedule removes the fraction closest to F and records both the target and what
 * it achieved. The discrete kinds (fewer-steps, fora, deepcache, l2c-mask) hit F only as closely as
 * their parameter grid allows; random hits it within one layer evaluation, or as closely as the
 * L2C pattern allows when F asks for more than skipping every layer at every cache step gives. On
 * a tie the matcher takes the schedule that computes more. A matched l2c-mask computes m layers
 * spread evenly over the depth (layers ⌊(2i+1)·L / 2m⌋), m chosen for the budget.
 *
 * <p>Provenance records {@code "source": "baseline"}, the kind, its parameters, the unit the
 * budget was counted in ({@code "budget_unit"}: "layer-evaluations" or "macs"), the target when
 * there was one ({@code "target_remove"}) and the fraction achieved ({@code "achieved_remove"}).
 *
 * <p>Parameters a user chose (intervals, block counts, layer lists, budgets, patterns) are checked
 * with {@link UsageException}s whose messages say what was wrong and what is allowed; MAC tables
 * come from the model analysis, so a table that does not fit is a bug and an
 * {@link IllegalArgumentException}.
 */
public final class BaselineSchedules {
    public static final String UNIT_LAYER_EVALUATIONS = "layer-evaluations";
    public static final String UNIT_MACS = "macs";

    /** The baseline kinds, with the names the CLI and provenance use. */
    public enum Kind {
        NONE("none"),
        FEWER_STEPS("fewer-steps"),
        FORA("fora"),
        DEEPCACHE("deepcache"),
        RANDOM("random"),
        L2C_MASK("l2c-mask"),
        TAYLORSEER("taylorseer");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        /** The name used on the command line and in provenance. */
        public String id() {
            return id;
        }

        /** Whether the kind places its cache steps where the L2C router pattern of the sampler has them. */
        public boolean followsL2cPattern() {
            return this == RANDOM || this == L2C_MASK;
        }

        /** The kind named {@code id}. */
        public static Kind parse(String id) throws UsageException {
            for (Kind k : values()) {
                if (k.id.equals(id)) {
                    return k;
                }
            }
            throw new UsageException("unknown baseline kind \"" + id + "\" (expected one of " + String.join(", ", ids()) + ")");
        }

        /** Every kind's name, in declaration order. */
        public static List<String> ids() {
            return Arrays.stream(values()).map(Kind::id).toList();
        }
    }

    private BaselineSchedules() {
    }

    // ----------------------------------------------------------------------------------------
    // Factories with explicit parameters

    /** Every layer at every evaluation (kind {@code none}). */
    public static Schedule none(int nfe, int layers, String pattern) throws UsageException {
        checkShape(nfe, layers, pattern);
        Schedule s = Schedule.allFull(nfe, layers, pattern);
        return finish(s, Kind.NONE, Map.of(), Costs.layerEvaluations(layers), nfe, null);
    }

    /**
     * Every layer at each of {@code nfe} evaluations, standing in for a run of {@code referenceNfe}
     * (kind {@code fewer-steps}). The schedule's NFE is {@code nfe}: sample with that many
     * evaluations. Its saving, 1 - nfe/referenceNfe, is recorded against the reference.
     */
    public static Schedule fewerSteps(int referenceNfe, int nfe, int layers, String pattern) throws UsageException {
        checkShape(referenceNfe, layers, pattern);
        checkShape(nfe, layers, pattern);
        if (nfe > referenceNfe) {
            throw new UsageException("fewer-steps runs at most the reference's " + referenceNfe + " evaluations, not " + nfe);
        }
        return buildFewerSteps(referenceNfe, nfe, layers, pattern, Costs.layerEvaluations(layers), null);
    }

    /**
     * The NFE that keeps {@code keepFraction} of {@code referenceNfe} evaluations: round(N·keep),
     * at least 1; for {@value Schedule#UVIT_DPM2S}, which evaluates in pairs, the nearest even
     * count, at least 2.
     */
    public static int fewerStepsNfe(int referenceNfe, double keepFraction, String pattern) {
        double exact = referenceNfe * keepFraction;
        if (Schedule.UVIT_DPM2S.equals(pattern)) {
            return (int) Math.max(2, Math.min(referenceNfe, 2 * Math.round(exact / 2)));
        }
        return (int) Math.max(1, Math.min(referenceNfe, Math.round(exact)));
    }

    /**
     * FORA-style: evaluation k is full when k mod {@code interval} = 0 and reuses every layer
     * otherwise. Interval 1 is all full; an interval of N or more leaves only evaluation 0 full.
     */
    public static Schedule fora(int nfe, int layers, String pattern, int interval) throws UsageException {
        checkShape(nfe, layers, pattern);
        checkInterval(interval);
        return buildFora(nfe, layers, pattern, interval, Costs.layerEvaluations(layers), null);
    }

    /** TaylorSeer's default order. */
    public static final int TAYLORSEER_ORDER = 2;
    /**
     * Full evaluations before the first forecast by default: one, which gives FORA's refreshes (the
     * forecasts then start as reuse and gain order as values accumulate). Measured on the demo DiT
     * (DDIM-20, interval 3, order 2, 16 images): warmup 2 shifts the refreshes and lost 9 dB of PSNR
     * against full (23.7 against 33.2 dB). TaylorSeer's own default for FLUX is three.
     */
    public static final int TAYLORSEER_WARMUP = 1;

    /**
     * TaylorSeer: evaluations k &lt; {@code warmup} are full, then every {@code interval}-th
     * (k − warmup + 1 ≡ 0 mod interval); every other evaluation forecasts every layer with
     * TaylorSeer's Taylor series of order {@code order} (1 or 2).
     */
    public static Schedule taylorSeer(int nfe, int layers, String pattern, int interval, int order, int warmup)
            throws UsageException {
        checkShape(nfe, layers, pattern);
        checkInterval(interval);
        checkTaylorSeer(order, warmup);
        return buildTaylorSeer(nfe, layers, pattern, interval, order, warmup, Costs.layerEvaluations(layers), null);
    }

    /** As {@link #matchBudget} for TaylorSeer with the given order and warmup: the interval is matched. */
    public static Schedule matchTaylorSeer(int nfe, int layers, String pattern, double removeFraction, int order, int warmup)
            throws UsageException {
        checkShape(nfe, layers, pattern);
        checkTaylorSeer(order, warmup);
        return matchTaylorSeer(nfe, layers, pattern, removeFraction, order, warmup, Costs.layerEvaluations(layers));
    }

    /** As {@link #matchBudgetMacs} for TaylorSeer with the given order and warmup. */
    public static Schedule matchTaylorSeerMacs(int nfe, long[] layerMacs, long fullStepMacs, String pattern,
                                               double removeFractionOfMacs, int order, int warmup) throws UsageException {
        checkShape(nfe, layerMacs.length, pattern);
        checkTaylorSeer(order, warmup);
        return matchTaylorSeer(nfe, layerMacs.length, pattern, removeFractionOfMacs, order, warmup,
                Costs.macs(layerMacs, fullStepMacs));
    }

    private static Schedule matchTaylorSeer(int nfe, int layers, String pattern, double remove, int order, int warmup,
                                            Costs costs) throws UsageException {
        if (!(remove >= 0 && remove < 1)) {
            throw new UsageException("the fraction of compute to remove lies in [0, 1), not " + remove);
        }
        double target = (1 - remove) * nfe * costs.fullStep();
        int best = 1;
        double bestMiss = Double.POSITIVE_INFINITY;
        for (int interval = 1; interval <= nfe; interval++) {
            int full = taylorSeerFullSteps(nfe, interval, warmup);
            double cost = full * (double) costs.fullStep() + (nfe - full) * (double) costs.nonLayer();
            double miss = Math.abs(cost - target);
            if (miss < bestMiss) {
                bestMiss = miss;
                best = interval;
            }
        }
        return buildTaylorSeer(nfe, layers, pattern, best, order, warmup, costs, remove);
    }

    private static boolean taylorSeerFull(int k, int interval, int warmup) {
        return k < warmup || (k - warmup + 1) % interval == 0;
    }

    private static int taylorSeerFullSteps(int nfe, int interval, int warmup) {
        int n = 0;
        for (int k = 0; k < nfe; k++) {
            n += taylorSeerFull(k, interval, warmup) ? 1 : 0;
        }
        return n;
    }

    private static Schedule buildTaylorSeer(int nfe, int layers, String pattern, int interval, int order, int warmup,
                                            Costs costs, Double target) {
        List<ScheduleStep> steps = new ArrayList<>(nfe);
        for (int k = 0; k < nfe; k++) {
            steps.add(taylorSeerFull(k, interval, warmup) ? ScheduleStep.full(layers) : ScheduleStep.cache());
        }
        Schedule refresh = new Schedule(layers, pattern, steps, Map.of(), List.of());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("interval", interval);
        params.put("order", order);
        params.put("warmup", warmup);
        return finish(ForecastSchedules.taylorSeer(refresh, order), Kind.TAYLORSEER, params, costs, nfe, target);
    }

    private static void checkTaylorSeer(int order, int warmup) throws UsageException {
        if (order < 1 || order > ForecastSchedules.MAX_ORDER) {
            throw new UsageException("TaylorSeer's order is 1 or " + ForecastSchedules.MAX_ORDER + ", not " + order);
        }
        if (warmup < 1) {
            throw new UsageException("TaylorSeer's warmup counts the full evaluations before the first forecast, at least 1 (the"
                    + " first evaluation has nothing to forecast from), not " + warmup);
        }
    }

    /**
     * DeepCache-style: full every {@code interval} evaluations (k mod interval = 0); in between,
     * the layers of blocks 0..k-1 and B-k..B-1 (k = {@code blocks}) are computed and the middle
     * blocks are reused. {@code blocks} = 0 reuses everything (the same steps as FORA).
     *
     * @param blocks k, with 0 ≤ 2k &lt; B so that at least one block is reused
     */
    public static Schedule deepCache(int nfe, int layers, String pattern, int interval, int blocks) throws UsageException {
        return deepCache(nfe, layers, pattern, interval, blocks, 2);
    }

    /** {@link #deepCache(int, int, String, int, int)} for blocks of {@code layersPerBlock} layers (PixArt: 3). */
    public static Schedule deepCache(int nfe, int layers, String pattern, int interval, int blocks, int layersPerBlock)
            throws UsageException {
        checkShape(nfe, layers, pattern);
        checkInterval(interval);
        int b = blockCount(layers, layersPerBlock);
        if (blocks < 0 || 2 * blocks >= b) {
            throw new UsageException("deepcache computes the first and last k blocks and reuses the middle, so k lies in 0.."
                    + (b - 1) / 2 + " for a model with " + b + " blocks, not " + blocks);
        }
        return buildDeepCache(nfe, layers, pattern, interval, blocks, Costs.layerEvaluations(layers).perBlock(layersPerBlock),
                null);
    }

    /**
     * The L2C router pattern's cache steps, computing {@code cacheStepLayerEvaluations} layer
     * evaluations in all, spread evenly (cache step counts differ by at most one), each step's
     * layers drawn uniformly at random from a {@link SplittableRandom} seeded with {@code seed}.
     * The same arguments give the same schedule.
     *
     * @param pattern {@value Schedule#DIT_DDIM} or {@value Schedule#UVIT_DPM2S}
     * @param cacheStepLayerEvaluations 0 .. (cache steps)·L
     */
    public static Schedule random(int nfe, int layers, String pattern, long cacheStepLayerEvaluations, long seed)
            throws UsageException {
        checkShape(nfe, layers, pattern);
        checkL2cPattern(Kind.RANDOM, pattern);
        long most = (long) l2cCacheSteps(nfe, pattern).length * layers;
        if (cacheStepLayerEvaluations < 0 || cacheStepLayerEvaluations > most) {
            throw new UsageException("the " + pattern + " pattern with " + nfe + " evaluations has room for 0.." + most
                    + " layer evaluations at its cache steps, not " + cacheStepLayerEvaluations);
        }
        return buildRandom(nfe, layers, pattern, cacheStepLayerEvaluations, seed, Costs.layerEvaluations(layers), null);
    }

    /**
     * The L2C router pattern's cache steps, each computing exactly {@code compute} (distinct layer
     * indices, any order); every other evaluation is full.
     *
     * @param pattern {@value Schedule#DIT_DDIM} or {@value Schedule#UVIT_DPM2S}
     */
    public static Schedule l2cMask(int nfe, int layers, String pattern, int[] compute) throws UsageException {
        checkShape(nfe, layers, pattern);
        checkL2cPattern(Kind.L2C_MASK, pattern);
        boolean[] seen = new boolean[layers];
        for (int j : compute) {
            if (j < 0 || j >= layers) {
                throw new UsageException("layer " + j + " in the mask is out of range; the model has " + layers
                        + " layers (0.." + (layers - 1) + ")");
            }
            if (seen[j]) {
                throw new UsageException("layer " + j + " is listed twice in the mask");
            }
            seen[j] = true;
        }
        return buildL2cMask(nfe, layers, pattern, compute, Costs.layerEvaluations(layers), null);
    }

    /**
     * The evaluations the published L2C routers make cache steps, for {@code nfe} evaluations:
     * <ul>
     *   <li>{@value Schedule#DIT_DDIM}: k ≥ 1 with N-1-k even (with N even, the odd k);</li>
     *   <li>{@value Schedule#UVIT_DPM2S}: the t_i evaluations 2i for 1 ≤ i &lt; N/2.</li>
     * </ul>
     * All others, evaluation 0 among them, are full. This is the step pattern of
     * {@link RouterSchedules}, without the routers.
     */
    public static int[] l2cCacheSteps(int nfe, String pattern) {
        List<Integer> steps = new ArrayList<>();
        switch (pattern) {
            case Schedule.DIT_DDIM -> {
                for (int k = 1; k < nfe; k++) {
                    if ((nfe - 1 - k) % 2 == 0) {
                        steps.add(k);
                    }
                }
            }
            case Schedule.UVIT_DPM2S -> {
                for (int i = 1; i < nfe / 2; i++) {
                    steps.add(2 * i);
                }
            }
            default -> throw new IllegalArgumentException("the L2C router pattern is defined for " + Schedule.DIT_DDIM
                    + " and " + Schedule.UVIT_DPM2S + ", not " + pattern);
        }
        return steps.stream().mapToInt(Integer::intValue).toArray();
    }

    // ----------------------------------------------------------------------------------------
    // Budget matching

    /**
     * The schedule of {@code kind} whose fraction of layer evaluations removed, against N = {@code
     * nfe} full evaluations, is closest to {@code removeFraction}.
     *
     * @param kind           one of {@link Kind#ids()}
     * @param pattern        the sampler pattern; random and l2c-mask need dit-ddim or uvit-dpm2s
     * @param removeFraction F, 0 ≤ F &lt; 1
     * @param seed           used by random only
     */
    public static Schedule matchBudget(String kind, int nfe, int layers, String pattern, double removeFraction, long seed)
            throws UsageException {
        return matchBudget(kind, nfe, layers, pattern, removeFraction, seed, 2);
    }

    /** {@link #matchBudget(String, int, int, String, double, long)} for blocks of {@code layersPerBlock} layers. */
    public static Schedule matchBudget(String kind, int nfe, int layers, String pattern, double removeFraction, long seed,
                                       int layersPerBlock) throws UsageException {
        checkShape(nfe, layers, pattern);
        if (layersPerBlock < 1) {
            throw new UsageException("--layers-per-block must be at least 1, not " + layersPerBlock);
        }
        return match(Kind.parse(kind), nfe, layers, pattern, removeFraction, seed,
                Costs.layerEvaluations(layers).perBlock(layersPerBlock));
    }

    /**
     * As {@link #matchBudget}, but counting multiply-accumulates: a full evaluation costs {@code
     * fullStepMacs}, which includes the work outside the cacheable layers (embeddings, final
     * layer), and reusing layer j saves {@code layerMacs[j]}. Removing every layer therefore never
     * removes all of the compute.
     *
     * @param layerMacs            MACs of each layer (per sample; only ratios matter), L entries
     * @param fullStepMacs         MACs of one full evaluation, at least the sum of {@code layerMacs}
     * @param removeFractionOfMacs F, 0 ≤ F &lt; 1
     */
    public static Schedule matchBudgetMacs(String kind, int nfe, long[] layerMacs, long fullStepMacs, String pattern,
                                           double removeFractionOfMacs, long seed) throws UsageException {
        return matchBudgetMacs(kind, nfe, layerMacs, fullStepMacs, pattern, removeFractionOfMacs, seed, 2);
    }

    /** {@link #matchBudgetMacs(String, int, long[], long, String, double, long)} for blocks of {@code layersPerBlock} layers. */
    public static Schedule matchBudgetMacs(String kind, int nfe, long[] layerMacs, long fullStepMacs, String pattern,
                                           double removeFractionOfMacs, long seed, int layersPerBlock) throws UsageException {
        Costs costs = Costs.macs(layerMacs, fullStepMacs).perBlock(layersPerBlock);
        checkShape(nfe, layerMacs.length, pattern);
        return match(Kind.parse(kind), nfe, layerMacs.length, pattern, removeFractionOfMacs, seed, costs);
    }

    /**
     * 1 - layerEvaluations / totalLayerEvaluations: the fraction of layer evaluations the schedule
     * skips against computing every layer at its own NFE. A fewer-steps schedule is all full, so
     * this is 0 for it; use {@link #removedFraction(Schedule, int)} to count against the reference.
     */
    public static double removedFraction(Schedule schedule) {
        return 1.0 - (double) schedule.layerEvaluations() / schedule.totalLayerEvaluations();
    }

    /** The fraction of layer evaluations skipped against {@code referenceNfe} full evaluations. */
    public static double removedFraction(Schedule schedule, int referenceNfe) {
        return Costs.layerEvaluations(schedule.layers()).removed(schedule, referenceNfe);
    }

    /**
     * The fraction of MACs skipped against {@code referenceNfe} full evaluations of {@code
     * fullStepMacs} each, when reusing layer j saves {@code layerMacs[j]}.
     */
    public static double removedMacFraction(Schedule schedule, long[] layerMacs, long fullStepMacs, int referenceNfe) {
        if (layerMacs.length != schedule.layers()) {
            throw new IllegalArgumentException("MACs for " + layerMacs.length + " layers, but the schedule has " + schedule.layers());
        }
        return Costs.macs(layerMacs, fullStepMacs).removed(schedule, referenceNfe);
    }

    private static Schedule match(Kind kind, int nfe, int layers, String pattern, double remove, long seed, Costs costs)
            throws UsageException {
        if (!(remove >= 0 && remove < 1)) {
            throw new UsageException("the fraction of compute to remove lies in [0, 1), not " + remove);
        }
        if (kind.followsL2cPattern()) {
            checkL2cPattern(kind, pattern);
        }
        // What the schedule may cost in all, in the budget's unit.
        double target = (1 - remove) * nfe * costs.fullStep();
        return switch (kind) {
            case NONE -> finish(Schedule.allFull(nfe, layers, pattern), kind, Map.of(), costs, nfe, remove);
            case FEWER_STEPS ->
                    buildFewerSteps(nfe, fewerStepsNfe(nfe, 1 - remove, pattern), layers, pattern, costs, remove);
            case FORA -> {
                int best = 1;
                double bestMiss = Double.POSITIVE_INFINITY;
                // Ascending intervals: on a tie the smaller interval, which computes more, wins.
                for (int interval = 1; interval <= nfe; interval++) {
                    double miss = Math.abs(foraCost(nfe, interval, 0, costs) - target);
                    if (miss < bestMiss) {
                        bestMiss = miss;
                        best = interval;
                    }
                }
                yield buildFora(nfe, layers, pattern, best, costs, remove);
            }
            case DEEPCACHE -> {
                int b = blockCount(layers, costs.layersPerBlock());
                // k = 0 would be FORA; use it only when the model is too shallow for anything else.
                int maxBlocks = (b - 1) / 2;
                int minBlocks = Math.min(1, maxBlocks);
                int bestInterval = 1;
                int bestBlocks = maxBlocks;
                double bestMiss = Double.POSITIVE_INFINITY;
                for (int interval = 1; interval <= nfe; interval++) {
                    for (int k = maxBlocks; k >= minBlocks; k--) {
                        double miss = Math.abs(foraCost(nfe, interval, outerBlocksCost(k, b, costs), costs) - target);
                        if (miss < bestMiss) {
                            bestMiss = miss;
                            bestInterval = interval;
                            bestBlocks = k;
                        }
                    }
                }
                yield buildDeepCache(nfe, layers, pattern, bestInterval, bestBlocks, costs, remove);
            }
            case RANDOM -> {
                int cacheSteps = l2cCacheSteps(nfe, pattern).length;
                double fixed = (nfe - cacheSteps) * (double) costs.fullStep() + cacheSteps * (double) costs.nonLayer();
                double layerBudget = Math.max(0, Math.min(cacheSteps * (double) costs.layerSum(), target - fixed));
                yield buildRandom(nfe, layers, pattern, layerBudget, seed, costs, remove);
            }
            case TAYLORSEER -> matchTaylorSeer(nfe, layers, pattern, remove, TAYLORSEER_ORDER, TAYLORSEER_WARMUP, costs);
            case L2C_MASK -> {
                int cacheSteps = l2cCacheSteps(nfe, pattern).length;
                int[] best = null;
                double bestMiss = Double.POSITIVE_INFINITY;
                // Largest masks first: on a tie the one computing more wins.
                for (int m = layers; m >= 0; m--) {
                    int[] mask = evenlySpaced(m, layers);
                    double cost = (nfe - cacheSteps) * (double) costs.fullStep()
                            + cacheSteps * (double) (costs.nonLayer() + costs.sum(mask));
                    double miss = Math.abs(cost - target);
                    if (miss < bestMiss) {
                        bestMiss = miss;
                        best = mask;
                    }
                }
                yield buildL2cMask(nfe, layers, pattern, best, costs, remove);
            }
        };
    }

    /** Cost of full steps at k mod interval = 0 and cache steps computing {@code cacheStepLayers} worth of layers. */
    private static double foraCost(int nfe, int interval, long cacheStepLayers, Costs costs) {
        int full = (nfe + interval - 1) / interval;
        return full * (double) costs.fullStep() + (nfe - full) * (double) (costs.nonLayer() + cacheStepLayers);
    }

    private static long outerBlocksCost(int k, int blocks, Costs costs) {
        return costs.sum(outerBlockLayers(k, blocks, costs.layersPerBlock()));
    }

    /** m of {@code layers} layer indices spread evenly over the depth: ⌊(2i+1)·L / 2m⌋ for i &lt; m. */
    static int[] evenlySpaced(int m, int layers) {
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = (int) ((2L * i + 1) * layers / (2L * m));
        }
        return out;
    }

    // ----------------------------------------------------------------------------------------
    // Builders (parameters already checked)

    private static Schedule buildFewerSteps(int referenceNfe, int nfe, int layers, String pattern, Costs costs,
                                            Double target) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("reference_nfe", referenceNfe);
        params.put("nfe", nfe);
        return finish(Schedule.allFull(nfe, layers, pattern), Kind.FEWER_STEPS, params, costs, referenceNfe, target);
    }

    private static Schedule buildFora(int nfe, int layers, String pattern, int interval, Costs costs, Double target) {
        List<ScheduleStep> steps = new ArrayList<>(nfe);
        for (int k = 0; k < nfe; k++) {
            steps.add(k % interval == 0 ? ScheduleStep.full(layers) : ScheduleStep.cache());
        }
        Schedule s = new Schedule(layers, pattern, steps, Map.of(), List.of());
        return finish(s, Kind.FORA, Map.of("interval", interval), costs, nfe, target);
    }

    private static Schedule buildDeepCache(int nfe, int layers, String pattern, int interval, int blocks, Costs costs,
                                           Double target) {
        // The layer count was checked even when the parameters were.
        int perBlock = costs.layersPerBlock();
        ScheduleStep partial = ScheduleStep.cache(outerBlockLayers(blocks, layers / perBlock, perBlock));
        List<ScheduleStep> steps = new ArrayList<>(nfe);
        for (int k = 0; k < nfe; k++) {
            steps.add(k % interval == 0 ? ScheduleStep.full(layers) : partial);
        }
        Schedule s = new Schedule(layers, pattern, steps, Map.of(), List.of());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("interval", interval);
        params.put("blocks", blocks);
        return finish(s, Kind.DEEPCACHE, params, costs, nfe, target);
    }

    /**
     * Spends {@code layerBudget} (in the cost's unit) on randomly drawn layers at the L2C cache
     * steps. Cache step i draws a uniformly random order of the layers and takes the prefix that
     * brings the running total closest to (i+1)/c of the budget, so the spending is spread evenly
     * and the rounding error never accumulates: the total ends within half a layer of the budget.
     */
    private static Schedule buildRandom(int nfe, int layers, String pattern, double layerBudget, long seed, Costs costs,
                                        Double target) {
        int[] cacheSteps = l2cCacheSteps(nfe, pattern);
        List<ScheduleStep> steps = new ArrayList<>(Collections.nCopies(nfe, ScheduleStep.full(layers)));
        SplittableRandom random = new SplittableRandom(seed);
        long spent = 0;
        long computed = 0;
        for (int i = 0; i < cacheSteps.length; i++) {
            int[] order = shuffledLayers(layers, random);
            double want = (i + 1) * layerBudget / cacheSteps.length - spent;
            int take = 0;
            long prefix = 0;
            long bestPrefix = 0;
            double bestMiss = Math.abs(want);
            for (int p = 1; p <= layers; p++) {
                prefix += costs.layer(order[p - 1]);
                double miss = Math.abs(prefix - want);
                // On a tie the longer prefix: the schedule that computes more.
                if (miss <= bestMiss) {
                    bestMiss = miss;
                    take = p;
                    bestPrefix = prefix;
                }
            }
            spent += bestPrefix;
            computed += take;
            steps.set(cacheSteps[i], ScheduleStep.cache(Arrays.copyOf(order, take)));
        }
        Schedule s = new Schedule(layers, pattern, steps, Map.of(), List.of());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("seed", seed);
        params.put("cache_steps", cacheSteps.length);
        params.put("cache_step_layer_evaluations", computed);
        return finish(s, Kind.RANDOM, params, costs, nfe, target);
    }

    private static int[] shuffledLayers(int layers, SplittableRandom random) {
        int[] order = new int[layers];
        Arrays.setAll(order, j -> j);
        for (int j = layers - 1; j > 0; j--) {
            int other = random.nextInt(j + 1);
            int t = order[j];
            order[j] = order[other];
            order[other] = t;
        }
        return order;
    }

    private static Schedule buildL2cMask(int nfe, int layers, String pattern, int[] compute, Costs costs, Double target) {
        ScheduleStep masked = ScheduleStep.cache(compute);
        List<ScheduleStep> steps = new ArrayList<>(Collections.nCopies(nfe, ScheduleStep.full(layers)));
        for (int k : l2cCacheSteps(nfe, pattern)) {
            steps.set(k, masked);
        }
        Schedule s = new Schedule(layers, pattern, steps, Map.of(), List.of());
        List<Integer> maskList = Arrays.stream(masked.computed()).boxed().toList();
        return finish(s, Kind.L2C_MASK, Map.of("compute", maskList), costs, nfe, target);
    }

    /** The layers of blocks 0..k-1 and B-k..B-1, ascending. */
    private static int[] outerBlockLayers(int k, int blocks, int perBlock) {
        int[] out = new int[2 * k * perBlock];
        int n = 0;
        for (int b = 0; b < blocks; b++) {
            if (b < k || b >= blocks - k) {
                for (int j = 0; j < perBlock; j++) {
                    out[n++] = perBlock * b + j;
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** {@code schedule} with its baseline provenance: kind, parameters, budget unit, target and achieved fraction. */
    private static Schedule finish(Schedule schedule, Kind kind, Map<String, Object> params, Costs costs, int referenceNfe,
                                   Double target) {
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("source", "baseline");
        provenance.put("kind", kind.id());
        provenance.putAll(params);
        provenance.put("budget_unit", costs.unit());
        if (target != null) {
            provenance.put("target_remove", target);
        }
        provenance.put("achieved_remove", costs.removed(schedule, referenceNfe));
        return schedule.withProvenance(provenance);
    }

    // ----------------------------------------------------------------------------------------
    // Checks

    private static void checkShape(int nfe, int layers, String pattern) throws UsageException {
        if (nfe < 1) {
            throw new UsageException("a sampler makes at least one model evaluation, not " + nfe);
        }
        if (layers < 1) {
            throw new UsageException("a model has at least one cacheable layer, not " + layers);
        }
        if (!Schedule.PATTERNS.contains(pattern)) {
            throw new UsageException("unknown pattern \"" + pattern + "\" (expected one of " + String.join(", ", Schedule.PATTERNS) + ")");
        }
        if (Schedule.UVIT_DPM2S.equals(pattern) && nfe % 2 != 0) {
            throw new UsageException("pattern " + Schedule.UVIT_DPM2S + " makes two model evaluations per sampling step, so the NFE"
                    + " must be even, not " + nfe);
        }
    }

    private static void checkL2cPattern(Kind kind, String pattern) throws UsageException {
        if (!Schedule.DIT_DDIM.equals(pattern) && !Schedule.UVIT_DPM2S.equals(pattern)) {
            throw new UsageException(kind.id() + " puts its cache steps where the L2C routers of a sampler have them, so the"
                    + " pattern must be " + Schedule.DIT_DDIM + " or " + Schedule.UVIT_DPM2S + ", not \"" + pattern + "\"");
        }
    }

    private static void checkInterval(int interval) throws UsageException {
        if (interval < 1) {
            throw new UsageException("the interval between full evaluations is at least 1 (1 = every evaluation full), not " + interval);
        }
    }

    private static int blockCount(int layers, int perBlock) throws UsageException {
        if (perBlock == 2 && layers % 2 != 0) {
            throw new UsageException("deepcache works on whole blocks, and L2C numbers two layers per block (attention 2i, MLP 2i+1),"
                    + " so the layer count must be even, not " + layers);
        }
        if (layers % perBlock != 0) {
            throw new UsageException("deepcache works on whole blocks of " + perBlock + " layers (L2C numbers them block by"
                    + " block: attention, [cross-attention,] MLP), so the layer count must be a multiple of " + perBlock
                    + ", not " + layers);
        }
        return layers / perBlock;
    }

    /**
     * What evaluations cost in one unit: a full evaluation costs {@code fullStep}; a cache step
     * costs the work outside the cacheable layers ({@code fullStep} minus all layers) plus the
     * layers it computes. Counting layer evaluations is the case of unit layers and no outside work.
     */
    private record Costs(long[] layers, long fullStep, String unit, int layersPerBlock) {
        Costs(long[] layers, long fullStep, String unit) {
            this(layers, fullStep, unit, 2);
        }

        /** The same costs for a model whose blocks hold {@code n} layers (3 with cross-attention). */
        Costs perBlock(int n) {
            return new Costs(layers, fullStep, unit, n);
        }


        static Costs layerEvaluations(int layers) {
            long[] ones = new long[layers];
            Arrays.fill(ones, 1);
            return new Costs(ones, layers, UNIT_LAYER_EVALUATIONS);
        }

        static Costs macs(long[] layerMacs, long fullStepMacs) {
            if (layerMacs.length == 0) {
                throw new IllegalArgumentException("MACs for no layers; a model has at least one cacheable layer");
            }
            long sum = 0;
            for (int j = 0; j < layerMacs.length; j++) {
                if (layerMacs[j] < 0) {
                    throw new IllegalArgumentException("layer " + j + " has negative MACs " + layerMacs[j]);
                }
                sum = Math.addExact(sum, layerMacs[j]);
            }
            if (fullStepMacs <= 0 || fullStepMacs < sum) {
                throw new IllegalArgumentException("a full evaluation costs " + fullStepMacs + " MACs, less than its layers' "
                        + sum + " (or nothing at all)");
            }
            return new Costs(layerMacs.clone(), fullStepMacs, UNIT_MACS);
        }

        long layer(int j) {
            return layers[j];
        }

        long layerSum() {
            return sum(null);
        }

        /** Work a cache step does outside the cacheable layers. */
        long nonLayer() {
            return fullStep - layerSum();
        }

        /** Sum over {@code indices}, or over every layer when null. */
        long sum(int[] indices) {
            long s = 0;
            if (indices == null) {
                for (long v : layers) {
                    s += v;
                }
            } else {
                for (int j : indices) {
                    s += layers[j];
                }
            }
            return s;
        }

        long cost(Schedule schedule) {
            long total = 0;
            for (ScheduleStep step : schedule.steps()) {
                total += step.full() ? fullStep : nonLayer() + sum(step.computed());
            }
            return total;
        }

        double removed(Schedule schedule, int referenceNfe) {
            return 1.0 - (double) cost(schedule) / ((double) referenceNfe * fullStep);
        }
    }
}
