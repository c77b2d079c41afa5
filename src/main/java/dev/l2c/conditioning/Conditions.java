package dev.l2c.conditioning;

import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;

import java.util.Arrays;

/**
 * What each sample of a batch is conditioned on: one class label per sample, or one prompt's token
 * embeddings [tokens, width] and mask [tokens] per sample. Immutable (the arrays are never written
 * after construction); the one value that travels from a request (CLI, bench, learner, Spark) to the
 * tensor packer, so no code between them knows which kind it carries.
 */
public final class Conditions {
    private final int batch;
    private final long[] labels;
    private final float[] text;
    private final float[] mask;
    private final int tokens;
    private final int width;

    private Conditions(int batch, long[] labels, float[] text, float[] mask, int tokens, int width) {
        this.batch = batch;
        this.labels = labels;
        this.text = text;
        this.mask = mask;
        this.tokens = tokens;
        this.width = width;
    }

    /** One class label per sample. */
    public static Conditions labels(long... labels) {
        return new Conditions(labels.length, labels.clone(), null, null, 0, 0);
    }

    /**
     * Text embeddings for {@code batch} samples.
     *
     * @param text [batch, tokens, width], flattened
     * @param mask [batch, tokens], flattened: 1 for a real token, 0 for padding
     */
    public static Conditions text(float[] text, float[] mask, int batch, int tokens, int width) {
        if (text.length != (long) batch * tokens * width || mask.length != (long) batch * tokens) {
            throw new IllegalArgumentException("text embeddings of " + text.length + " and mask of " + mask.length
                    + " values do not make " + batch + " × [" + tokens + ", " + width + "]");
        }
        return new Conditions(batch, null, text.clone(), mask.clone(), tokens, width);
    }

    /**
     * The unconditional half of classifier-free guidance for {@code batch} samples, where the card alone
     * defines it: the null label, or zero embeddings (mask of the first token only). A card whose null
     * condition is the empty prompt's embeddings needs its text encoder: see {@link PromptEncoder#unconditional}.
     */
    public static Conditions unconditional(ModelCard card, int batch) {
        if (card.conditioning() instanceof Conditioning.ClassLabel l) {
            long[] y = new long[batch];
            Arrays.fill(y, l.nullLabel());
            return new Conditions(batch, y, null, null, 0, 0);
        }
        Conditioning.TextTokens t = (Conditioning.TextTokens) card.conditioning();
        if (!t.nullKind().equals(Conditioning.TextTokens.NULL_ZEROS)) {
            throw new IllegalStateException(card.name() + ": the null condition is the empty prompt's embeddings;"
                    + " encode it with the model's text encoder");
        }
        float[] mask = new float[batch * t.tokens()];
        for (int i = 0; i < batch; i++) {
            mask[i * t.tokens()] = 1f;
        }
        return new Conditions(batch, null, new float[batch * t.textElements()], mask, t.tokens(), t.width());
    }

    public int batch() {
        return batch;
    }

    public boolean isText() {
        return text != null;
    }

    /** The class labels [batch]; IllegalStateException for text conditions. */
    public long[] labels() {
        if (labels == null) {
            throw new IllegalStateException("text-conditioned samples have no class labels");
        }
        return labels;
    }

    /** The embeddings [batch, tokens, width], flattened (do not modify). */
    public float[] text() {
        requireText();
        return text;
    }

    /** The mask [batch, tokens], flattened (do not modify). */
    public float[] mask() {
        requireText();
        return mask;
    }

    public int tokens() {
        return tokens;
    }

    public int width() {
        return width;
    }

    /** Samples {@code from} … {@code from + n − 1}. */
    public Conditions slice(int from, int n) {
        if (from < 0 || n < 0 || from + n > batch) {
            throw new IndexOutOfBoundsException("samples " + from + "+" + n + " of " + batch);
        }
        if (labels != null) {
            return new Conditions(n, Arrays.copyOfRange(labels, from, from + n), null, null, 0, 0);
        }
        int te = tokens * width;
        return new Conditions(n, null, Arrays.copyOfRange(text, from * te, (from + n) * te),
                Arrays.copyOfRange(mask, from * tokens, (from + n) * tokens), tokens, width);
    }

    /** These samples followed by {@code other}'s (the doubled batch of guidance: conditional half first). */
    public Conditions concat(Conditions other) {
        if (isText() != other.isText() || tokens != other.tokens || width != other.width) {
            throw new IllegalArgumentException("cannot join conditions of different kinds or shapes");
        }
        if (labels != null) {
            return new Conditions(batch + other.batch, join(labels, other.labels), null, null, 0, 0);
        }
        return new Conditions(batch + other.batch, null, join(text, other.text), join(mask, other.mask), tokens, width);
    }

    /** {@code n} samples repeating these in turn: sample i gets condition i mod batch. */
    public Conditions cycle(int n) {
        if (batch == 0) {
            throw new IllegalArgumentException("no conditions to repeat");
        }
        Conditions out = slice(0, 0);
        for (int from = 0; from < n; from += batch) {
            out = out.concat(slice(0, Math.min(batch, n - from)));
        }
        return out;
    }

    /** Checks these conditions fit {@code card}'s model; IllegalArgumentException with the mismatch. */
    public void checkFits(ModelCard card) {
        if (card.conditioning() instanceof Conditioning.TextTokens t) {
            if (!isText()) {
                throw new IllegalArgumentException(card.name() + " is text-conditioned: give prompts or embeddings, not labels");
            }
            if (tokens != t.tokens() || width != t.width()) {
                throw new IllegalArgumentException("embeddings of [" + tokens + ", " + width + "] per sample, but "
                        + card.name() + " reads [" + t.tokens() + ", " + t.width() + "]");
            }
        } else if (isText()) {
            throw new IllegalArgumentException(card.name() + " is class-conditional: give class labels, not text");
        }
    }

    private void requireText() {
        if (text == null) {
            throw new IllegalStateException("class-labelled samples have no text embeddings");
        }
    }

    private static long[] join(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] join(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
