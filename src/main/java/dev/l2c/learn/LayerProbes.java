package dev.l2c.learn;

import dev.l2c.error.L2cException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.l2c.learn.LearnMath.difference;
import static dev.l2c.learn.LearnMath.dot;
import static dev.l2c.learn.LearnMath.gram;
import static dev.l2c.learn.LearnMath.mse;
import static dev.l2c.learn.LearnMath.sumSquares;

/**
 * The measurements behind a cache step's error model ({@link StepSurrogate}): the output with
 * exactly one layer reused, with every layer reused, and with every layer but one reused; then a
 * few random sets, measured to check the model's predictions (the report's "random sets").
 */
final class LayerProbes {
    private final LearningSession session;
    private final int layerCount;
    private final long seed;
    private final int checkSets;
    private final List<LearnedSchedule.Pair> randomPairs = new ArrayList<>();

    LayerProbes(LearningSession session, int layerCount, LearnOptions options) {
        this.session = session;
        this.layerCount = layerCount;
        this.seed = options.seed();
        this.checkSets = options.checkSets();
    }

    /** The single-layer deltas around both anchors at cache step k, their error model, and the random-set checks. */
    StepModel measure(int k, ModelInput in, float[] full) throws L2cException {
        int l = layerCount;
        float[][] reuseOne = new float[l][];
        for (int j = 0; j < l; j++) {
            boolean[] only = new boolean[l];
            only[j] = true;
            reuseOne[j] = difference(session.blend(k, in, only), full);
        }
        float[] allReused = session.reuseAllBut(k, in, -1);
        float[] dAll = difference(allReused, full);
        float[][] computeOne = new float[l][];
        for (int j = 0; j < l; j++) {
            computeOne[j] = difference(session.reuseAllBut(k, in, j), allReused);
        }
        double n = full.length;
        double[][] g = gram(reuseOne, n);
        double[][] h = gram(computeOne, n);
        double[] hd = new double[l];
        for (int j = 0; j < l; j++) {
            hd[j] = dot(dAll, computeOne[j]) / n;
        }
        StepSurrogate surrogate = new StepSurrogate(g, h, hd, sumSquares(dAll) / n);
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + k);
        for (int c = 0; c < checkSets; c++) {
            boolean[] set = randomSet(random, l);
            float[] out = session.blend(k, in, set);
            randomPairs.add(pair(k, surrogate, set, surrogate.predict(set), mse(out, full)));
        }
        return new StepModel(k, in, full, reuseOne, computeOne, dAll, surrogate);
    }

    /** The random sets' predicted against measured errors, in measurement order. */
    List<LearnedSchedule.Pair> randomPairs() {
        return randomPairs;
    }

    static LearnedSchedule.Pair pair(int k, StepSurrogate m, boolean[] set, double predicted, double measured) {
        return new LearnedSchedule.Pair(k, LearnMath.count(set), m.fromNone(set), m.fromAll(set), predicted, measured);
    }

    /** A uniformly random subset of uniformly random size 1..L−1 (all sizes equally likely). */
    private static boolean[] randomSet(SplittableRandom random, int l) {
        int size = l == 1 ? 1 : 1 + random.nextInt(l - 1);
        int[] order = new int[l];
        Arrays.setAll(order, j -> j);
        for (int j = l - 1; j > 0; j--) {
            int o = random.nextInt(j + 1);
            int t = order[j];
            order[j] = order[o];
            order[o] = t;
        }
        boolean[] set = new boolean[l];
        for (int i = 0; i < size; i++) {
            set[order[i]] = true;
        }
        return set;
    }
}
