package dev.l2c.runtime;

import dev.l2c.conditioning.ConditionSource;
import dev.l2c.conditioning.Conditions;

import dev.l2c.error.Cancellation;
import dev.l2c.error.L2cException;
import dev.l2c.error.NonFiniteException;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.ModelCard;

import java.nio.file.Path;
import java.util.Random;

/**
 * Any number of images, a batch at a time: the noise and labels of each batch are made when it runs
 * and its samples handed to a sink (a streamed .npy, a grid, a table) before the next, so memory holds
 * one batch whatever the count. Image i's noise and label depend on i alone, not on the batch size.
 */
public final class BatchedSampling {
    /**
     * Largest batch chosen by default. Larger batches are slower per image on the CPU, not faster: 100
     * images of the embedded DiT (DDIM-20, learned r35 package, 2 threads) took 37 s at batch 10, 40 s
     * at 20, 57 s at 50 and 107 s at 100 (the activations and caches of a large batch leave the CPU's
     * caches at every step).
     */
    public static final int MAX_DEFAULT_BATCH = 16;
    /** Activation memory a default batch is sized for. */
    public static final long DEFAULT_BATCH_BUDGET_BYTES = 1L << 30;

    private BatchedSampling() {
    }

    /** Writes the initial noise of images {@code first … first + count − 1} into {@code into}. */
    @FunctionalInterface
    public interface NoiseSource {
        void fill(long first, int count, float[] into) throws L2cException;
    }

    /** The class label of image {@code i}. */
    @FunctionalInterface
    public interface LabelSource {
        long label(long i);
    }

    /** Takes the samples of one batch: images {@code first …}, {@code count} of them. */
    @FunctionalInterface
    public interface Sink {
        void accept(long first, int count, float[] samples, Conditions conditions) throws L2cException;
    }

    /**
     * What a run did.
     *
     * @param stepNanos  the first batch's time per model evaluation (empty for a linked model)
     * @param ortNanos   time inside ONNX Runtime's run calls
     */
    public record Result(long images, int batches, int batch, long wallNanos, long ortNanos, long[] stepNanos) {
        public double overheadShare() {
            return wallNanos == 0 ? 0 : (double) (wallNanos - ortNanos) / wallNanos;
        }
    }

    /**
     * Class labels for {@code n} generated images, each class equally often (up to one when
     * {@code classes} does not divide {@code n}): 0, 1, …, classes−1, 0, 1, … That matches the test set,
     * which has 1 000 images of each class, so a Fréchet distance against it is not skewed by class
     * frequencies; and a prefix of the list is as balanced as it can be.
     */
    public static long[] balancedLabels(int n, int classes) {
        if (n < 0 || classes < 1) {
            throw new IllegalArgumentException("need n >= 0 and classes >= 1, not n=" + n + ", classes=" + classes);
        }
        LabelSource rule = balancedLabels(classes);
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rule.label(i);
        }
        return labels;
    }

    /** The class-balanced label rule: image i has label i mod classes (see {@link #balancedLabels(int, int)}). */
    public static LabelSource balancedLabels(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("need classes >= 1, not " + classes);
        }
        return i -> i % classes;
    }

    /** Java's seeded Gaussian stream, consumed in image order: the same noise as one batch of all images. */
    public static NoiseSource gaussian(long seed, int sampleElements) {
        Random r = new Random(seed);
        long[] next = {0};
        return (first, count, into) -> {
            if (first != next[0]) {
                throw new IllegalStateException("seeded noise is made in image order: expected image " + next[0]
                        + ", asked for " + first);
            }
            for (int i = 0; i < count * sampleElements; i++) {
                into[i] = (float) r.nextGaussian();
            }
            next[0] += count;
        };
    }

    /** Noise held in memory (read from a file), checked finite where it is used. */
    public static NoiseSource fromArray(float[] noise, int sampleElements, Path file) {
        return (first, count, into) -> {
            int offset = Math.toIntExact(first * sampleElements);
            for (int i = 0; i < count * sampleElements; i++) {
                float v = noise[offset + i];
                if (!Float.isFinite(v)) {
                    throw new NonFiniteException(file, "noise value " + (offset + i) + " (image " + (first + i / sampleElements)
                            + ") is " + v + "; the initial noise must be finite");
                }
                into[i] = v;
            }
        };
    }

    /**
     * The activation memory one image is budgeted at when a default batch is sized: sixteen token
     * streams of one sample ({@code tokenBytes}, a cacheable layer's output) plus the caches live at
     * once, doubled when classifier-free guidance doubles the model batch.
     */
    public static long bytesPerImage(long tokenBytes, long cacheBytesPerSample, boolean guided) {
        return (16 * tokenBytes + cacheBytesPerSample) * (guided ? 2 : 1);
    }

    /**
     * The activation memory one step graph's session arena is predicted to hold at the default batch
     * with guidance: 16 token tensors per model row (what {@link #bytesPerImage} counts; the demo DiT's
     * arenas measured 48 MiB at batch 16, this predicts 50 MiB). The memory policy AUTO weighs it.
     */
    public static long predictedArenaBytesPerGraph(long tokenBytes, long cacheBytesPerSample) {
        int batch = defaultBatch(MAX_DEFAULT_BATCH, bytesPerImage(tokenBytes, cacheBytesPerSample, true));
        return 16 * tokenBytes * 2 * batch;
    }

    /**
     * A default batch for {@code n} images: as many as fit {@link #DEFAULT_BATCH_BUDGET_BYTES} of
     * activations at {@code bytesPerImage} each (doubled batch included), at most
     * {@link #MAX_DEFAULT_BATCH}, at least 1, never more than {@code n}.
     */
    public static int defaultBatch(long n, long bytesPerImage) {
        long fit = Math.max(1, DEFAULT_BATCH_BUDGET_BYTES / Math.max(1, bytesPerImage));
        return (int) Math.max(1, Math.min(Math.min(fit, MAX_DEFAULT_BATCH), n));
    }

    /**
     * Generates {@code n} images in batches of {@code batch} and hands each batch to {@code sink}. Fails
     * with {@link NonFiniteException} when a batch's samples are not finite (the executors name the step
     * earlier where they can).
     */
    public static Result run(SampleGenerator gen, ModelCard card, long n, int batch, NoiseSource noise,
                             ConditionSource conditions, float cfg, Progress progress, Sink sink, Path what)
            throws L2cException {
        int per = card.sampleElements();
        int batches = Math.toIntExact((n + batch - 1) / batch);
        long wall = 0;
        long ort = 0;
        long[] firstSteps = new long[0];
        float[] xT = new float[Math.multiplyExact(batch, per)];
        for (int b = 0; b < batches; b++) {
            Cancellation.check();
            long first = (long) b * batch;
            int count = (int) Math.min(batch, n - first);
            float[] x = count == batch ? xT : new float[count * per];
            noise.fill(first, count, x);
            Conditions y = conditions.conditions(first, count);
            SampleRun.Output out = gen.generate(new SampleRun.Request(x, y, conditions.unconditional(first, count), cfg),
                    progress);
            float[] samples = out.samples();
            for (int i = 0; i < samples.length; i++) {
                if (!Float.isFinite(samples[i])) {
                    throw new NonFiniteException(what, "the sample of image " + (first + i / per) + " holds " + samples[i]
                            + "; the model computed non-finite values (damaged weights, or a model that diverges)");
                }
            }
            sink.accept(first, count, samples, y);
            wall += out.wallNanos();
            ort += out.ortNanos();
            if (b == 0) {
                firstSteps = out.stepNanos();
            }
        }
        return new Result(n, batches, batch, wall, ort, firstSteps);
    }
}
