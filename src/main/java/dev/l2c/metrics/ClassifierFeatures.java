package dev.l2c.metrics;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.ProviderException;
import dev.l2c.runtime.OrtFailures;
import dev.l2c.runtime.OrtRuntime;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Runs the Fashion-MNIST classifier ({@code onnx-models/fmnist_classifier.onnx}, see its card) on CPU
 * to turn images into the feature vectors that the Fréchet distance compares, and into class logits.
 * The graph takes {@value #INPUT} float32 {@code [B, 1, 28, 28]} with pixels in [-1, 1] (as the
 * diffusion models produce them) and gives {@value #FEATURES} {@code [B, 128]} (the penultimate ReLU
 * layer) and {@value #LOGITS} {@code [B, 10]}. The names and the per-image shapes are read from the
 * graph and checked when it is opened, so another model fails there with a message rather than midway.
 *
 * <p>Images are run in batches of a fixed size (the last one smaller), so memory stays bounded
 * whatever the number of images. Each image is processed independently, so the results do not depend
 * on the batch size beyond float rounding. Not thread-safe; close it to free the session.
 */
public final class ClassifierFeatures implements AutoCloseable {
    /** Where the project keeps the classifier, relative to the project folder. */
    public static final Path DEFAULT_MODEL = Path.of("onnx-models", "fmnist_classifier.onnx");
    /** Images per ONNX Runtime call: large enough to amortise the call, small enough to stay a few MB. */
    public static final int DEFAULT_BATCH = 500;
    public static final String INPUT = "image";
    public static final String FEATURES = "features";
    public static final String LOGITS = "logits";
    private static final String EXPECTED = "expected the Fashion-MNIST classifier (input '" + INPUT
            + "' [B, 1, 28, 28]; outputs '" + FEATURES + "' [B, 128] and '" + LOGITS + "' [B, 10])";

    private final Path model;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final int batchSize;
    private final long[] imageShape;
    private final int imageElements;
    private final int featureDim;
    private final int classes;

    /**
     * The classifier's features and logits for {@code n} images.
     *
     * @param features {@code [n, featureDim]} flattened
     * @param logits   {@code [n, classes]} flattened, or null when they were not asked for
     */
    public record Outputs(int n, float[] features, float[] logits) {
        /** The class with the largest logit for image {@code i} (the first one on ties). */
        public int predictedClass(int i) {
            int classes = logits.length / n;
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (logits[i * classes + k] > logits[i * classes + best]) {
                    best = k;
                }
            }
            return best;
        }
    }

    private ClassifierFeatures(Path model, OrtEnvironment environment, OrtSession session, int batchSize,
                               long[] imageShape, int featureDim, int classes) {
        this.model = model;
        this.environment = environment;
        this.session = session;
        this.batchSize = batchSize;
        this.imageShape = imageShape;
        this.featureDim = featureDim;
        this.classes = classes;
        this.imageElements = (int) (imageShape[0] * imageShape[1] * imageShape[2]);
    }

    /** Opens the classifier with batches of {@value #DEFAULT_BATCH} images. */
    public static ClassifierFeatures open(Path model) throws L2cException {
        return open(model, DEFAULT_BATCH);
    }

    /**
     * Opens the classifier graph {@code model} on CPU, in the shared ONNX Runtime environment.
     *
     * @throws InvalidInputException if the file is missing or its inputs and outputs are not the
     *     classifier's
     * @throws L2cException if ONNX Runtime cannot load it
     */
    public static ClassifierFeatures open(Path model, int batchSize) throws L2cException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, not " + batchSize);
        }
        if (!Files.isRegularFile(model)) {
            throw new InvalidInputException(model, "classifier model not found; the project keeps it at "
                    + DEFAULT_MODEL + " (run from the project folder or give its location)");
        }
        OrtEnvironment environment = OrtRuntime.environment(0);
        OrtSession session;
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(OrtRuntime.Options.cpu())) {
            session = OrtRuntime.open(model, so);
        }
        try {
            long[] input = floatShape(model, session.getInputInfo(), INPUT, 4);
            long[] features = floatShape(model, session.getOutputInfo(), FEATURES, 2);
            long[] logits = floatShape(model, session.getOutputInfo(), LOGITS, 2);
            return new ClassifierFeatures(model, environment, session, batchSize,
                    Arrays.copyOfRange(input, 1, 4), (int) features[1], (int) logits[1]);
        } catch (InvalidInputException | RuntimeException e) {
            closeQuietly(session);
            throw e;
        } catch (OrtException e) {
            closeQuietly(session);
            throw new ProviderException(model, "ONNX Runtime cannot describe this graph's inputs and outputs: "
                    + e.getMessage().split("\n")[0], e);
        }
    }

    /**
     * The shape of a float tensor named {@code name} with {@code rank} dimensions, all but the first
     * (the batch) fixed.
     */
    private static long[] floatShape(Path model, Map<String, NodeInfo> infos, String name, int rank)
            throws InvalidInputException {
        NodeInfo node = infos.get(name);
        if (node == null || !(node.getInfo() instanceof TensorInfo info)) {
            throw new InvalidInputException(model, "has no tensor '" + name + "' (it has " + infos.keySet() + "); "
                    + EXPECTED);
        }
        long[] shape = info.getShape();
        boolean fixed = shape.length == rank;
        for (int i = 1; fixed && i < rank; i++) {
            fixed = shape[i] > 0;
        }
        if (info.type != OnnxJavaType.FLOAT || !fixed) {
            throw new InvalidInputException(model, "'" + name + "' is " + info.type + " " + Arrays.toString(shape)
                    + "; " + EXPECTED);
        }
        return shape;
    }

    public Path model() {
        return model;
    }

    /** Values per feature vector (128 for the shipped classifier). */
    public int featureDim() {
        return featureDim;
    }

    /** Number of classes the logits score (10). */
    public int classes() {
        return classes;
    }

    /** The shape of one image, {@code [channels, height, width]}. */
    public long[] imageShape() {
        return imageShape.clone();
    }

    /** Values per image (784 for 1 × 28 × 28). */
    public int imageElements() {
        return imageElements;
    }

    /** The feature vectors of {@code n} images given as {@code [n, C, H, W]} in [-1, 1], flattened. */
    public float[] features(float[] images, int n) throws L2cException {
        return run(images, n, false).features();
    }

    /** The Gaussian statistics of the feature vectors of {@code n} images ({@code n} ≥ 2). */
    public FeatureStatistics statistics(float[] images, int n) throws L2cException {
        return FeatureStatistics.of(features(images, n), n, featureDim);
    }

    /**
     * Features, and logits when {@code withLogits}, of {@code n} images given as {@code [n, C, H, W]} in
     * [-1, 1], flattened. Values outside [-1, 1] (a sampler without clipping) are passed on unchanged.
     *
     * @throws IllegalArgumentException if {@code images} does not hold n images
     * @throws L2cException if ONNX Runtime fails to run the graph
     */
    public Outputs run(float[] images, int n, boolean withLogits) throws L2cException {
        if (n < 0 || (long) n * imageElements != images.length) {
            throw new IllegalArgumentException(images.length + " values are not " + n + " images of "
                    + Arrays.toString(imageShape) + " (" + imageElements + " values each)");
        }
        float[] features = new float[n * featureDim];
        float[] logits = withLogits ? new float[n * classes] : null;
        Set<String> wanted = withLogits ? Set.of(FEATURES, LOGITS) : Set.of(FEATURES);
        for (int start = 0; start < n; start += batchSize) {
            int count = Math.min(batchSize, n - start);
            long[] shape = {count, imageShape[0], imageShape[1], imageShape[2]};
            FloatBuffer slice = FloatBuffer.wrap(images, start * imageElements, count * imageElements).slice();
            try (OnnxTensor input = OnnxTensor.createTensor(environment, slice, shape);
                 OrtSession.Result result = session.run(Map.of(INPUT, input), wanted, OrtRuntime.runOptions())) {
                copyOut(result, FEATURES, features, start * featureDim, count * featureDim);
                if (withLogits) {
                    copyOut(result, LOGITS, logits, start * classes, count * classes);
                }
            } catch (OrtException e) {
                throw OrtFailures.running(model, "images " + start + ".." + (start + count - 1), e);
            }
        }
        return new Outputs(n, features, logits);
    }

    private static void copyOut(OrtSession.Result result, String name, float[] into, int offset, int length) {
        OnnxTensor tensor = (OnnxTensor) result.get(name)
                .orElseThrow(() -> new IllegalStateException("ONNX Runtime returned no '" + name + "'"));
        FloatBuffer values = tensor.getFloatBuffer();
        if (values.remaining() != length) {
            throw new IllegalStateException("'" + name + "' has " + values.remaining() + " values, expected " + length);
        }
        values.get(into, offset, length);
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // nothing more to release; the original problem is what the user needs to see
        }
    }

    @Override
    public void close() {
        closeQuietly(session);
    }
}
