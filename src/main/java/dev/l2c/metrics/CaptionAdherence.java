package dev.l2c.metrics;

import dev.l2c.error.L2cException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether generated Fashion-MNIST images satisfy the captions of the text-conditioned demo model
 * ("a small sneaker, upside down, inverted"): the class word, and three attributes that are image
 * transforms (onnx-models/training/train_text_dit.py makes its training captions the same way).
 * Decided, not eyeballed, with the FD classifier:
 * <ul>
 *   <li><b>class</b>: undo every transform the caption names (negate, enlarge the centre 16×16, flip back),
 *       then the classifier's top class is the caption's;</li>
 *   <li><b>inverted</b>: the image's 2-pixel border is bright (mean &gt; 0; Fashion-MNIST backgrounds are −1);</li>
 *   <li><b>small</b>: with a named inversion undone, the object's bounding box (pixels &gt; −0.5) is at most
 *       {@value #SMALL_EXTENT} pixels in both directions (the transform shrinks it into 16×16);</li>
 *   <li><b>upside down</b>: with named inversion and size undone, the classifier is more sure of the caption's
 *       class on the vertically flipped image than on the image itself.</li>
 * </ul>
 * Each attribute is scored on the images whose caption names it (detected: the hit rate) and on the
 * others (detected: the false-alarm rate); the same detectors on real transformed test images measure
 * what the detectors themselves can tell.
 */
public final class CaptionAdherence {
    /** The classes in label order, as the captions name them. */
    public static final List<String> CLASSES = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal",
            "shirt", "sneaker", "bag", "ankle boot");
    public static final List<String> ATTRIBUTES = List.of("small", "upside down", "inverted");
    static final int SMALL_SIZE = 16;
    static final int SMALL_EXTENT = 20;
    private static final int SIDE = 28;
    private static final Pattern CAPTION = Pattern.compile(
            "a (small )?(t-shirt|trouser|pullover|dress|coat|sandal|shirt|sneaker|bag|ankle boot)(, upside down)?(, inverted)?");

    /** A caption's meaning: its class and which attributes it names. */
    public record Caption(int label, boolean small, boolean upsideDown, boolean inverted) {
        public boolean named(int attribute) {
            return switch (attribute) {
                case 0 -> small;
                case 1 -> upsideDown;
                default -> inverted;
            };
        }

        public String text() {
            return "a " + (small ? "small " : "") + CLASSES.get(label) + (upsideDown ? ", upside down" : "")
                    + (inverted ? ", inverted" : "");
        }
    }

    /**
     * Scores: class accuracy, and per attribute the hit rate (named and detected) and false-alarm rate
     * (not named, detected), each with the per-image outcomes so two runs can be paired.
     */
    public record Scores(int images, boolean[] classCorrect, boolean[][] detected, Caption[] captions) {
        public double classAccuracy() {
            int n = 0;
            for (boolean b : classCorrect) {
                n += b ? 1 : 0;
            }
            return images == 0 ? Double.NaN : (double) n / images;
        }

        public double hitRate(int attribute) {
            return mean(detected[attribute], captions, attribute, true);
        }

        public double falseAlarmRate(int attribute) {
            return mean(detected[attribute], captions, attribute, false);
        }

        /** One line: class accuracy, then hit / false-alarm rate per attribute, in percent. */
        public String summary() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "class %.1f%%", 100 * classAccuracy()));
            for (int a = 0; a < ATTRIBUTES.size(); a++) {
                b.append(String.format(Locale.ROOT, ", %s %.1f%% (false alarms %.1f%%)", ATTRIBUTES.get(a),
                        100 * hitRate(a), 100 * falseAlarmRate(a)));
            }
            return b.toString();
        }

        private static double mean(boolean[] v, Caption[] captions, int attribute, boolean named) {
            int n = 0;
            int hits = 0;
            for (int i = 0; i < v.length; i++) {
                if (captions[i].named(attribute) == named) {
                    n++;
                    hits += v[i] ? 1 : 0;
                }
            }
            return n == 0 ? Double.NaN : (double) hits / n;
        }
    }

    private CaptionAdherence() {
    }

    /** Parses a caption of the demo's grammar; IllegalArgumentException naming it otherwise. */
    public static Caption parse(String caption) {
        Matcher m = CAPTION.matcher(caption.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + caption + "\" is not a caption of the demo's grammar"
                    + " (\"a [small] CLASS[, upside down][, inverted]\")");
        }
        return new Caption(CLASSES.indexOf(m.group(2)), m.group(1) != null, m.group(3) != null, m.group(4) != null);
    }

    /** Every caption of the grammar: each class with each combination of attributes (80). */
    public static List<Caption> allCaptions() {
        List<Caption> out = new ArrayList<>();
        for (int combo = 0; combo < 8; combo++) {
            for (int c = 0; c < CLASSES.size(); c++) {
                out.add(new Caption(c, (combo & 1) != 0, (combo & 2) != 0, (combo & 4) != 0));
            }
        }
        return out;
    }

    /** Scores {@code n} images [n, 1, 28, 28] in [-1, 1] against their captions. */
    public static Scores score(ClassifierFeatures classifier, float[] images, Caption[] captions) throws L2cException {
        int n = captions.length;
        int per = SIDE * SIDE;
        boolean[][] detected = new boolean[3][n];
        float[] undone = new float[n * per];
        float[] unflipped = new float[n * per];
        float[] flipped = new float[n * per];
        for (int i = 0; i < n; i++) {
            Caption c = captions[i];
            float[] img = java.util.Arrays.copyOfRange(images, i * per, (i + 1) * per);
            detected[2][i] = borderMean(img) > 0;
            if (c.inverted()) {
                negate(img);
            }
            detected[0][i] = extent(img) <= SMALL_EXTENT;
            if (c.small()) {
                img = enlargeCentre(img);
            }
            System.arraycopy(img, 0, unflipped, i * per, per);
            float[] f = flipVertically(img);
            System.arraycopy(f, 0, flipped, i * per, per);
            System.arraycopy(c.upsideDown() ? f : img, 0, undone, i * per, per);
        }
        ClassifierFeatures.Outputs asIs = classifier.run(unflipped, n, true);
        ClassifierFeatures.Outputs turned = classifier.run(flipped, n, true);
        ClassifierFeatures.Outputs restored = classifier.run(undone, n, true);
        boolean[] correct = new boolean[n];
        int classes = classifier.classes();
        for (int i = 0; i < n; i++) {
            int label = captions[i].label();
            correct[i] = restored.predictedClass(i) == label;
            detected[1][i] = logSoftmax(turned.logits(), i, classes, label) > logSoftmax(asIs.logits(), i, classes, label);
        }
        return new Scores(n, correct, detected, captions);
    }

    /** Applies a caption's transforms to a real image (what training did; bilinear shrinking, so approximate). */
    public static float[] transform(float[] image, Caption c) {
        float[] img = image.clone();
        if (c.small()) {
            img = shrinkIntoCentre(img);
        }
        if (c.upsideDown()) {
            img = flipVertically(img);
        }
        if (c.inverted()) {
            negate(img);
        }
        return img;
    }

    static double borderMean(float[] img) {
        double sum = 0;
        int n = 0;
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                if (y < 2 || y >= SIDE - 2 || x < 2 || x >= SIDE - 2) {
                    sum += img[y * SIDE + x];
                    n++;
                }
            }
        }
        return sum / n;
    }

    /** The larger side of the bounding box of pixels brighter than −0.5 (0 for an empty image). */
    static int extent(float[] img) {
        int top = SIDE;
        int bottom = -1;
        int left = SIDE;
        int right = -1;
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                if (img[y * SIDE + x] > -0.5f) {
                    top = Math.min(top, y);
                    bottom = Math.max(bottom, y);
                    left = Math.min(left, x);
                    right = Math.max(right, x);
                }
            }
        }
        return bottom < 0 ? 0 : Math.max(bottom - top + 1, right - left + 1);
    }

    private static void negate(float[] img) {
        for (int i = 0; i < img.length; i++) {
            img[i] = -img[i];
        }
    }

    private static float[] flipVertically(float[] img) {
        float[] out = new float[img.length];
        for (int y = 0; y < SIDE; y++) {
            System.arraycopy(img, y * SIDE, out, (SIDE - 1 - y) * SIDE, SIDE);
        }
        return out;
    }

    /** The centre 16×16 scaled back to 28×28 (bilinear, half-pixel centres). */
    private static float[] enlargeCentre(float[] img) {
        int o = (SIDE - SMALL_SIZE) / 2;
        return resize(img, SIDE, o, SMALL_SIZE, SIDE);
    }

    /** The image shrunk to 16×16 (area average) on a −1 background. */
    private static float[] shrinkIntoCentre(float[] img) {
        float[] out = new float[SIDE * SIDE];
        java.util.Arrays.fill(out, -1f);
        int o = (SIDE - SMALL_SIZE) / 2;
        double scale = (double) SIDE / SMALL_SIZE;
        for (int y = 0; y < SMALL_SIZE; y++) {
            for (int x = 0; x < SMALL_SIZE; x++) {
                double sum = 0;
                double weight = 0;
                for (int sy = (int) Math.floor(y * scale); sy < Math.ceil((y + 1) * scale); sy++) {
                    double wy = Math.min(sy + 1, (y + 1) * scale) - Math.max(sy, y * scale);
                    for (int sx = (int) Math.floor(x * scale); sx < Math.ceil((x + 1) * scale); sx++) {
                        double wx = Math.min(sx + 1, (x + 1) * scale) - Math.max(sx, x * scale);
                        sum += wy * wx * img[sy * SIDE + sx];
                        weight += wy * wx;
                    }
                }
                out[(y + o) * SIDE + x + o] = (float) (sum / weight);
            }
        }
        return out;
    }

    private static float[] resize(float[] img, int stride, int offset, int from, int to) {
        float[] out = new float[to * to];
        double scale = (double) from / to;
        for (int y = 0; y < to; y++) {
            double sy = Math.min(Math.max((y + 0.5) * scale - 0.5, 0), from - 1);
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(y0 + 1, from - 1);
            double fy = sy - y0;
            for (int x = 0; x < to; x++) {
                double sx = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), from - 1);
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(x0 + 1, from - 1);
                double fx = sx - x0;
                double v = (1 - fy) * ((1 - fx) * at(img, stride, offset, y0, x0) + fx * at(img, stride, offset, y0, x1))
                        + fy * ((1 - fx) * at(img, stride, offset, y1, x0) + fx * at(img, stride, offset, y1, x1));
                out[y * to + x] = (float) v;
            }
        }
        return out;
    }

    private static float at(float[] img, int stride, int offset, int y, int x) {
        return img[(y + offset) * stride + x + offset];
    }

    private static double logSoftmax(float[] logits, int i, int classes, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
            max = Math.max(max, logits[i * classes + k]);
        }
        double sum = 0;
        for (int k = 0; k < classes; k++) {
            sum += Math.exp(logits[i * classes + k] - max);
        }
        return logits[i * classes + label] - max - Math.log(sum);
    }
}
