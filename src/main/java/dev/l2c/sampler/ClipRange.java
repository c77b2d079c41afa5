package dev.l2c.sampler;

/**
 * The range the predicted x0 is clipped to before each update: the model card's image range
 * ({@code image.range}, [−1, 1] for the demo models).
 */
public record ClipRange(double min, double max) {
    /** [−1, 1], the range of images scaled as the demo models and the published DiT/U-ViT expect. */
    public static final ClipRange UNIT = new ClipRange(-1.0, 1.0);

    public ClipRange {
        if (!(Double.isFinite(min) && Double.isFinite(max) && min < max)) {
            throw new IllegalArgumentException("clip range must be finite with min < max, got [" + min + ", " + max + "]");
        }
    }

    public double clip(double v) {
        return Math.max(min, Math.min(max, v));
    }

    @Override
    public String toString() {
        return "[" + min + ", " + max + "]";
    }
}
