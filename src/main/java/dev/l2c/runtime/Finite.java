package dev.l2c.runtime;

import dev.l2c.error.NonFiniteException;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The model output of every step is checked before the sampler uses it: a NaN or an infinity (damaged
 * weights, a model that diverges, a flipped exponent bit) would otherwise run on to the end and be
 * written as an all-NaN .npy and a black PNG. One pass over the output, negligible beside the model.
 */
final class Finite {
    private Finite() {
    }

    /** {@code out}, or a {@link NonFiniteException} naming the step of {@code graph} that produced it. */
    static float[] check(float[] out, Path graph, int step, double modelTime) throws NonFiniteException {
        for (int i = 0; i < out.length; i++) {
            if (!Float.isFinite(out[i])) {
                throw new NonFiniteException(graph, String.format(Locale.ROOT, "step %d (model time %.3f): the model "
                        + "output holds %s at element %d; the weights may be damaged (`l2c verify`) or the model diverges",
                        step, modelTime, out[i], i));
            }
        }
        return out;
    }
}
