package dev.l2c.spark;

/**
 * One image to generate: its id, class label (class-conditional package) or prompt (text-conditioned), the seed of its initial noise and its guidance scale. The
 * noise is {@code InitialNoise.gaussian(seed, C·H·W)}, a function of the seed alone, so a row's sample
 * does not depend on where it runs, with whom it is batched, or how often its task is retried (given
 * the job's batch size and intra-op threads, see {@link PaddedBatch}); it is the noise {@code l2c sample
 * --seed SEED -n 1} starts from.
 */
record SampleRequest(long id, Integer label, String prompt, long seed, float guidanceScale) {

    /** A class-conditional package's request. */
    SampleRequest(long id, int label, long seed, float guidanceScale) {
        this(id, label, null, seed, guidanceScale);
    }

    /**
     * The seed of row {@code i} of a job that was given a count and a base seed: the {@code i}-th output
     * of SplitMix64 started at {@code baseSeed}. Not {@code baseSeed + i}: java.util.Random, which makes
     * the noise, starts nearby seeds on nearby states, and the first uniform draw of consecutive seeds is
     * nearly the same (0.72201, 0.72192, 0.72219 for seeds 100, 101, 102), which would tie the first noise
     * values of neighbouring images together.
     */
    static long rowSeed(long baseSeed, long i) {
        long z = baseSeed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
