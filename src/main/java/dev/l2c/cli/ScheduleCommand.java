package dev.l2c.cli;

import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.RouterCheckpoint;
import dev.l2c.schedule.RouterSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code l2c schedule ...}: make schedules (which layers each sampling step computes). */
@Command(name = "schedule",
        description = "Make cache schedules: from a trained L2C router, the reference mask, all-full, or a baseline.",
        subcommands = {ScheduleCommand.FromRouter.class, ScheduleCommand.Reference.class, ScheduleCommand.Full.class,
                ScheduleCommand.Baseline.class})
final class ScheduleCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static void report(Schedule s, Path out) {
        System.out.printf("wrote %s: %d evaluations, %d layers, pattern %s, %d of %d layer evaluations computed (%.1f%%)%n",
                out, s.nfe(), s.layers(), s.pattern(), s.layerEvaluations(), s.totalLayerEvaluations(),
                100.0 * s.layerEvaluations() / s.totalLayerEvaluations());
    }

    /** What every generated schedule needs: its size and where to write it. Shared by reference, full and baseline. */
    static final class ScheduleSize {
        @Option(names = "--nfe", required = true, paramLabel = "N",
                description = "Model evaluations of the sampling run the schedule is for (the sampler's NFE).")
        int nfe;

        @Option(names = "--layers", required = true, paramLabel = "L",
                description = "Cacheable layers of the model (see `l2c inspect`).")
        int layers;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Schedule JSON to write.")
        Path output;

        /** Refuses a size no schedule can have, before anything is built. */
        void check() throws UsageException {
            String size = Schedule.sizeProblem(nfe, layers);
            if (size != null) {
                throw new UsageException("--" + size);
            }
        }

        /** Writes the schedule and says what was written. */
        void write(Schedule s) throws L2cException {
            ScheduleJson.write(s, output);
            report(s, output);
        }
    }

    @Command(name = "from-router", description = {
            "Threshold a published L2C router (a PyTorch checkpoint, read as data only) into a schedule.",
            "DiT routers (DDIM): router r = N-1-k drives step k; steps with odd r (and k = 0) are full, even r are cache steps.",
            "U-ViT routers (DPM-Solver-2): evaluations (t0, s0, t1, s1, ...); t_i (i >= 1) is a cache step reusing s_(i-1)."})
    static final class FromRouter implements Callable<Integer> {
        @Parameters(paramLabel = "ROUTER", description = "Router checkpoint (.pt/.pth).")
        Path router;

        @Option(names = "--threshold", paramLabel = "θ",
                description = "Compute layer j when sigmoid(prob[j]) > θ (default: 0.1 for DiT routers, 0.9 for U-ViT routers).")
        Double threshold;

        @Option(names = "--pattern", paramLabel = "NAME", description = "dit-ddim or uvit-dpm2s (default: from the router's layout).")
        String pattern;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Schedule JSON to write.")
        Path output;

        @Override
        public Integer call() throws L2cException {
            RouterCheckpoint ckpt = RouterCheckpoint.read(router);
            String p = pattern != null ? pattern : RouterSchedules.inferPattern(ckpt);
            if (!p.equals(Schedule.DIT_DDIM) && !p.equals(Schedule.UVIT_DPM2S)) {
                throw new UsageException("--pattern must be dit-ddim or uvit-dpm2s, not '" + p + "'");
            }
            Schedule s = RouterSchedules.fromRouter(ckpt, p, threshold != null ? threshold : RouterSchedules.defaultThreshold(p));
            ScheduleJson.write(s, output);
            report(s, output);
            return 0;
        }
    }

    @Command(name = "reference", description = {
            "The L2C-style reference mask (the one the demo models' PyTorch reference trajectory used): even steps full; at odd step k layer j is "
            + "computed when (7j + k) mod 3 = 0, otherwise reused from step k-1. With --pattern uvit-dpm2s the cache "
            + "steps are the evaluations at t_i (i >= 1, even k), reusing s_(i-1), with the same rule."})
    static final class Reference implements Callable<Integer> {
        @Mixin
        ScheduleSize size;

        @Option(names = "--pattern", paramLabel = "NAME", defaultValue = "dit-ddim", description = "dit-ddim (default) or uvit-dpm2s: the step pattern the mask follows.")
        String pattern;

        @Override
        public Integer call() throws L2cException {
            size.check();
            int nfe = size.nfe;
            if (!pattern.equals(Schedule.DIT_DDIM) && !pattern.equals(Schedule.UVIT_DPM2S)) {
                throw new UsageException("--pattern must be dit-ddim or uvit-dpm2s");
            }
            if (pattern.equals(Schedule.UVIT_DPM2S) && nfe % 2 != 0) {
                throw new UsageException("uvit-dpm2s needs an even --nfe (two evaluations per DPM-Solver-2 step)");
            }
            size.write(ReferenceSchedules.referenceMask(nfe, size.layers, pattern));
            return 0;
        }
    }

    @Command(name = "full", description = "Every step computes every layer (the uncached baseline).")
    static final class Full implements Callable<Integer> {
        @Mixin
        ScheduleSize size;

        @Option(names = "--pattern", paramLabel = "NAME", defaultValue = "free", description = "Step pattern to record: free (default: an all-full schedule fits every sampler), dit-ddim or uvit-dpm2s.")
        String pattern;

        @Override
        public Integer call() throws L2cException {
            size.check();
            size.write(Schedule.allFull(size.nfe, size.layers, pattern));
            return 0;
        }
    }

    @Command(name = "baseline", description = {
            "A baseline schedule to compare L2C with, set by its own parameter or matched to a budget (--remove F).",
            "",
            "  none         every layer at every evaluation",
            "  fewer-steps  all full at fewer evaluations N' (--reduced-nfe N'; --nfe is the uncached run's); the sampler"
                    + " must run N' evaluations",
            "  fora         full when k mod K = 0, every layer reused otherwise (--interval K)",
            "  deepcache    full when k mod K = 0, otherwise only the first and last k blocks computed (--interval K"
                    + " --blocks k)",
            "  random       the L2C router step pattern with uniformly random layers at its cache steps (--remove F,"
                    + " --seed S)",
            "  l2c-mask     the L2C router step pattern computing a fixed layer list at its cache steps (--compute LIST)",
            "  taylorseer   TaylorSeer: --warmup W full evaluations, then full every K (--interval K); in between every"
                    + " layer forecast by a Taylor series of --order 1|2 (default 2) from its last computed values",
            "",
            "--remove F picks the parameter whose schedule removes the fraction of layer evaluations closest to F "
            + "(counted against --nfe full evaluations) and prints what it achieved."})
    static final class Baseline implements Callable<Integer> {
        @Parameters(paramLabel = "KIND", description = "none, fewer-steps, fora, deepcache, random, l2c-mask or taylorseer.")
        String kind;

        @Mixin
        ScheduleSize size;

        @Option(names = "--pattern", paramLabel = "NAME", description = {
                "dit-ddim, uvit-dpm2s or free (default: free; random and l2c-mask need dit-ddim or uvit-dpm2s)."})
        String pattern;

        @Option(names = "--remove", paramLabel = "F", description = "Match a budget: the fraction of layer evaluations to remove, 0 <= F < 1.")
        Double remove;

        @Option(names = "--interval", paramLabel = "K", description = "fora, deepcache: evaluations k with k mod K = 0 are full.")
        Integer interval;

        @Option(names = "--blocks", paramLabel = "K", description = "deepcache: blocks computed at each end of the model between full evaluations.")
        Integer blocks;

        @Option(names = "--layers-per-block", paramLabel = "N", defaultValue = "2", description = "deepcache: cacheable "
                + "layers per block, as `l2c inspect` numbers them: 2 (DiT, U-ViT: attention, MLP) or 3 (PixArt: attention,"
                + " cross-attention, MLP). Default 2.")
        int layersPerBlock;

        @Option(names = "--compute", paramLabel = "LIST", description = "l2c-mask: comma-separated layers computed at every cache step (may be empty).")
        String compute;

        @Option(names = "--reduced-nfe", paramLabel = "N'", description = "fewer-steps: the evaluations actually run.")
        Integer reducedNfe;

        @Option(names = "--seed", paramLabel = "S", description = "random: seed of the layer draw (default: 0).")
        Long seed;

        @Option(names = "--order", paramLabel = "1|2", description = "taylorseer: order of the Taylor series (default: 2).")
        Integer order;

        @Option(names = "--warmup", paramLabel = "W", description = "taylorseer: full evaluations before the first forecast (default: 1, FORA's refreshes).")
        Integer warmup;

        @Override
        public Integer call() throws L2cException {
            size.check();
            int nfe = size.nfe;
            Schedule s = build();
            size.write(s);
            double achieved = BaselineSchedules.removedFraction(s, nfe);
            String target = remove == null ? "" : String.format(" (target %.2f%%)", 100 * remove);
            System.out.printf("%s removes %.2f%% of the layer evaluations of %d full evaluations%s%n",
                    kind, 100 * achieved, nfe, target);
            if (s.nfe() != nfe) {
                System.out.printf("sample with %d model evaluations, not %d: this schedule is for the shorter run%n", s.nfe(), nfe);
            }
            return 0;
        }

        Schedule build() throws UsageException {
            int nfe = size.nfe;
            int layers = size.layers;
            BaselineSchedules.Kind k = BaselineSchedules.Kind.parse(kind);
            String p = pattern;
            if (p == null) {
                if (k.followsL2cPattern()) {
                    throw new UsageException(kind + " follows the L2C router step pattern of a sampler: give --pattern "
                            + Schedule.DIT_DDIM + " or " + Schedule.UVIT_DPM2S);
                }
                p = Schedule.FREE;
            }
            List<String> nativeGiven = nativeOptionsGiven();
            refuseOthers(k, allowedNative(k));
            if (seed != null && k != BaselineSchedules.Kind.RANDOM) {
                throw new UsageException(kind + " draws nothing at random; drop --seed");
            }
            if ((order != null || warmup != null) && k != BaselineSchedules.Kind.TAYLORSEER) {
                throw new UsageException(kind + " forecasts nothing; --order and --warmup are taylorseer's");
            }
            int taylorOrder = order == null ? BaselineSchedules.TAYLORSEER_ORDER : order;
            int taylorWarmup = warmup == null ? BaselineSchedules.TAYLORSEER_WARMUP : warmup;
            if (k == BaselineSchedules.Kind.TAYLORSEER && remove != null && interval == null) {
                return BaselineSchedules.matchTaylorSeer(nfe, layers, p, remove, taylorOrder, taylorWarmup);
            }
            if (remove != null) {
                if (!nativeGiven.isEmpty()) {
                    throw new UsageException("give either --remove or " + String.join(" and ", nativeGiven) + ", not both: --remove picks "
                            + String.join(" and ", nativeGiven) + " itself");
                }
                return BaselineSchedules.matchBudget(kind, nfe, layers, p, remove, seed == null ? 0 : seed, layersPerBlock);
            }
            return switch (k) {
                case NONE -> BaselineSchedules.none(nfe, layers, p);
                case FEWER_STEPS -> BaselineSchedules.fewerSteps(nfe, require(reducedNfe, "--reduced-nfe N'"), layers, p);
                case FORA -> BaselineSchedules.fora(nfe, layers, p, require(interval, "--interval K"));
                case DEEPCACHE -> BaselineSchedules.deepCache(nfe, layers, p, require(interval, "--interval K"),
                        require(blocks, "--blocks K"), layersPerBlock);
                case RANDOM -> throw new UsageException("random is set by its budget: give --remove F");
                case L2C_MASK -> BaselineSchedules.l2cMask(nfe, layers, p, parseLayers(require(compute, "--compute LIST")));
                case TAYLORSEER -> BaselineSchedules.taylorSeer(nfe, layers, p, require(interval, "--interval K"), taylorOrder,
                        taylorWarmup);
            };
        }

        private <T> T require(T value, String option) throws UsageException {
            if (value == null) {
                throw new UsageException(kind + " needs " + option + " or --remove F");
            }
            return value;
        }

        private List<String> nativeOptionsGiven() {
            List<String> given = new ArrayList<>();
            if (interval != null) {
                given.add("--interval");
            }
            if (blocks != null) {
                given.add("--blocks");
            }
            if (compute != null) {
                given.add("--compute");
            }
            if (reducedNfe != null) {
                given.add("--reduced-nfe");
            }
            return given;
        }

        private static List<String> allowedNative(BaselineSchedules.Kind k) {
            return switch (k) {
                case NONE, RANDOM -> List.of();
                case FEWER_STEPS -> List.of("--reduced-nfe");
                case FORA, TAYLORSEER -> List.of("--interval");
                case DEEPCACHE -> List.of("--interval", "--blocks");
                case L2C_MASK -> List.of("--compute");
            };
        }

        private void refuseOthers(BaselineSchedules.Kind k, List<String> allowed) throws UsageException {
            for (String option : nativeOptionsGiven()) {
                if (!allowed.contains(option)) {
                    String takes = allowed.isEmpty() ? "--remove F" : String.join(" ", allowed) + " or --remove F";
                    throw new UsageException(kind + " takes " + takes + ", not " + option);
                }
            }
        }

        private static int[] parseLayers(String list) throws UsageException {
            String trimmed = list.trim();
            if (trimmed.isEmpty()) {
                return new int[0];
            }
            String[] parts = trimmed.split(",", -1);
            int[] out = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    out[i] = Integer.parseInt(parts[i].trim());
                } catch (NumberFormatException e) {
                    throw new UsageException("--compute takes comma-separated layer indices like 0,1,22,23, but \"" + parts[i].trim()
                            + "\" is not one");
                }
            }
            return out;
        }
    }
}
