package dev.l2c.cli;

import dev.l2c.error.L2cException;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.sampler.Sampler;
import picocli.CommandLine.Option;

/** The sampler a command compiles for or samples with. */
final class SamplerOptions {
    @Option(names = "--sampler", paramLabel = "NAME", description = "ddim, dpm2s or dpm2m (default: the model card's).")
    String sampler;

    @Option(names = "--no-clip", description = "Do not clip the predicted x0 to the image range (default: the card's clip_x0).")
    boolean noClip;

    String name(ModelCard card) {
        return sampler != null ? sampler : card.defaultSampler();
    }

    Sampler create(ModelCard card, int nfe) throws L2cException {
        return card.sampler(sampler, nfe, !noClip);
    }

}
