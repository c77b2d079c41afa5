package dev.l2c.learn;

import dev.l2c.error.L2cException;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.LoadedModel;


/**
 * The ONNX Runtime sessions, the two branch caches and the progress bar of one learning or
 * measuring run. Every model evaluation of the run goes through here, so that each is counted
 * and timed against the sampling step it serves (the learner's per-step report).
 *
 * <p>The caches: {@code previous} holds the branch values a cache step reuses; {@code current} is
 * written by the full evaluation just before a cache step and then becomes {@code previous}.
 */
final class LearningSession implements AutoCloseable {
    private final LearningSetup setup;
    private final RoutingEvaluator evaluator;
    private BranchCache previous;
    private BranchCache current;
    private final Progress progress;
    private final long[] stepNanos;
    private final int[] stepEvaluations;

    LearningSession(LoadedModel model, LearnOptions options, LearningSetup setup, String label, long plannedEvaluations)
            throws L2cException {
        this.setup = setup;
        int n = setup.evaluations();
        this.stepNanos = new long[n];
        this.stepEvaluations = new int[n];
        this.evaluator = new RoutingEvaluator(model, setup.modelBatch(), options.runtime());
        BranchCache a = null;
        try {
            a = evaluator.newCache();
            this.previous = a;
            this.current = evaluator.newCache();
        } catch (L2cException | RuntimeException e) {
            if (a != null) {
                a.close();
            }
            evaluator.close();
            throw e;
        }
        this.progress = Progress.start(label, plannedEvaluations, options.progress());
    }

    /** The final samples of a sampler run over the calibration noise and labels, each evaluation answered by {@code f}. */
    float[] runSampler(CalibrationRun.Evaluation f) throws L2cException {
        return CalibrationRun.samples(setup, evaluator::runNanos, f);
    }

    /** The full model output at step k; with {@code keepBranches}, its branch values are written to the spare cache. */
    float[] full(int k, ModelInput in, boolean keepBranches) throws L2cException {
        long t0 = System.nanoTime();
        float[] out = evaluator.probe(in, keepBranches ? current : null);
        stepped(k, System.nanoTime() - t0);
        return out;
    }

    /** The branch values just written to the spare cache become the ones the next cache step reuses. */
    void promoteFreshBranches() {
        BranchCache t = previous;
        previous = current;
        current = t;
    }

    /** A full step before a cache step, when walking a schedule: every layer's cached value becomes step k's. */
    void refreshAllBranches(int k, ModelInput in) throws L2cException {
        long t0 = System.nanoTime();
        evaluator.probe(in, previous);
        stepped(k, System.nanoTime() - t0);
    }

    /** The model output at step k with the layers in {@code reused} taking their cached values. */
    float[] blend(int k, ModelInput in, boolean[] reused) throws L2cException {
        long t0 = System.nanoTime();
        float[] out = evaluator.blend(in, previous, LearnMath.mask(reused), null);
        stepped(k, System.nanoTime() - t0);
        return out;
    }

    /** The model output at step k with every layer reusing its cached value except {@code computed} (−1: none). */
    float[] reuseAllBut(int k, ModelInput in, int computed) throws L2cException {
        long t0 = System.nanoTime();
        float[] out = evaluator.reuseAllBut(in, previous, computed);
        stepped(k, System.nanoTime() - t0);
        return out;
    }

    /** After cache step k, layers it computed take their fresh values; the others keep theirs. */
    void updateCaches(int k, ModelInput in, boolean[] reused) throws L2cException {
        long t0 = System.nanoTime();
        evaluator.blend(in, previous, LearnMath.mask(reused), current);
        stepped(k, System.nanoTime() - t0);
        for (int j = 0; j < reused.length; j++) {
            if (!reused[j]) {
                previous.copyFrom(current, j);
            }
        }
    }

    /** Advances the progress bar for an evaluation that was planned but not needed. */
    void skipped() {
        progress.step(0);
    }

    /** Ends the progress bar (the run's measurements are done). */
    void finish() {
        progress.close();
    }

    int stepEvaluations(int k) {
        return stepEvaluations[k];
    }

    double stepSeconds(int k) {
        return stepNanos[k] / 1e9;
    }

    long runs() {
        return evaluator.runs();
    }

    private void stepped(int k, long nanos) {
        stepNanos[k] += nanos;
        stepEvaluations[k]++;
        progress.step(nanos);
    }

    @Override
    public void close() {
        progress.close();
        previous.close();
        current.close();
        evaluator.close();
    }
}
