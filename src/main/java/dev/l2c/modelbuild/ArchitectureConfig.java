package dev.l2c.modelbuild;

import dev.l2c.ir.DataType;
import dev.l2c.modelcard.ModelCard;

/**
 * The size and options of a diffusion transformer the {@link ModelBuilder} can write: a
 * {@link DitConfig}, a {@link UvitConfig} or a {@link PixArtConfig}. Each validates itself when
 * constructed, so a config that exists can be built.
 */
public sealed interface ArchitectureConfig permits DitConfig, UvitConfig, PixArtConfig {

    /** The card's family: "dit", "uvit" or "pixart". */
    String family();

    /** A short human-readable description, e.g. "DiT (hidden 1152, depth 28, 16 heads, patch 2, 32x32x4)". */
    String describe();

    /** Transformer blocks; two cacheable layers (attention, MLP) per block, three for PixArt-α (with cross-attention). */
    int blocks();

    /** Float32 elements of all weights together (the initializers of the built graph). */
    long parameterCount();

    /** Channels of the model input {@code x}. */
    int inChannels();

    /** Channels of the output {@code out} (twice the input's for a DiT with learned sigma). */
    int outChannels();

    /** Height and width of {@code x} (both models take square inputs). */
    int imageSize();

    /** Element type of the timestep input {@code t}: int64 for DiT, float32 for U-ViT, as in the demo exports. */
    DataType timestepType();

    /** Number of real classes (the label embedding has one more row, the null class for guidance); 0 for a text model. */
    int classes();

    /**
     * The model card describing the built model's diffusion conventions. Inputs of 1 or 3 channels are
     * taken as pixel images in [-1, 1] whose predicted x0 DDIM clips (like the demo models); other
     * channel counts as VAE latents (like the 4-channel DiT-XL/2 and U-ViT-H/2), which are not clipped.
     */
    ModelCard card(String name);

    /** Whether the input looks like pixels (1 or 3 channels) rather than latents; see {@link #card}. */
    default boolean pixelSpace() {
        return inChannels() == 1 || inChannels() == 3;
    }

    /** Throws IllegalArgumentException when one tensor of {@code elements} float32 values would exceed 2 GiB. */
    static void requireTensorFits(String what, long elements) {
        if (elements <= 0 || elements > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException(what + " would hold " + elements
                    + " values; a single weight tensor must stay under 2 GiB (choose a smaller size)");
        }
    }

    static void requirePositive(String what, double value) {
        if (!(value > 0)) {
            throw new IllegalArgumentException(what + " must be positive, not " + value);
        }
    }

    /**
     * The shape rules every patch transformer with a 2-D sin-cos position embedding shares (DiT, PixArt):
     * patches tile the input, heads split the hidden size, sin-cos needs a multiple of 4, the MLP is not empty.
     */
    static void requirePatchTransformer(String family, int inputSize, int patch, int hidden, int heads, double mlpRatio) {
        if (inputSize % patch != 0) {
            throw new IllegalArgumentException(family + " input size " + inputSize + " is not a multiple of the patch size "
                    + patch + " (choose sizes so that the patches tile the input)");
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(family + " hidden size " + hidden + " is not divisible by " + heads
                    + " heads (each head gets hidden/heads channels)");
        }
        if (hidden % 4 != 0) {
            throw new IllegalArgumentException(family + " hidden size " + hidden + " is not a multiple of 4, which the "
                    + "2-D sin-cos position embedding needs (sin and cos for each of two axes)");
        }
        if ((int) (hidden * mlpRatio) < 1) {
            throw new IllegalArgumentException(family + " MLP ratio " + mlpRatio + " leaves no MLP hidden units");
        }
    }
}
