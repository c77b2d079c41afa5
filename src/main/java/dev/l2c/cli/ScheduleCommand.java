package dev.l2c.cli;

import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.schedule.RouterCheckpoint;
import dev.l2c.schedule.RouterSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code l2c schedule ...}: make schedules (which layers each sampling step computes). */
@Command(name = "schedule", description = "Make cache schedules: from a trained L2C router, the reference mask, or all-full.",
        subcommands = {ScheduleCommand.FromRouter.class, ScheduleCommand.Reference.class, ScheduleCommand.Full.class})
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
            Schedule s = RouterSchedules.fromRouter(ckpt, p, threshold != null ? threshold : RouterSchedules.defaultThreshold(p));
            ScheduleJson.write(s, output);
            report(s, output);
            return 0;
        }
    }

    @Command(name = "reference", description = {
            "The L2C-style reference mask of ../shared/models/README.md: even steps full; at odd step k layer j is",
            "computed when (7j + k) mod 3 = 0, otherwise reused from step k-1. With --pattern uvit-dpm2s the cache",
            "steps are the evaluations at t_i (i >= 1, even k), reusing s_(i-1), with the same rule."})
    static final class Reference implements Callable<Integer> {
        @Option(names = "--nfe", required = true, description = "Model evaluations.")
        int nfe;

        @Option(names = "--layers", required = true, description = "Cacheable layers of the model (see `l2c inspect`).")
        int layers;

        @Option(names = "--pattern", defaultValue = "dit-ddim", description = "dit-ddim (default) or uvit-dpm2s.")
        String pattern;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE")
        Path output;

        @Override
        public Integer call() throws L2cException {
            if (nfe < 1 || layers < 1) {
                throw new UsageException("--nfe and --layers must be positive");
            }
            if (!pattern.equals(Schedule.DIT_DDIM) && !pattern.equals(Schedule.UVIT_DPM2S)) {
                throw new UsageException("--pattern must be dit-ddim or uvit-dpm2s");
            }
            if (pattern.equals(Schedule.UVIT_DPM2S) && nfe % 2 != 0) {
                throw new UsageException("uvit-dpm2s needs an even --nfe (two evaluations per DPM-Solver-2 step)");
            }
            Schedule s = ReferenceSchedules.referenceMask(nfe, layers, pattern);
            ScheduleJson.write(s, output);
            report(s, output);
            return 0;
        }
    }

    @Command(name = "full", description = "Every step computes every layer (the uncached baseline).")
    static final class Full implements Callable<Integer> {
        @Option(names = "--nfe", required = true)
        int nfe;

        @Option(names = "--layers", required = true)
        int layers;

        @Option(names = "--pattern", defaultValue = "free", description = "Step pattern to record (default: free).")
        String pattern;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE")
        Path output;

        @Override
        public Integer call() throws L2cException {
            if (nfe < 1 || layers < 1) {
                throw new UsageException("--nfe and --layers must be positive");
            }
            Schedule s = Schedule.allFull(nfe, layers, pattern);
            ScheduleJson.write(s, output);
            report(s, output);
            return 0;
        }
    }
}
