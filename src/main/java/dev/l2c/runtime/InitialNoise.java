package dev.l2c.runtime;

import java.util.Random;

/**
 * The initial noise x_T of a run, from a seed: standard Gaussian values from Java's
 * {@link Random#nextGaussian()}, whose algorithm is specified, so a seed gives the same noise on every
 * JVM. (It is not PyTorch's generator: to start from a PyTorch run's noise, pass it as .npy.)
 */
public final class InitialNoise {
    private InitialNoise() {
    }

    public static float[] gaussian(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
