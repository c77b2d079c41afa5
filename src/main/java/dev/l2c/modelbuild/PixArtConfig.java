package dev.l2c.modelbuild;

import dev.l2c.ir.DataType;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;

import java.util.List;
import java.util.Locale;

/**
 * A PixArt-α text-to-image transformer (Chen et al.; diffusers' {@code PixArtTransformer2DModel} with
 * {@code norm_type="ada_norm_single"}): patchify and fixed 2-D sin-cos position embedding as in DiT,
 * a timestep MLP whose output drives ONE global adaLN modulation ({@code t_block}) that each block
 * offsets by its own learned {@code scale_shift_table}, a caption projection of the text-encoder
 * tokens, and {@code depth} blocks of gated self-attention, ungated cross-attention to the projected
 * text (masked by the text mask) and a gated MLP; a final layer modulated by the timestep embedding.
 *
 * <p>The model reads no text encoder: its inputs are token embeddings {@code text} [B, textTokens,
 * textWidth] (T5-XXL's for the published model) and their mask {@code text_mask} [B, textTokens].
 *
 * @param inputSize  height and width of the input (latents or pixels)
 * @param patch      patch size: the model sees (inputSize/patch)² tokens
 * @param inChannels input channels
 * @param hidden     token width
 * @param depth      number of blocks
 * @param heads      attention heads (each hidden/heads wide), for self- and cross-attention
 * @param mlpRatio   MLP hidden width as a multiple of {@code hidden} (truncated, as PyTorch's int())
 * @param textTokens text tokens per prompt
 * @param textWidth  width of a text token embedding (the text encoder's)
 * @param learnSigma whether the output has twice the input channels (ε and the variance interpolation)
 */
public record PixArtConfig(int inputSize, int patch, int inChannels, int hidden, int depth, int heads,
                           double mlpRatio, int textTokens, int textWidth, boolean learnSigma)
        implements ArchitectureConfig {

    /** Width of the sinusoidal timestep embedding the timestep MLP reads (fixed, as in DiT). */
    public static final int FREQUENCY_EMBEDDING = 256;
    /** The adaLN-single modulation: shift, scale, gate for the attention and for the MLP. */
    public static final int MODULATION_CHUNKS = 6;

    /** For unit tests: 8×8×4 latents, patch 2 (16 tokens), hidden 64, 2 blocks, 4 heads, 8 text tokens of width 32. */
    public static final PixArtConfig TINY = new PixArtConfig(8, 2, 4, 64, 2, 4, 4.0, 8, 32, true);
    /** PixArt-α-XL/2 for 256×256 images: 32×32×4 latents, 120 T5-XXL tokens (4096 wide), 611 M parameters. */
    public static final PixArtConfig XL_2 = new PixArtConfig(32, 2, 4, 1152, 28, 16, 4.0, 120, 4096, true);

    public PixArtConfig {
        ArchitectureConfig.requirePositive("PixArt input size", inputSize);
        ArchitectureConfig.requirePositive("PixArt patch size", patch);
        ArchitectureConfig.requirePositive("PixArt input channels", inChannels);
        ArchitectureConfig.requirePositive("PixArt hidden size", hidden);
        ArchitectureConfig.requirePositive("PixArt depth", depth);
        ArchitectureConfig.requirePositive("PixArt heads", heads);
        ArchitectureConfig.requirePositive("PixArt MLP ratio", mlpRatio);
        ArchitectureConfig.requirePositive("PixArt text tokens", textTokens);
        ArchitectureConfig.requirePositive("PixArt text width", textWidth);
        ArchitectureConfig.requirePatchTransformer("PixArt", inputSize, patch, hidden, heads, mlpRatio);
        ArchitectureConfig.requireTensorFits("the t_block modulation weight (6·hidden × hidden)",
                (long) MODULATION_CHUNKS * hidden * hidden);
        ArchitectureConfig.requireTensorFits("an MLP weight (hidden × MLP hidden)", (long) hidden * (long) (hidden * mlpRatio));
        ArchitectureConfig.requireTensorFits("the caption projection weight (text width × hidden)", (long) textWidth * hidden);
        long grid = inputSize / patch;
        ArchitectureConfig.requireTensorFits("the position embedding (tokens × hidden)", grid * grid * hidden);
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
        return "pixart";
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "PixArt-alpha (hidden %d, depth %d, %d heads, MLP x%s, patch %d, %dx%dx%d, "
                        + "%d text tokens x %d%s)", hidden, depth, heads, DitConfig.ratio(mlpRatio), patch, inputSize,
                inputSize, inChannels, textTokens, textWidth, learnSigma ? ", learned sigma" : "");
    }

    /** Transformer blocks; a PixArt block has three cacheable layers (attention, cross-attention, MLP). */
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

    /** None: the model is conditioned on text embeddings, not class labels. */
    @Override
    public int classes() {
        return 0;
    }

    @Override
    public long parameterCount() {
        long d = hidden;
        long m = mlpHidden();
        long patchIn = (long) inChannels * patch * patch;
        long embed = d * patchIn + d                                  // x_embedder (Conv)
                + (long) tokens() * d                                   // pos_embed (fixed sin-cos)
                + FREQUENCY_EMBEDDING * d + d + d * d + d               // t_embedder MLP
                + d * MODULATION_CHUNKS * d + MODULATION_CHUNKS * d     // t_block
                + textWidth * d + d + d * d + d;                        // y_embedder caption projection
        long block = MODULATION_CHUNKS * d                              // scale_shift_table
                + d * 3 * d + 3 * d                                     // attn.qkv
                + d * d + d                                             // attn.proj
                + 4 * (d * d + d)                                       // cross_attn.q, .k, .v, .proj
                + d * m + m + m * d + d;                                // mlp.fc1, mlp.fc2
        long last = 2 * d                                               // final_layer.scale_shift_table
                + d * patch * patch * outChannels() + (long) patch * patch * outChannels(); // final_layer.linear
        return embed + depth * block + last;
    }

    /**
     * Text-conditioned card: embeddings {@code text} and mask {@code text_mask} from the user's own
     * encoder (none ships with the model), zero embeddings as the null condition; DDPM's linear betas,
     * DDIM and guidance 4.5 by default, as PixArt-α samples.
     */
    @Override
    public ModelCard card(String name) {
        boolean pixels = pixelSpace();
        return new ModelCard(name, family(), "x", "t", DataType.INT64,
                new Conditioning.TextTokens(PixArtGraph.TEXT_INPUT, PixArtGraph.MASK_INPUT, textTokens, textWidth,
                        Conditioning.TextTokens.NULL_ZEROS, null, List.of()),
                "out", "epsilon", learnSigma, "linear", 1000, 1e-4, 0.02, inChannels, inputSize, inputSize,
                pixels ? -1f : -4f, pixels ? 1f : 4f, pixels, "ddim", 4.5f);
    }
}
