package dev.l2c.cli;

import dev.l2c.emit.ScheduleCompiler;
import dev.l2c.error.L2cException;
import dev.l2c.model.LoadedModel;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.Schedule;
import dev.l2c.schedule.ScheduleJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code l2c compile MODEL --schedule S -o PKG}. */
@Command(name = "compile", description = {
        "Compile a model and a schedule into a package: one pruned ONNX graph per distinct step, cache tensors wired",
        "as graph inputs/outputs, one shared weights file (external data), manifest.json with checksums."})
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

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    @Override
    public Integer call() throws L2cException {
        if (java.nio.file.Files.exists(output) && !force) {
            throw new dev.l2c.error.OutputException(output, "already exists; pass --force to replace it");
        }
        LoadedModel m = modelOptions.load(model);
        Schedule schedule = ScheduleJson.read(schedulePath);
        Sampler sampler = samplerOptions.create(m.card(), schedule.nfe());
        ScheduleCompiler.Result r = ScheduleCompiler.compile(m, schedule, schedulePath, SamplerOptions.spec(sampler), output,
                force, linkWeights);
        System.out.printf(java.util.Locale.ROOT, "compiled %s in %.2f s (%.2f s of it copying/hashing weights): %d steps -> "
                        + "%d graphs, weights %s %s, %d/%d layer evaluations, ideal speedup %.3fx, peak live caches %s/sample%n",
                output, r.seconds(), r.weightSeconds(), r.steps(), r.graphs(), Units.bytes(r.weightBytes()), r.weightsMode(),
                r.layerEvaluations(), r.totalLayerEvaluations(), r.idealSpeedup(), Units.bytes(r.peakCacheBytesPerSample()));
        return 0;
    }
}
