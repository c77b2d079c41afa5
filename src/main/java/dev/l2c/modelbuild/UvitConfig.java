package dev.l2c.modelbuild;

import dev.l2c.ir.DataType;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;

import java.util.Locale;

/**
 * A U-ViT (Bao et al.) as ../shared/tools/demo_models.py and the published U-ViT-H/2 define it:
 * everything is a token — [label, time, patches] plus a learned position embedding — run through
 * {@code depth} pre-norm blocks: {@code depth/2} in-blocks whose outputs are kept, one mid block, and
 * {@code depth/2} out-blocks that first mix in the matching in-block's output by
 * {@code Linear(concat(x, skip))}; then LayerNorm, a linear decoder, unpatchify and optionally a 3×3
 * convolution.
 *
 * @param img          height and width of the input
 * @param patch        patch size
 * @param inChannels   input (and output) channels
 * @param hidden       token width
 * @param depth        number of blocks, odd: depth/2 in-blocks, a mid block, depth/2 out-blocks
 * @param heads        attention heads
 * @param mlpRatio     MLP hidden width as a multiple of {@code hidden}
 * @param qkvBias      whether the qkv projection has a bias (the demo's does, U-ViT-H/2's does not)
 * @param classes      real classes; the label embedding has classes+1 rows, the last the null class
 * @param timeTokenMlp whether the time token is an MLP of the sinusoidal embedding (demo) or the
 *                     embedding itself (U-ViT-H/2)
 * @param finalConv    whether a 3×3 convolution follows unpatchify
 */
public record UvitConfig(int img, int patch, int inChannels, int hidden, int depth, int heads, double mlpRatio,
                         boolean qkvBias, int classes, boolean timeTokenMlp, boolean finalConv)
        implements ArchitectureConfig {

    /** Tokens before the patches: the label token and the time token. */
    public static final int EXTRA_TOKENS = 2;

    /** For unit tests: 8×8×1, patch 2, hidden 32, 3 blocks (1 in, mid, 1 out), 2 heads, like the demo otherwise. */
    public static final UvitConfig TINY = new UvitConfig(8, 2, 1, 32, 3, 2, 4.0, true, 10, true, true);
    /** The shapes of the embedded demo model onnx-models/uvit_fmnist.onnx (2.93 M parameters). */
    public static final UvitConfig FMNIST = new UvitConfig(28, 2, 1, 128, 13, 4, 4.0, true, 10, true, true);
    /** U-ViT-H/2 for 256×256 images: 32×32×4 latents, 29 blocks, no qkv bias, no time MLP, 501 M parameters. */
    public static final UvitConfig H_2 = new UvitConfig(32, 2, 4, 1152, 29, 16, 4.0, false, 1000, false, true);

    public UvitConfig {
        ArchitectureConfig.requirePositive("U-ViT image size", img);
        ArchitectureConfig.requirePositive("U-ViT patch size", patch);
        ArchitectureConfig.requirePositive("U-ViT input channels", inChannels);
        ArchitectureConfig.requirePositive("U-ViT hidden size", hidden);
        ArchitectureConfig.requirePositive("U-ViT depth", depth);
        ArchitectureConfig.requirePositive("U-ViT heads", heads);
        ArchitectureConfig.requirePositive("U-ViT MLP ratio", mlpRatio);
        ArchitectureConfig.requirePositive("U-ViT classes", classes);
        if (depth % 2 == 0) {
            throw new IllegalArgumentException("U-ViT depth " + depth + " is even; it counts depth/2 in-blocks, one mid "
                    + "block and depth/2 out-blocks, so it must be odd (e.g. 13 or 29)");
        }
        if (img % patch != 0) {
            throw new IllegalArgumentException("U-ViT image size " + img + " is not a multiple of the patch size "
                    + patch + " (choose sizes so that the patches tile the input)");
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("U-ViT hidden size " + hidden + " is not divisible by " + heads
                    + " heads (each head gets hidden/heads channels)");
        }
        if (hidden % 2 != 0) {
            throw new IllegalArgumentException("U-ViT hidden size " + hidden + " is odd; the time token is a "
                    + "sinusoidal embedding of that width, half cosines and half sines");
        }
        if ((int) (hidden * mlpRatio) < 1) {
            throw new IllegalArgumentException("U-ViT MLP ratio " + mlpRatio + " leaves no MLP hidden units");
        }
        ArchitectureConfig.requireTensorFits("an MLP weight (hidden × MLP hidden)", (long) hidden * (long) (hidden * mlpRatio));
        ArchitectureConfig.requireTensorFits("a qkv weight (hidden × 3·hidden)", 3L * hidden * hidden);
        ArchitectureConfig.requireTensorFits("the label embedding ((classes+1) × hidden)", (classes + 1L) * hidden);
        long grid = img / patch;
        ArchitectureConfig.requireTensorFits("the position embedding (tokens × hidden)", (grid * grid + EXTRA_TOKENS) * hidden);
    }

    public int grid() {
        return img / patch;
    }

    /** Patch tokens (without the label and time tokens). */
    public int patchTokens() {
        return grid() * grid();
    }

    /** All tokens: label, time, patches. */
    public int tokens() {
        return patchTokens() + EXTRA_TOKENS;
    }

    public int inBlocks() {
        return depth / 2;
    }

    public int mlpHidden() {
        return (int) (hidden * mlpRatio);
    }

    public int headDim() {
        return hidden / heads;
    }

    @Override
    public String family() {
        return "uvit";
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "U-ViT (hidden %d, %d blocks = %d in + mid + %d out, %d heads, MLP x%s, "
                        + "patch %d, %dx%dx%d, %d classes, qkv bias %s, time MLP %s, final conv %s)",
                hidden, depth, inBlocks(), inBlocks(), heads, DitConfig.ratio(mlpRatio), patch, img, img, inChannels,
                classes, yesNo(qkvBias), yesNo(timeTokenMlp), yesNo(finalConv));
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    @Override
    public int blocks() {
        return depth;
    }

    @Override
    public int imageSize() {
        return img;
    }

    @Override
    public int outChannels() {
        return inChannels;
    }

    @Override
    public DataType timestepType() {
        return DataType.FLOAT;
    }

    @Override
    public long parameterCount() {
        long d = hidden;
        long m = mlpHidden();
        long patchDim = (long) patch * patch * inChannels;
        long embed = d * patchDim + d                                   // patch_embed (Conv)
                + (timeTokenMlp ? d * 4 * d + 4 * d + 4 * d * d + d : 0) // time_embed MLP
                + (classes + 1L) * d                                    // label_emb
                + (long) tokens() * d;                                  // pos_embed
        long block = 2 * d                                              // norm1
                + d * 3 * d + (qkvBias ? 3 * d : 0)                     // attn.qkv
                + d * d + d                                             // attn.proj
                + 2 * d                                                 // norm2
                + d * m + m + m * d + d;                                // mlp.fc1, mlp.fc2
        long skip = 2 * d * d + d;                                      // skip_linear of an out-block
        long last = 2 * d                                               // norm
                + d * patchDim + patchDim                               // decoder_pred
                + (finalConv ? (long) inChannels * inChannels * 9 + inChannels : 0);
        return embed + depth * block + inBlocks() * skip + last;
    }

    @Override
    public ModelCard card(String name) {
        boolean pixels = pixelSpace();
        return new ModelCard(name, family(), "x", "t", DataType.FLOAT, 
                new Conditioning.ClassLabel("y", classes, classes), "out", "epsilon", false,
                "scaled_linear", 1000, 0.00085, 0.012, inChannels, img, img,
                pixels ? -1f : -4f, pixels ? 1f : 4f, pixels, "dpm2s", 1.5f);
    }
}
