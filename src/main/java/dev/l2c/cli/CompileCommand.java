package dev.l2c.cli;

import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code l2c compile MODEL --schedule S -o PKG}. */
@Command(name = "compile", description = {
        "Compile a model and a schedule into a package, in one of two forms, both with one shared weights file "
                + "(external data) and manifest.json with checksums:",
        "  linked    one ONNX model that performs the whole sampling run (noise and labels in, samples out): every "
                + "step's pruned graph, the caches, guidance and the sampler's arithmetic inside (--link);",
        "  stepwise  one pruned ONNX graph per distinct step, cache tensors wired as graph inputs/outputs, run by a "
                + "runner that follows the manifest (--stepwise).",
        "Without either: linked when the model's weights are at most 1 GiB (the demo models: the fastest form, "
                + "one ONNX Runtime call per batch), stepwise above (DiT-XL/2: a linked model takes 19-44 s to open "
                + "against 2 s, and caches 5 GiB of optimized weights)."})
final class CompileCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "The ONNX model (with its model card beside it).")
    Path model;

    @Option(names = "--schedule", required = true, paramLabel = "FILE", description = "Schedule JSON (`l2c schedule ...`).")
    Path schedulePath;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PKG", description = "Package folder to create.")
    Path output;

    @Option(names = "--force", description = "Replace an existing package folder (atomically).")
    boolean force;

    @Option(names = "--link-weights", description = "When the model keeps all its weights in one external-data file "
            + "(4096-aligned), reference it in place through a hard link instead of copying it.")
    boolean linkWeights;

    @Option(names = "--link", description = "Write one linked ONNX model of the whole sampling run "
            + "(linked_model.onnx), whatever the model's size.")
    boolean link;

    @Option(names = "--stepwise", description = "Write one graph per distinct step (graph_NN.onnx), whatever the "
            + "model's size.")
    boolean stepwise;

    /** Weights up to this size compile linked by default (see the command's description). */
    static final long AUTO_LINK_MAX_WEIGHT_BYTES = 1L << 30;

    @Option(names = "--no-guidance", description = "Linked: leave classifier-free guidance out (the model then "
            + "samples with scale 1 only, at half the batch); by default the doubled batch is built in and the scale "
            + "is an input.")
    boolean noGuidance;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    @Override
    public Integer call() throws L2cException {
        if (java.nio.file.Files.exists(output) && !force) {
            throw new dev.l2c.error.OutputException(output, "already exists; pass --force to replace it");
        }
        if (link && stepwise) {
            throw new UsageException("--link and --stepwise ask for two different forms; give one of them");
        }
        if (noGuidance && stepwise) {
            throw new UsageException("--no-guidance goes with a linked package (a stepwise package leaves guidance to "
                    + "the runner)");
        }
        LoadedModel m = modelOptions.load(model);
        long weightBytes = weightBytes(m);
        boolean linked = link || (!stepwise && (noGuidance || weightBytes <= AUTO_LINK_MAX_WEIGHT_BYTES));
        String chosen = link || stepwise ? "" : String.format(Locale.ROOT, " (%s: %s of weights %s 1 GiB; --link or "
                + "--stepwise to choose)", linked ? "linked" : "stepwise", Units.bytes(weightBytes), linked ? "<=" : ">");
        Schedule schedule = ScheduleJson.read(schedulePath);
        Sampler sampler = samplerOptions.create(m.card(), schedule.nfe());
        ScheduleCompiler.Options options = (linked ? ScheduleCompiler.Options.linked(!noGuidance)
                : ScheduleCompiler.Options.stepwise()).replacing(force).withLinkedWeights(linkWeights);
        ScheduleCompiler.Result r = ScheduleCompiler.compile(m, schedule, schedulePath, sampler, output, options);
        String what = linked ? String.format(Locale.ROOT, "1 linked model of %d nodes%s", r.nodes(),
                noGuidance ? " without guidance" : "") : r.graphs() + " graphs";
        System.out.printf(Locale.ROOT, "compiled %s in %.2f s (%.2f s of it copying/hashing weights): %d steps -> "
                        + "%s%s, weights %s %s, %d/%d layer evaluations, ideal speedup %.3fx, peak live caches %s/sample%n",
                output, r.seconds(), r.weightSeconds(), r.steps(), what, chosen, Units.bytes(r.weightBytes()), r.weightsMode(),
                r.layerEvaluations(), r.totalLayerEvaluations(), r.idealSpeedup(), Units.bytes(r.peakCacheBytesPerSample()));
        return 0;
    }

    /** Bytes of the model's weights (its initializers), wherever they are stored. */
    static long weightBytes(LoadedModel m) {
        long bytes = 0;
        for (dev.l2c.ir.Value v : m.onnx().graph().initializers()) {
            bytes += v.initializer().data().byteSize();
        }
        return bytes;
    }
}
