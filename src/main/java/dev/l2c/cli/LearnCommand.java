package dev.l2c.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.learn.ForecastKind;
import dev.l2c.learn.ForecastLearner;
import dev.l2c.learn.LearnOptions;
import dev.l2c.learn.LearnedSchedule;
import dev.l2c.learn.ScheduleLearner;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/** {@code l2c learn MODEL --nfe N --budget F | --lambda λ -o FILE}: learn a schedule on the ONNX graph. */
@Command(name = "learn", description = {
        "Learn an L2C schedule on the model with ONNX Runtime: for each cache step, which layers to reuse so that the "
        + "model output stays closest (mean squared error) to the full model's (--weighting sample: the final samples), over a calibration run of the full sampler "
        + "from seeded noise (--seed, which also draws the check sets; no dataset), under a budget of compute removed (--budget) or a penalty per recomputed layer (--lambda).",
        "Method: at every cache step, the errors of reusing one layer, and of reusing all layers but one, are measured; "
        + "they give an error model for any set; a budget is spread over the steps exactly on that model (knapsack); "
        + "then swaps are kept where measured errors improve. Writes the schedule with provenance and the relaxed "
        + "router scores. The embedded DiT with DDIM-20 and 16 images takes about 3 minutes on two cores."})
final class LearnCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "The ONNX model (with its model card beside it).")
    Path model;

    @Option(names = "--nfe", defaultValue = "20", paramLabel = "N", description = "Model evaluations of the sampler (default 20).")
    int nfe;

    @Option(names = "--budget", paramLabel = "F",
            description = "Fraction of compute to remove over the whole schedule, 0 <= F < 1, counted against N full evaluations.")
    Double budget;

    @Option(names = "--lambda", paramLabel = "λ",
            description = "Penalty per recomputed layer, in units of the output's mean squared error (per average layer with --budget-unit macs).")
    Double lambda;

    @Option(names = "--budget-unit", defaultValue = BaselineSchedules.UNIT_LAYER_EVALUATIONS, paramLabel = "UNIT",
            description = "layer-evaluations (default) or macs: what --budget and --lambda count.")
    String budgetUnit;

    @Option(names = "--weighting", defaultValue = LearnOptions.DEFAULT_WEIGHTING, paramLabel = "W", description = {
            "output (default, L2C's objective, the paper's): every cache step's model-output error counts alike;",
            "sample: minimise the predicted error of the final samples: each step's output error is carried to",
            "the final samples by a measured linear model (the calibration run replayed once per cache step",
            "with that step's output perturbed), errors of different steps adding up as vectors (closer to the",
            "full schedule's samples, but not a lower FD: benchmarks/fidelity);",
            "x0: each step's error is weighted by (sigma_t/alpha_t)^2, the error of the predicted clean image."})
    String weighting;

    @Option(names = "--forecast", paramLabel = "KIND", description = {
            "learned (the default with --budget): the learner chooses which evaluations refresh the layers, and",
            "every other evaluation forecasts each layer from its last computed values: a polynomial of degree 2",
            "or 1 over the model time, or weights fitted by least squares in the calibration rollout (per layer or",
            "per step, chosen on held-out images), whichever brings the final samples closest to the full",
            "sampler's; taylor1, taylor2: that polynomial only. Candidates are measured by running the sampler.",
            "reuse (the default with --lambda): L2C's schedules, layers reused at the published routers' cache",
            "steps. Forecasts beat reuse at every budget measured (benchmarks/forecast/README.md)."})
    String forecast;

    @Option(names = "--images", defaultValue = "16", paramLabel = "N", description = "Calibration images (default 16; the model batch is doubled by guidance).")
    int images;

    @Mixin
    NoiseOptions noiseOptions;

    @Option(names = "--check-sets", defaultValue = "" + LearnOptions.DEFAULT_CHECK_SETS, paramLabel = "N",
            description = "Random reuse sets per cache step measured to check the linear error model (default ${DEFAULT-VALUE}).")
    int checkSets;

    @Option(names = "--swap-trials", defaultValue = "" + LearnOptions.DEFAULT_SWAP_TRIALS, paramLabel = "N",
            description = "Most model evaluations per cache step spent on measured swaps (default ${DEFAULT-VALUE}).")
    int swapTrials;

    @Mixin
    ThreadsOption threadsOption;

    @Option(names = "--quiet", description = "No progress bar and no table.")
    boolean quiet;

    @Option(names = "--report", paramLabel = "FILE.json",
            description = "Also write every measurement: per-step errors and the linear model's predictions against measured errors.")
    Path report;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Schedule JSON to write.")
    Path output;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws L2cException {
        int threads = threadsOption.threads();
        noiseOptions.checkCfg();
        SampleCommand.checkWritable(output);
        if (report != null) {
            SampleCommand.checkWritable(report);
        }
        LearnOptions options = new LearnOptions(samplerOptions.sampler, nfe, budget, lambda, budgetUnit, weighting, images,
                noiseOptions.seed(), noiseOptions.cfg, samplerOptions.noClip ? Boolean.FALSE : null, checkSets, swapTrials,
                OrtRuntime.Options.cpu().withThreads(threads), !quiet);
        options.check();
        // forecasts won at every budget measured (benchmarks/forecast/); the forecast learner spends a
        // budget, so a penalty (--lambda) keeps learning reuse schedules unless told otherwise
        ForecastKind kind = forecast != null ? ForecastKind.parse(forecast)
                : lambda != null ? ForecastKind.REUSE : ForecastKind.LEARNED;
        if (kind != ForecastKind.REUSE) {
            for (String reuseOnly : List.of("--weighting", "--check-sets", "--swap-trials")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(reuseOnly)) {
                    throw new UsageException(reuseOnly + " tunes the reuse learner; add --forecast reuse to use it (the"
                            + " forecast learner, the default with --budget, measures whole sampling runs instead)");
                }
            }
            if (report != null) {
                throw new UsageException("--report describes the reuse learner's error model (--forecast reuse); the"
                        + " forecast learner records its measurements in the schedule's provenance");
            }
            LoadedModel m = modelOptions.load(model);
            ForecastLearner.Result r = ForecastLearner.learn(m, options, kind);
            ScheduleJson.write(r.schedule(), output);
            System.out.printf(Locale.ROOT, "wrote %s: %d of %d layer evaluations computed, %.2f%% of the %s removed, %s"
                            + " forecasts; final samples vs the full sampler's on the calibration noise: PSNR %.2f dB"
                            + " (MSE %.4g); %d rollouts, %d model evaluations in %.1f s%n",
                    output, r.schedule().layerEvaluations(), r.schedule().totalLayerEvaluations(), 100 * r.achievedRemove(),
                    budgetUnit, kind.id, r.calibrationPsnr(), r.calibrationMse(), r.rollouts(), r.modelEvaluations(),
                    r.seconds());
            return 0;
        }
        LoadedModel m = modelOptions.load(model);
        LearnedSchedule learned = ScheduleLearner.learn(m, options);
        ScheduleJson.write(learned.schedule(), output);
        if (report != null) {
            writeReport(learned, report);
        }
        if (!quiet) {
            printTable(learned);
        }
        System.out.printf(Locale.ROOT, "wrote %s: %d of %d layer evaluations computed, %.2f%% of the %s removed; objective %.4g"
                        + " (%s); %d model evaluations in %.1f s%n",
                output, learned.schedule().layerEvaluations(), learned.schedule().totalLayerEvaluations(),
                100 * learned.achievedRemove(), budgetUnit, learned.objective(),
                (LearnOptions.SAMPLE.equals(weighting) ? "predicted MSE of the final samples"
                        : "Σ per-step MSE" + (LearnOptions.X0.equals(weighting) ? ", x0-weighted" : ""))
                        + (lambda != null ? " + λ·cost" : ""),
                learned.modelEvaluations(), learned.seconds());
        return 0;
    }

    private static void printTable(LearnedSchedule learned) {
        int layers = learned.schedule().layers();
        System.out.printf(Locale.ROOT, "%5s %8s %9s %12s %12s %12s %6s %8s%n", "step", "t", "computed", "MSE predict",
                "MSE alloc", "MSE final", "evals", "seconds");
        for (LearnedSchedule.StepReport s : learned.steps()) {
            System.out.printf(Locale.ROOT, "%5d %8.1f %5d/%-3d %12.4g %12.4g %12.4g %6d %8.1f%n", s.step(), s.modelTime(),
                    s.computed(), layers, s.predicted(), s.allocatedMse(), s.mse(), s.evaluations(), s.seconds());
        }
        LearnedSchedule.Agreement a = learned.agreement();
        printAgreement("random sets", a.randomSets());
        printAgreement("chosen sets", a.chosenSets());
        printAgreement("swaps (anchored)", a.swaps());
    }

    private static void printAgreement(String what, List<LearnedSchedule.Pair> pairs) {
        if (pairs.isEmpty()) {
            return;
        }
        System.out.printf(Locale.ROOT, "prediction vs measured error, %s (%d): %s; around nothing reused: %s; around all reused: %s%n",
                what, pairs.size(), agreement(pairs, LearnedSchedule.Pair::predicted),
                agreement(pairs, LearnedSchedule.Pair::fromNone), agreement(pairs, LearnedSchedule.Pair::fromAll));
    }

    private static String agreement(List<LearnedSchedule.Pair> pairs, ToDoubleFunction<LearnedSchedule.Pair> f) {
        return String.format(Locale.ROOT, "r %.3f, median rel. err %.2f, measured/predicted %.2f",
                LearnedSchedule.Agreement.correlation(pairs, f), LearnedSchedule.Agreement.medianRelativeError(pairs, f),
                LearnedSchedule.Agreement.measuredOverPredicted(pairs, f));
    }

    private static void writeReport(LearnedSchedule learned, Path file) throws L2cException {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("objective", learned.objective());
        root.put("total_mse", learned.totalMse());
        root.put("mu", learned.mu());
        root.put("achieved_remove", learned.achievedRemove());
        root.put("seconds", learned.seconds());
        root.put("model_evaluations", learned.modelEvaluations());
        ArrayNode steps = root.putArray("steps");
        for (LearnedSchedule.StepReport s : learned.steps()) {
            ObjectNode o = steps.addObject();
            o.put("step", s.step());
            o.put("model_time", s.modelTime());
            o.put("computed", s.computed());
            o.put("mse_predicted", s.predicted());
            o.put("mse_allocated", s.allocatedMse());
            o.put("mse", s.mse());
            o.put("penalty", s.penalty());
            o.put("evaluations", s.evaluations());
            o.put("seconds", s.seconds());
        }
        ObjectNode agreement = root.putObject("linearisation");
        pairs(agreement.putArray("random_sets"), learned.agreement().randomSets());
        pairs(agreement.putArray("chosen_sets"), learned.agreement().chosenSets());
        pairs(agreement.putArray("swaps_anchored"), learned.agreement().swaps());
        AtomicOutput.writeFile(file, out -> out.write(om.writeValueAsBytes(root)));
    }

    private static void pairs(ArrayNode array, List<LearnedSchedule.Pair> pairs) {
        for (LearnedSchedule.Pair p : pairs) {
            ObjectNode o = array.addObject();
            o.put("step", p.step());
            o.put("reused", p.reused());
            o.put("from_none", p.fromNone());
            o.put("from_all", p.fromAll());
            o.put("predicted", p.predicted());
            o.put("measured", p.measured());
        }
    }
}
