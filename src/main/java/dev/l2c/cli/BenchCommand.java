package dev.l2c.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.bench.Benchmark;
import dev.l2c.bench.BenchConfig;
import dev.l2c.bench.BenchResult;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.error.UsageException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.model.LoadedModel;
import dev.l2c.runtime.OrtRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code l2c bench MODEL}: interleaved timing of schedules on one model and provider. */
@Command(name = "bench", description = {
        "Time sampling runs of several schedules on one model, interleaved (A B C A B C ...) so machine drift hits all",
        "alike; report medians, the measured speedup over the first configuration, the ideal speedup (MACs) and the",
        "realized share of it. Writes results.md and results.json into --out."})
final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL")
    Path model;

    @Option(names = "--plain", description = "Include the plain ONNX Runtime loop over the original model (named 'plain').")
    boolean plain;

    @Option(names = "--schedule", paramLabel = "NAME=FILE", description = "A schedule to compile and time (repeatable).")
    List<String> schedules = new ArrayList<>();

    @Option(names = "--nfe", defaultValue = "20", description = "Evaluations of the plain loop (schedules carry their own).")
    int nfe;

    @Option(names = "--images", defaultValue = "8", description = "Images per run (the model batch is doubled by CFG).")
    int images;

    @Option(names = "--cfg", defaultValue = "1.5")
    float cfg;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--repeats", defaultValue = "7", description = "Measured rounds (each runs every configuration once).")
    int repeats;

    @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured rounds first.")
    int warmup;

    @Option(names = "--threads", defaultValue = "0")
    int threads;

    @Option(names = "--prepack", defaultValue = "auto", description = "auto, on or off (see `l2c sample --help`).")
    String prepack;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for results.md and results.json.")
    Path out;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    @Override
    public Integer call() throws L2cException {
        if (repeats < 1 || warmup < 0 || images < 1) {
            throw new UsageException("--repeats and --images must be positive, --warmup not negative");
        }
        LoadedModel m = modelOptions.load(model);
        List<BenchConfig> configs = new ArrayList<>();
        if (plain) {
            configs.add(BenchConfig.plain("plain", nfe));
        }
        for (String s : schedules) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--schedule takes NAME=FILE, got '" + s + "'");
            }
            configs.add(BenchConfig.schedule(s.substring(0, eq), Path.of(s.substring(eq + 1))));
        }
        if (configs.isEmpty()) {
            throw new UsageException("nothing to time: give --plain and/or --schedule NAME=FILE");
        }
        OrtRuntime.Prepack pp = switch (prepack.toLowerCase(Locale.ROOT)) {
            case "auto" -> OrtRuntime.Prepack.AUTO;
            case "on" -> OrtRuntime.Prepack.ON;
            case "off" -> OrtRuntime.Prepack.OFF;
            default -> throw new UsageException("--prepack must be auto, on or off");
        };
        Benchmark.Settings settings = new Benchmark.Settings(images, cfg, seed, repeats, warmup,
                new OrtRuntime.Options(OrtRuntime.Provider.CPU, threads, pp, 0), samplerOptions.sampler,
                !samplerOptions.noClip);
        List<BenchResult> results = Benchmark.run(m, configs, settings);
        String md = Benchmark.markdown(m, settings, results);
        System.out.print(md);
        write(out, md, Benchmark.json(m, settings, results));
        return 0;
    }

    static void write(Path dir, String markdown, ObjectNode json) throws OutputException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OutputException(dir, "cannot create: " + e.getMessage());
        }
        AtomicOutput.writeFile(dir.resolve("results.md"), o -> o.write(markdown.getBytes(StandardCharsets.UTF_8)));
        AtomicOutput.writeFile(dir.resolve("results.json"), o -> o.write(new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json)));
    }
}
