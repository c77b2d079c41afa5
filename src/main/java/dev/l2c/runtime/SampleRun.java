package dev.l2c.runtime;

import dev.l2c.conditioning.Conditions;
import dev.l2c.error.Cancellation;
import dev.l2c.error.L2cException;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.sampler.Guidance;
import dev.l2c.sampler.NoisePredictor;
import dev.l2c.sampler.Sampler;

/**
 * One sampling run: the sampler drives, asking for ε at each evaluation; this class builds the model
 * batch (doubled for classifier-free guidance: {@code [x; x]} with conditions {@code [y; null]}), runs the
 * executor, and combines the two halves. Records the time of each step and the time spent inside
 * ONNX Runtime, so the runner's own overhead can be measured.
 */
public final class SampleRun {

    /**
     * @param xT            initial noise [batch, C, H, W]
     * @param conditions    what each sample is conditioned on (class labels, text embeddings) [batch]
     * @param unconditional the unconditional half under guidance [batch] (a negative prompt's embeddings), or
     *                      null for the card's null condition (null label, zero embeddings)
     * @param cfg           guidance scale; 1 runs the conditional model alone (no doubled batch)
     */
    public record Request(float[] xT, Conditions conditions, Conditions unconditional, float cfg) {
        public Request {
            if (unconditional != null && unconditional.batch() != conditions.batch()) {
                throw new IllegalArgumentException(unconditional.batch() + " unconditional conditions for "
                        + conditions.batch() + " samples");
            }
        }

        /** A request of a class-conditional model: labels [batch], the card's null label under guidance. */
        public Request(float[] xT, long[] labels, float cfg) {
            this(xT, Conditions.labels(labels), null, cfg);
        }

        public int batch() {
            return conditions.batch();
        }

        /** The class labels of a class-conditional request. */
        public long[] labels() {
            return conditions.labels();
        }

        /** The unconditional half for {@code card}'s model: the one given, else the card's null condition. */
        public Conditions unconditionalFor(ModelCard card) {
            return unconditional != null ? unconditional : Conditions.unconditional(card, batch());
        }

        /** The model batch's conditions: [conditional; unconditional] under guidance, else the conditional ones. */
        public Conditions modelConditions(ModelCard card) {
            return cfg != 1f ? conditions.concat(unconditionalFor(card)) : conditions;
        }
    }

    /**
     * @param samples    final samples [batch, C, H, W]
     * @param stepNanos  wall time of each model evaluation as the sampler saw it (includes guidance and copies)
     * @param wallNanos  wall time of the whole run
     * @param ortNanos   time inside ONNX Runtime's run calls
     */
    public record Output(float[] samples, long[] stepNanos, long wallNanos, long ortNanos) {
        /** Share of the run spent outside ONNX Runtime (sampler arithmetic, guidance, copies). */
        public double overheadShare() {
            return wallNanos == 0 ? 0 : (double) (wallNanos - ortNanos) / wallNanos;
        }
    }

    private SampleRun() {
    }

    public static Output run(ModelExecutor executor, ModelCard card, Sampler sampler, Request request,
                             Progress progress) throws L2cException {
        int batch = request.batch();
        boolean guided = request.cfg() != 1f;
        int modelBatch = guided ? 2 * batch : batch;
        int perSample = card.sampleElements();
        Conditions modelConditions = request.modelConditions(card);
        float[] modelX = new float[modelBatch * perSample];
        long[] stepNanos = new long[sampler.evaluations()];
        long ortBefore = executor.runNanos();
        executor.reset();
        NoisePredictor predictor = (evaluation, x, modelTime) -> {
            Cancellation.check();
            long t0 = System.nanoTime();
            System.arraycopy(x, 0, modelX, 0, batch * perSample);
            if (guided) {
                System.arraycopy(x, 0, modelX, batch * perSample, batch * perSample);
            }
            float[] out = executor.evaluate(evaluation, modelX, modelBatch, modelTime, modelConditions);
            float[] eps = guided
                    ? Guidance.combine(out, batch, perSample, request.cfg())
                    : Guidance.conditionalOnly(out, batch, perSample);
            long dt = System.nanoTime() - t0;
            stepNanos[evaluation] = dt;
            progress.step(dt);
            return eps;
        };
        long start = System.nanoTime();
        float[] samples = sampler.sample(request.xT(), predictor, (e, total) -> { });
        long wall = System.nanoTime() - start;
        executor.reset();
        return new Output(samples, stepNanos, wall, executor.runNanos() - ortBefore);
    }
}
