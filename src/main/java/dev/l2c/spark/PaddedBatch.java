package dev.l2c.spark;

import dev.l2c.error.L2cException;
import dev.l2c.runtime.InitialNoise;
import dev.l2c.runtime.SampleRun;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs up to {@code size} requests of one guidance scale as one model batch of exactly {@code size}
 * images, the missing places filled with copies of the first request (their samples thrown away).
 *
 * <p>Why always full: ONNX Runtime may pick other kernels at another batch size, which round
 * differently (on the embedded DiT's stepwise package, batches of 1 to 32 give the same bits, a batch
 * of 64 differs by up to 3e-5), but within one batch size an image's sample does not depend on its place
 * in the batch or on the other images there ({@code PaddedBatchTest}; also checked at 48 and 64). With every batch full, an image's sample depends on its request alone:
 * not on how the rows were partitioned, which rows a partition holds, or how many are left at its end.
 * The cost is at most {@code size − 1} padded images per partition and guidance scale. (The intra-op
 * thread count is the other thing the bits depend on: ONNX Runtime splits its work by threads, and another
 * count rounds differently; the executors of one job all use --threads.)
 */
final class PaddedBatch {
    private PaddedBatch() {
    }

    /** A request's sample [C·H·W], or why there is none. */
    record Outcome(SampleRequest request, float[] sample, String error) {
    }

    static List<Outcome> run(OpenPackage pkg, List<SampleRequest> requests, int size) {
        if (requests.isEmpty() || requests.size() > size) {
            throw new IllegalArgumentException("need 1 to " + size + " requests, not " + requests.size());
        }
        float scale = requests.get(0).guidanceScale();
        int per = pkg.card().sampleElements();
        float[] noise = new float[Math.multiplyExact(size, per)];
        boolean text = pkg.card().textConditioned();
        long[] labels = new long[size];
        List<String> prompts = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            SampleRequest r = requests.get(i < requests.size() ? i : 0);
            if (Float.floatToIntBits(r.guidanceScale()) != Float.floatToIntBits(scale)) {
                throw new IllegalArgumentException("a batch has one guidance scale: " + scale + " and " + r.guidanceScale());
            }
            if (i < requests.size()) {
                System.arraycopy(InitialNoise.gaussian(r.seed(), per), 0, noise, i * per, per);
            } else {
                System.arraycopy(noise, 0, noise, i * per, per);
            }
            if (text) {
                prompts.add(r.prompt());
            } else {
                labels[i] = r.label();
            }
        }
        List<Outcome> outcomes = new ArrayList<>(requests.size());
        float[] samples;
        try {
            samples = pkg.generate(text ? pkg.promptRequest(noise, prompts, scale) : new SampleRun.Request(noise, labels, scale));
        } catch (L2cException e) {
            for (SampleRequest r : requests) {
                outcomes.add(new Outcome(r, null, "request " + r.id() + ": " + e.getMessage()));
            }
            return outcomes;
        }
        for (int i = 0; i < requests.size(); i++) {
            SampleRequest r = requests.get(i);
            float[] sample = Arrays.copyOfRange(samples, i * per, (i + 1) * per);
            String error = null;
            for (float v : sample) {
                if (!Float.isFinite(v)) {
                    error = "request " + r.id() + ": the sample holds " + v + "; the model computed non-finite values "
                            + "(damaged weights, or a model that diverges)";
                    break;
                }
            }
            outcomes.add(new Outcome(r, error == null ? sample : null, error));
        }
        return outcomes;
    }
}
