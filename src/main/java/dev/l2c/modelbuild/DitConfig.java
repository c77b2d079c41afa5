package dev.l2c.modelbuild;

import dev.l2c.ir.DataType;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;

import java.util.Locale;

/**
 * A DiT (Peebles and Xie, adaLN-Zero blocks) as ../shared/tools/demo_models.py defines it: patchify
 * by a strided convolution, fixed 2-D sin-cos position embedding, a timestep MLP on a 256-wide
 * sinusoidal embedding plus a class embedding as the conditioning vector, {@code depth} blocks that
 * each gate an attention and an MLP branch by adaLN modulation, a final adaLN layer and unpatchify.
 *
 * @param inputSize  height and width of the input (latents or pixels)
 * @param patch      patch size: the model sees (inputSize/patch)² tokens
 * @param inChannels input channels
 * @param hidden     token width
 * @param depth      number of blocks
 * @param heads      attention heads (each hidden/heads wide)
 * @param mlpRatio   MLP hidden width as a multiple of {@code hidden} (truncated, as PyTorch's int())
 * @param classes    real classes; label {@code classes} is the null class
 * @param learnSigma whether the output has twice the input channels (ε and the variance interpolation)
 */
public record DitConfig(int inputSize, int patch, int inChannels, int hidden, int depth, int heads,
                        double mlpRatio, int classes, boolean learnSigma) implements ArchitectureConfig {

    /** Width of the sinusoidal timestep embedding the timestep MLP reads (fixed in DiT). */
    public static final int FREQUENCY_EMBEDDING = 256;

    /** For unit tests: 8×8×1, patch 2 (16 tokens), hidden 32, 2 blocks, 2 heads, 10 classes. */
    public static final DitConfig TINY = new DitConfig(8, 2, 1, 32, 2, 2, 4.0, 10, false);
    /** The shapes of the embedded demo model onnx-models/dit_fmnist.onnx (3.67 M parameters). */
    public static final DitConfig FMNIST = new DitConfig(28, 2, 1, 128, 12, 4, 4.0, 10, false);
    /** DiT-XL/2 for 256×256 images: 32×32×4 latents, 675 M parameters, learned sigma. */
    public static final DitConfig XL_2 = new DitConfig(32, 2, 4, 1152, 28, 16, 4.0, 1000, true);

    public DitConfig {
        ArchitectureConfig.requirePositive("DiT input size", inputSize);
        ArchitectureConfig.requirePositive("DiT patch size", patch);
        ArchitectureConfig.requirePositive("DiT input channels", inChannels);
        ArchitectureConfig.requirePositive("DiT hidden size", hidden);
        ArchitectureConfig.requirePositive("DiT depth", depth);
        ArchitectureConfig.requirePositive("DiT heads", heads);
        ArchitectureConfig.requirePositive("DiT MLP ratio", mlpRatio);
        ArchitectureConfig.requirePositive("DiT classes", classes);
        ArchitectureConfig.requirePatchTransformer("DiT", inputSize, patch, hidden, heads, mlpRatio);
        ArchitectureConfig.requireTensorFits("the adaLN modulation weight (6·hidden × hidden)", 6L * hidden * hidden);
        ArchitectureConfig.requireTensorFits("an MLP weight (hidden × MLP hidden)", (long) hidden * (long) (hidden * mlpRatio));
        ArchitectureConfig.requireTensorFits("the class embedding ((classes+1) × hidden)", (classes + 1L) * hidden);
        ArchitectureConfig.requireTensorFits("the position embedding (tokens × hidden)", (long) tokens(inputSize, patch) * hidden);
    }

    private static long tokens(int inputSize, int patch) {
        long grid = inputSize / patch;
        return grid * grid;
    }

    /** Tokens per side. */
    public int grid() {
        return inputSize / patch;
    }

    public int tokens() {
        return grid() * grid();
    }

    public int mlpHidden() {
        return (int) (hidden * mlpRatio);
    }

    public int headDim() {
        return hidden / heads;
    }

    @Override
    public String family() {
        return "dit";
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "DiT (hidden %d, depth %d, %d heads, MLP x%s, patch %d, %dx%dx%d, %d classes%s)",
                hidden, depth, heads, ratio(mlpRatio), patch, inputSize, inputSize, inChannels, classes,
                learnSigma ? ", learned sigma" : "");
    }

    static String ratio(double r) {
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }

    @Override
    public int blocks() {
        return depth;
    }

    @Override
    public int imageSize() {
        return inputSize;
    }

    @Override
    public int outChannels() {
        return learnSigma ? 2 * inChannels : inChannels;
    }

    @Override
    public DataType timestepType() {
        return DataType.INT64;
    }

    @Override
    public long parameterCount() {
        long d = hidden;
        long m = mlpHidden();
        long patchIn = (long) inChannels * patch * patch;
        long embed = d * patchIn + d                                  // x_embedder (Conv)
                + (long) tokens() * d                                   // pos_embed (fixed sin-cos)
                + FREQUENCY_EMBEDDING * d + d + d * d + d               // t_embedder MLP
                + (classes + 1L) * d;                                   // y_embedder (with the null class)
        long block = d * 3 * d + 3 * d                                  // attn.qkv
                + d * d + d                                             // attn.proj
                + d * m + m + m * d + d                                 // mlp.fc1, mlp.fc2
                + d * 6 * d + 6 * d;                                    // adaLN_modulation
        long last = d * 2 * d + 2 * d                                   // final_adaLN
                + d * patch * patch * outChannels() + (long) patch * patch * outChannels(); // final_linear
        return embed + depth * block + last;
    }

    @Override
    public ModelCard card(String name) {
        boolean pixels = pixelSpace();
        return new ModelCard(name, family(), "x", "t", DataType.INT64, 
                new Conditioning.ClassLabel("y", classes, classes), "out", "epsilon", learnSigma,
                "linear", 1000, 1e-4, 0.02, inChannels, inputSize, inputSize,
                pixels ? -1f : -4f, pixels ? 1f : 4f, pixels, "ddim", 1.5f);
    }
}
