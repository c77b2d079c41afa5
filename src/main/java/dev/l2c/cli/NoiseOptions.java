package dev.l2c.cli;

import dev.l2c.error.UsageException;
import dev.l2c.modelcard.ModelCard;
import picocli.CommandLine.Option;

/** The initial noise and the guidance scale of a sampling run. Shared by `sample`, `bench` and `learn`. */
final class NoiseOptions {
    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial noise (Java's "
            + "Gaussian generator, drawn in image order: the same images whatever the batch; default 0).")
    Long seedOption;

    @Option(names = "--cfg", paramLabel = "SCALE", description = "Classifier-free guidance scale (default: the card's; "
            + "1 = no guidance).")
    Float cfg;

    /** The seed: --seed, else 0. */
    long seed() {
        return seedOption != null ? seedOption : 0L;
    }

    /** Whether --seed was given (a seed given beside a noise file would be silently ignored, so it is refused). */
    boolean seedGiven() {
        return seedOption != null;
    }

    /** The scale to use: --cfg, else the card's default; refuses a scale that is not a finite number. */
    float scale(ModelCard card) throws UsageException {
        checkCfg();
        return cfg != null ? cfg : card.defaultCfg();
    }

    /** Refuses --cfg NaN or an infinity before any work. */
    void checkCfg() throws UsageException {
        if (cfg != null && !Float.isFinite(cfg)) {
            throw new UsageException("--cfg must be a finite number, not " + cfg);
        }
    }
}
