package dev.l2c.sampler;

/**
 * Classifier-free guidance on a doubled batch. The model runs once on {@code [x; x]} with labels
 * {@code [y; null]}, so output rows 0..B−1 are conditional and rows B..2B−1 unconditional; the guided
 * noise is ε = ε_u + s·(ε_c − ε_u). Scale 1 gives ε_c, scale 0 gives ε_u.
 */
public final class Guidance {
    private Guidance() {
    }

    /**
     * Guided ε of shape {@code [batch, sampleElements]} from the doubled model output.
     *
     * <p>A model with learned variance outputs 2C channels per sample (ε, then the variance
     * interpolation); only the first C channels are noise. In a row laid out {@code [C_out, H, W]} the
     * first C channels are exactly the first {@code sampleElements = C·H·W} values, so this method takes
     * those and ignores the rest of each row. The output row length, {@code outDoubled.length / (2·batch)},
     * must be a whole multiple of {@code sampleElements} (1× for a plain ε model, 2× for learned sigma).
     *
     * @param outDoubled     model output for the doubled batch, {@code [2·batch, C_out, H, W]} flattened
     * @param batch          B, the number of samples (half the model's batch)
     * @param sampleElements C·H·W of one sample x (not of the model output)
     * @param scale          guidance scale s
     * @throws IllegalArgumentException if the output length does not fit batch and sampleElements
     */
    public static float[] combine(float[] outDoubled, int batch, int sampleElements, float scale) {
        if (batch < 1 || sampleElements < 1) {
            throw new IllegalArgumentException("batch and sampleElements must be positive, got " + batch + " and "
                    + sampleElements);
        }
        if (outDoubled.length % (2L * batch) != 0) {
            throw new IllegalArgumentException("model output of " + outDoubled.length
                    + " values does not split into 2·" + batch + " rows");
        }
        int row = outDoubled.length / (2 * batch);
        if (row < sampleElements || row % sampleElements != 0) {
            throw new IllegalArgumentException("model output rows of " + row + " values are not a whole multiple of"
                    + " the sample's " + sampleElements + " values (expected ε, or ε and variance)");
        }
        float[] eps = new float[batch * sampleElements];
        for (int b = 0; b < batch; b++) {
            int cond = b * row;
            int uncond = (batch + b) * row;
            int dst = b * sampleElements;
            for (int j = 0; j < sampleElements; j++) {
                float ec = outDoubled[cond + j];
                float eu = outDoubled[uncond + j];
                // float arithmetic on purpose: the fp32 reference computes e_u + s·(e_c − e_u) in float.
                eps[dst + j] = eu + scale * (ec - eu);
            }
        }
        return eps;
    }

    /**
     * ε of an unguided run (the model ran on {@code [x]} alone): the first {@code sampleElements}
     * values of each output row, as in {@link #combine}.
     */
    public static float[] conditionalOnly(float[] out, int batch, int sampleElements) {
        if (batch < 1 || out.length % batch != 0 || (out.length / batch) % sampleElements != 0) {
            throw new IllegalArgumentException("model output of " + out.length + " values does not hold " + batch
                    + " rows of a multiple of " + sampleElements);
        }
        int row = out.length / batch;
        if (row == sampleElements) {
            return out;
        }
        float[] eps = new float[batch * sampleElements];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(out, b * row, eps, b * sampleElements, sampleElements);
        }
        return eps;
    }
}
