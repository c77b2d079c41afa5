package dev.l2c.cli;

import dev.l2c.error.L2cException;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelbuild.ArchitectureConfig;
import dev.l2c.modelbuild.BuiltModel;
import dev.l2c.modelbuild.DitConfig;
import dev.l2c.modelbuild.ModelBuilder;
import dev.l2c.modelbuild.PixArtConfig;
import dev.l2c.modelbuild.UvitConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code l2c build-model dit|uvit|pixart --preset P [overrides] -o DIR}. */
@Command(name = "build-model", description = {
        "Write a DiT, U-ViT or PixArt-alpha of any size with SEEDED RANDOM weights (not trained) as DIR/model.onnx, its weights as "
        + "external data DIR/model.weights and its card DIR/model.card.json, for measuring structure, speed and memory.",
        "Weights are streamed to disk, so DiT-XL/2 (2.7 GB) needs little memory.",
        "Presets: dit tiny|fmnist|xl (DiT-XL/2), uvit tiny|fmnist|h2 (U-ViT-H/2), pixart tiny|xl (PixArt-alpha-XL/2, "
        + "256 px, conditioned on T5 token embeddings the user supplies); options below override a preset."})
final class BuildModelCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FAMILY", description = "dit, uvit or pixart.")
    String family;

    @Option(names = "--preset", required = true, paramLabel = "P", description = "tiny, fmnist, xl (DiT, PixArt) or h2 (U-ViT).")
    String preset;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Model folder to create.")
    Path output;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Weight seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--name", paramLabel = "NAME", description = "Model name in its card (default: FAMILY_random_sSEED).")
    String name;

    @Option(names = "--force", description = "Replace an existing folder (atomically).")
    boolean force;

    @Option(names = {"--input-size", "--img"}, paramLabel = "N", description = "Input height and width.")
    Integer inputSize;

    @Option(names = "--patch", paramLabel = "N", description = "Patch size.")
    Integer patch;

    @Option(names = "--in-channels", paramLabel = "N", description = "Input channels.")
    Integer inChannels;

    @Option(names = "--hidden", paramLabel = "N", description = "Token width.")
    Integer hidden;

    @Option(names = "--depth", paramLabel = "N", description = "Blocks (U-ViT: odd, in-blocks + mid + out-blocks).")
    Integer depth;

    @Option(names = "--heads", paramLabel = "N", description = "Attention heads.")
    Integer heads;

    @Option(names = "--mlp-ratio", paramLabel = "R", description = "MLP width as a multiple of the token width.")
    Double mlpRatio;

    @Option(names = "--classes", paramLabel = "N", description = "Classes (the null class is added).")
    Integer classes;

    @Option(names = "--learn-sigma", negatable = true, description = "DiT, PixArt: output twice the input channels.")
    Boolean learnSigma;

    @Option(names = "--text-tokens", paramLabel = "N", description = "PixArt: text tokens per prompt.")
    Integer textTokens;

    @Option(names = "--text-width", paramLabel = "N", description = "PixArt: width of a text token embedding.")
    Integer textWidth;

    @Option(names = "--qkv-bias", negatable = true, description = "U-ViT: bias on the qkv projection.")
    Boolean qkvBias;

    @Option(names = "--time-mlp", negatable = true, description = "U-ViT: time token through an MLP.")
    Boolean timeMlp;

    @Option(names = "--final-conv", negatable = true, description = "U-ViT: 3x3 convolution after unpatchify.")
    Boolean finalConv;

    @Override
    public Integer call() throws L2cException {
        ArchitectureConfig config = config();
        String modelName = name != null ? name : ModelBuilder.defaultName(config, seed);
        System.out.printf("building %s, %s parameters, seed %d%n", config.describe(),
                count(config.parameterCount()), seed);
        BuiltModel built = ModelBuilder.write(config, seed, modelName, output, force, true);
        // Read it back the way every other command will: a model they cannot load is a builder bug.
        LoadedModel loaded = LoadedModel.load(built.model(), null, null);
        System.out.printf(Locale.ROOT, "wrote %s in %.2f s: %s parameters in %d tensors, weights %s (%s), graph %s "
                        + "(%s, %d nodes); %d cacheable layers in %d blocks, %s MACs per sample%n",
                output, built.seconds(), count(built.parameters()), built.weightTensors(),
                Units.bytes(built.weightFileBytes()), ModelBuilder.WEIGHTS_FILE, Units.bytes(built.graphFileBytes()),
                ModelBuilder.MODEL_FILE, built.nodes(), loaded.layers().size(), loaded.layers().blocks(),
                Units.macs(loaded.layers().macsPerSampleFull()));
        return 0;
    }

    private static String count(long n) {
        return n >= 1_000_000 ? String.format(Locale.ROOT, "%.2f M", n / 1e6) : Long.toString(n);
    }

    ArchitectureConfig config() throws UsageException {
        try {
            return switch (family) {
                case "dit" -> dit();
                case "uvit" -> uvit();
                case "pixart" -> pixart();
                default -> throw new UsageException("unknown model family '" + family
                        + "' (choose dit or uvit for a class-conditional model, pixart for a text-conditioned one)");
            };
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private DitConfig dit() throws UsageException {
        rejectOptions("DiT", List.of(opt("--qkv-bias", qkvBias), opt("--time-mlp", timeMlp), opt("--final-conv", finalConv),
                opt("--text-tokens", textTokens), opt("--text-width", textWidth)));
        DitConfig p = switch (preset) {
            case "tiny" -> DitConfig.TINY;
            case "fmnist" -> DitConfig.FMNIST;
            case "xl" -> DitConfig.XL_2;
            default -> throw new UsageException("unknown DiT preset '" + preset + "' (choose tiny, fmnist or xl)");
        };
        return new DitConfig(or(inputSize, p.inputSize()), or(patch, p.patch()), or(inChannels, p.inChannels()),
                or(hidden, p.hidden()), or(depth, p.depth()), or(heads, p.heads()), or(mlpRatio, p.mlpRatio()),
                or(classes, p.classes()), or(learnSigma, p.learnSigma()));
    }

    private UvitConfig uvit() throws UsageException {
        rejectOptions("U-ViT", List.of(opt("--learn-sigma", learnSigma), opt("--text-tokens", textTokens),
                opt("--text-width", textWidth)));
        UvitConfig p = switch (preset) {
            case "tiny" -> UvitConfig.TINY;
            case "fmnist" -> UvitConfig.FMNIST;
            case "h2" -> UvitConfig.H_2;
            default -> throw new UsageException("unknown U-ViT preset '" + preset + "' (choose tiny, fmnist or h2)");
        };
        return new UvitConfig(or(inputSize, p.img()), or(patch, p.patch()), or(inChannels, p.inChannels()),
                or(hidden, p.hidden()), or(depth, p.depth()), or(heads, p.heads()), or(mlpRatio, p.mlpRatio()),
                or(qkvBias, p.qkvBias()), or(classes, p.classes()), or(timeMlp, p.timeTokenMlp()),
                or(finalConv, p.finalConv()));
    }

    private PixArtConfig pixart() throws UsageException {
        rejectOptions("PixArt", List.of(opt("--classes", classes), opt("--qkv-bias", qkvBias), opt("--time-mlp", timeMlp),
                opt("--final-conv", finalConv)));
        PixArtConfig p = switch (preset) {
            case "tiny" -> PixArtConfig.TINY;
            case "xl" -> PixArtConfig.XL_2;
            default -> throw new UsageException("unknown PixArt preset '" + preset + "' (choose tiny or xl)");
        };
        return new PixArtConfig(or(inputSize, p.inputSize()), or(patch, p.patch()), or(inChannels, p.inChannels()),
                or(hidden, p.hidden()), or(depth, p.depth()), or(heads, p.heads()), or(mlpRatio, p.mlpRatio()),
                or(textTokens, p.textTokens()), or(textWidth, p.textWidth()), or(learnSigma, p.learnSigma()));
    }

    private record Given(String option, Object value) {
    }

    private static Given opt(String option, Object value) {
        return new Given(option, value);
    }

    private static void rejectOptions(String family, List<Given> options) throws UsageException {
        List<String> given = new ArrayList<>();
        for (Given g : options) {
            if (g.value() != null) {
                given.add(g.option());
            }
        }
        if (!given.isEmpty()) {
            throw new UsageException(String.join(", ", given) + (given.size() == 1 ? " does" : " do")
                    + " not apply to " + family + " models");
        }
    }

    private static <T> T or(T value, T preset) {
        return value != null ? value : preset;
    }
}
