package dev.l2c.schedule;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.UsageException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a published L2C router into a {@link Schedule}. A router holds one logit per layer for
 * each router index; a layer is computed at a cache step when sigmoid(logit) &gt; θ. Which router
 * index drives which model evaluation, and which evaluations are cache steps at all, depends on the
 * sampler the routers were trained with; both published families are supported:
 *
 * <ul>
 *   <li>{@value Schedule#DIT_DDIM} (DiT-XL/2, DDIM, N routers for N steps): sampling step k
 *       (k = 0 the noisiest) uses router r = N-1-k. Steps with odd r, and step 0, are full; steps
 *       with even r are cache steps. Default θ = {@value #DIT_DEFAULT_THRESHOLD}.</li>
 *   <li>{@value Schedule#UVIT_DPM2S} (U-ViT-H/2, DPM-Solver-2 singlestep): a file with N routers is
 *       for N model evaluations, M = N/2 solver steps, evaluated as (t_0, s_0, t_1, s_1, ...). The
 *       evaluation at t_i (index 2i) for 1 ≤ i &lt; M is a cache step driven by router i that reuses
 *       what the evaluation at s_{i-1} computed; t_0 and every s_i are full. Routers M..N-1 are
 *       never used: the reference implementation loads only the first N/2 (it keys routers by the
 *       t_i timesteps), and the published reference totals (dpm20: 827 of 1160 layer evaluations)
 *       count exactly this reading. Default θ = {@value #UVIT_DEFAULT_THRESHOLD}.</li>
 * </ul>
 *
 * The sigmoid is rounded to float32 and compared with θ as float32, as the reference PyTorch code
 * compares a float32 tensor with a Python float. The schedule keeps these sigmoid scores for its
 * cache steps (null for full steps) and records the router file, its SHA-256 and θ as provenance.
 */
public final class RouterSchedules {
    public static final double DIT_DEFAULT_THRESHOLD = 0.1;
    public static final double UVIT_DEFAULT_THRESHOLD = 0.9;

    private RouterSchedules() {
    }

    /** The schedule for {@code router} with its pattern inferred from the file layout and that pattern's default θ. */
    public static Schedule fromRouter(RouterCheckpoint router) throws MismatchException, InvalidInputException {
        String pattern = inferPattern(router);
        return build(router, pattern, defaultThreshold(pattern));
    }

    /**
     * The schedule for {@code router} read with an explicit pattern and threshold.
     *
     * @throws UsageException    when the pattern is not a router pattern or θ is outside [0, 1]
     * @throws MismatchException when the router count does not fit the pattern
     */
    public static Schedule fromRouter(RouterCheckpoint router, String pattern, double threshold)
            throws UsageException, MismatchException, InvalidInputException {
        if (!pattern.equals(Schedule.DIT_DDIM) && !pattern.equals(Schedule.UVIT_DPM2S)) {
            throw new UsageException("a router schedule has pattern " + Schedule.DIT_DDIM + " or " + Schedule.UVIT_DPM2S
                    + ", not \"" + pattern + "\"");
        }
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new UsageException("the router threshold compares with sigmoid outputs, so it lies in [0, 1], not " + threshold);
        }
        return build(router, pattern, threshold);
    }

    /** The pattern a router file was trained for, from its layout (the DiT and U-ViT releases save differently). */
    public static String inferPattern(RouterCheckpoint router) {
        return switch (router.layout()) {
            case DIT_TRAINING_CHECKPOINT -> Schedule.DIT_DDIM;
            case UVIT_STATE_DICT -> Schedule.UVIT_DPM2S;
        };
    }

    /** The threshold the L2C authors sample with for {@code pattern}. */
    public static double defaultThreshold(String pattern) {
        return switch (pattern) {
            case Schedule.DIT_DDIM -> DIT_DEFAULT_THRESHOLD;
            case Schedule.UVIT_DPM2S -> UVIT_DEFAULT_THRESHOLD;
            default -> throw new IllegalArgumentException("no router threshold for pattern " + pattern);
        };
    }

    private static Schedule build(RouterCheckpoint router, String pattern, double threshold)
            throws MismatchException, InvalidInputException {
        int n = router.count();
        // routerOfStep[k] is the router driving evaluation k, or -1 for a full evaluation.
        int[] routerOfStep = new int[n];
        Arrays.fill(routerOfStep, -1);
        if (pattern.equals(Schedule.DIT_DDIM)) {
            for (int k = 1; k < n; k++) {
                int r = n - 1 - k;
                if (r % 2 == 0) {
                    routerOfStep[k] = r;
                }
            }
        } else {
            if (n % 2 != 0) {
                throw new MismatchException(router.file(), "holds " + n + " routers, but " + Schedule.UVIT_DPM2S
                        + " makes two model evaluations per DPM-Solver-2 step, so its router count (the NFE) is even;"
                        + " is this a DiT router? (use pattern " + Schedule.DIT_DDIM + ")");
            }
            for (int i = 1; i < n / 2; i++) {
                routerOfStep[2 * i] = i;
            }
        }
        float theta = (float) threshold;
        int layers = router.width();
        List<ScheduleStep> steps = new ArrayList<>(n);
        List<float[]> scores = new ArrayList<>(n);
        List<Integer> provenanceRouters = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            int r = routerOfStep[k];
            provenanceRouters.add(r < 0 ? null : r);
            if (r < 0) {
                steps.add(ScheduleStep.full(layers));
                scores.add(null);
                continue;
            }
            float[] logits = router.logits(r);
            float[] score = new float[layers];
            int[] computed = new int[layers];
            int count = 0;
            for (int j = 0; j < layers; j++) {
                if (!Float.isFinite(logits[j])) {
                    throw new InvalidInputException(router.file(), "router " + r + " holds the logit " + logits[j] + " for layer "
                            + j + "; a router's logits are finite (the checkpoint is damaged)");
                }
                score[j] = (float) (1.0 / (1.0 + Math.exp(-(double) logits[j])));
                if (score[j] > theta) {
                    computed[count++] = j;
                }
            }
            steps.add(ScheduleStep.cache(Arrays.copyOf(computed, count)));
            scores.add(score);
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("source", "router");
        provenance.put("file", router.file().getFileName().toString());
        provenance.put("sha256", router.sha256());
        provenance.put("pattern", pattern);
        provenance.put("threshold", threshold);
        provenance.put("routers", n);
        provenance.put("router_per_step", provenanceRouters);
        return new Schedule(layers, pattern, steps, provenance, scores);
    }
}
