package dev.l2c.modelbuild;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * How the values of one weight tensor are made. Values are produced in order, a chunk at a time, so a
 * tensor of any size is generated without holding it: random kinds draw from a generator seeded for
 * that tensor alone; {@link SinCos2d} computes each value from its index.
 */
public sealed interface WeightInit {

    /** Produces the tensor's values in row-major order. */
    interface Source {
        /** Puts the next {@code count} values at {@code out}'s position, advancing it. */
        void fill(FloatBuffer out, int count);
    }

    /** A source for this initialisation; {@code seed} is the tensor's own seed. */
    Source open(long seed);

    /** Gaussian values N(mean, std²). */
    record Normal(double mean, double std) implements WeightInit {
        @Override
        public Source open(long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            return (out, count) -> {
                for (int i = 0; i < count; i++) {
                    out.put((float) (mean + std * random.nextGaussian()));
                }
            };
        }
    }

    /** Uniform values in [-bound, bound). */
    record Uniform(double bound) implements WeightInit {
        @Override
        public Source open(long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            double width = 2 * bound;
            return (out, count) -> {
                for (int i = 0; i < count; i++) {
                    out.put((float) (random.nextDouble() * width - bound));
                }
            };
        }
    }

    /**
     * DiT's fixed 2-D sin-cos position embedding [grid², dim] (not random): token {@code i·grid + j}
     * (row i, column j) gets {@code [sin(j·ω), cos(j·ω), sin(i·ω), cos(i·ω)]}, each part {@code dim/4}
     * wide, with {@code ω_k = 10000^(-k/(dim/4))}, computed in double and rounded to float as numpy's
     * float64 recipe in demo_models.py is.
     */
    record SinCos2d(int dim, int grid) implements WeightInit {
        public SinCos2d {
            if (dim % 4 != 0) {
                throw new IllegalArgumentException("sin-cos position embedding width " + dim + " is not a multiple of 4");
            }
        }

        @Override
        public Source open(long seed) {
            int quarter = dim / 4;
            double[] omega = new double[quarter];
            for (int k = 0; k < quarter; k++) {
                omega[k] = 1.0 / Math.pow(10000, k / (double) quarter);
            }
            long[] next = {0};
            return (out, count) -> {
                for (int n = 0; n < count; n++) {
                    long index = next[0]++;
                    int token = (int) (index / dim);
                    int channel = (int) (index % dim);
                    int part = channel / quarter;
                    double pos = part < 2 ? token % grid : token / grid;
                    double arg = pos * omega[channel % quarter];
                    out.put((float) (part % 2 == 0 ? Math.sin(arg) : Math.cos(arg)));
                }
            };
        }
    }

    static WeightInit normal(double std) {
        return new Normal(0, std);
    }

    /** Glorot/Xavier uniform for a layer with these fan-in and fan-out (PyTorch's xavier_uniform_). */
    static WeightInit xavierUniform(long fanIn, long fanOut) {
        return new Uniform(Math.sqrt(6.0 / (fanIn + fanOut)));
    }
}
