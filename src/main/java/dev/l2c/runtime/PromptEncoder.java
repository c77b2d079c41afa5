package dev.l2c.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.l2c.conditioning.ConditionSource;
import dev.l2c.conditioning.Conditions;
import dev.l2c.conditioning.WordTokenizer;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;

import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A card's text encoder, run with ONNX Runtime on the CPU: prompts → token ids (the card's word
 * tokenizer) → token embeddings and mask, as {@link Conditions}. Encodings are kept per prompt, so a
 * run over a few distinct prompts encodes each once. The encoder file must be a plain file in the
 * card's folder (a model or package folder): a card cannot make us read anything outside it.
 */
public final class PromptEncoder implements AutoCloseable {
    private final ModelCard card;
    private final Conditioning.TextTokens text;
    private final Path file;
    private final WordTokenizer tokenizer;
    private final OrtSession session;
    private final Map<String, Conditions> encoded = new HashMap<>();

    private PromptEncoder(ModelCard card, Conditioning.TextTokens text, Path file, OrtSession session) {
        this.card = card;
        this.text = text;
        this.file = file;
        this.tokenizer = new WordTokenizer(text.encoder(), text.tokens());
        this.session = session;
    }

    /**
     * Opens the text encoder {@code card} names, in {@code folder}.
     *
     * @throws UsageException when the card declares no text encoder (the user must pass embeddings)
     */
    public static PromptEncoder open(ModelCard card, Path folder, Path cardFile) throws L2cException {
        if (!(card.conditioning() instanceof Conditioning.TextTokens t)) {
            throw new UsageException(card.name() + " is class-conditional: it takes labels, not prompts");
        }
        if (t.encoder() == null) {
            throw new UsageException(card.name() + "'s card declares no text encoder: run your own and pass --embeddings FILE.npy");
        }
        Path file = folder.resolve(t.encoder().model());
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    || !file.toRealPath().getParent().equals(folder.toRealPath())) {
                throw new InvalidInputException(cardFile, "names text encoder '" + t.encoder().model()
                        + "', which is not a plain file in " + folder);
            }
        } catch (IOException e) {
            throw new InvalidInputException(cardFile, "names text encoder '" + t.encoder().model() + "', which cannot be read ("
                    + e.getMessage() + ")");
        }
        OrtRuntime.environment(0);
        OrtSession session;
        try {
            session = OrtRuntime.open(file, OrtRuntime.sessionOptions(OrtRuntime.Options.cpu()));
        } catch (RuntimeException e) {
            throw new InvalidInputException(file, "cannot be opened as an ONNX model: " + e.getMessage());
        }
        return new PromptEncoder(card, t, file, session);
    }

    /**
     * The conditions bench and learn run on: class-balanced labels (i mod classes), or for a
     * text-conditioned model the card's prompts (i mod their number) through its text encoder in
     * {@code folder}, guided against the card's null condition. Encoded once, up front.
     */
    public static ConditionSource balanced(ModelCard card, Path folder, Path cardFile) throws L2cException {
        if (!(card.conditioning() instanceof Conditioning.TextTokens t)) {
            return ConditionSource.balancedLabels(card.classes());
        }
        if (t.encoder() == null) {
            return syntheticEmbeddings(t);
        }
        if (t.prompts().isEmpty()) {
            throw new InvalidInputException(cardFile, "a text-conditioned card needs \"prompts\" in its conditioning"
                    + " for bench and learn to condition on");
        }
        try (PromptEncoder encoder = open(card, folder, cardFile)) {
            ConditionSource prompts = encoder.source(t.prompts(), null);
            int n = t.prompts().size();
            return ConditionSource.cycling(prompts.conditions(0, n), prompts.unconditional(0, n), prompts.description());
        }
    }

    /**
     * For a card without a text encoder (a built full-size model, whose users bring T5 embeddings):
     * {@value #SYNTHETIC_CONDITIONS} fixed conditions of seeded Gaussian embeddings, every token real,
     * guided against the card's null condition. They exercise the graphs exactly as real embeddings
     * would, so timings hold; sample quality means nothing on such a model anyway.
     */
    /** {@link #balanced(ModelCard, Path, Path)} for a loaded model: its text encoder sits beside its card. */
    public static ConditionSource balanced(dev.l2c.modelcard.LoadedModel model) throws L2cException {
        return balanced(model.card(), model.cardFile() == null ? null : model.cardFile().toAbsolutePath().getParent(),
                model.cardFile());
    }

    static ConditionSource syntheticEmbeddings(Conditioning.TextTokens t) {
        int n = SYNTHETIC_CONDITIONS;
        java.util.Random random = new java.util.Random(20261206L);
        float[] text = new float[n * t.textElements()];
        for (int i = 0; i < text.length; i++) {
            text[i] = (float) random.nextGaussian();
        }
        float[] mask = new float[n * t.tokens()];
        java.util.Arrays.fill(mask, 1f);
        return ConditionSource.cycling(Conditions.text(text, mask, n, t.tokens(), t.width()), null,
                "synthetic embeddings i mod " + n + " (seeded Gaussian; the card has no text encoder)");
    }

    static final int SYNTHETIC_CONDITIONS = 4;

    public WordTokenizer tokenizer() {
        return tokenizer;
    }

    /** The embeddings of {@code prompts}, one sample each. */
    public Conditions encode(List<String> prompts) throws L2cException {
        List<String> missing = prompts.stream().distinct().filter(p -> !encoded.containsKey(p)).toList();
        if (!missing.isEmpty()) {
            encodeMissing(missing);
        }
        Conditions out = null;
        for (String p : prompts) {
            Conditions one = encoded.get(p);
            out = out == null ? one : out.concat(one);
        }
        return out != null ? out : Conditions.text(new float[0], new float[0], 0, text.tokens(), text.width());
    }

    /**
     * The unconditional half for {@code n} samples: the negative prompt's embeddings when given, else
     * the card's null condition (the empty prompt's embeddings, or zeros).
     */
    public Conditions unconditional(String negativePrompt, int n) throws L2cException {
        if (negativePrompt != null || text.nullKind().equals(Conditioning.TextTokens.NULL_EMPTY_PROMPT)) {
            return encode(List.of(negativePrompt != null ? negativePrompt : "")).cycle(n);
        }
        return Conditions.unconditional(card, n);
    }

    /** Image i gets prompt i mod {@code prompts.size()}, guided against {@code negativePrompt} (null: the card's null). */
    public ConditionSource source(List<String> prompts, String negativePrompt) throws L2cException {
        if (prompts.isEmpty()) {
            throw new UsageException("no prompts to condition on");
        }
        Conditions all = encode(prompts);
        Conditions negative = unconditional(negativePrompt, 1);
        String what = prompts.size() == 1 ? "prompt \"" + prompts.get(0) + "\""
                : "prompts i mod " + prompts.size() + " (\"" + prompts.get(0) + "\", …)";
        return ConditionSource.cycling(all, negative.cycle(prompts.size()),
                what + (negativePrompt != null ? ", negative \"" + negativePrompt + "\"" : ""));
    }

    private void encodeMissing(List<String> prompts) throws L2cException {
        int n = prompts.size();
        int l = text.tokens();
        long[] ids = new long[n * l];
        for (int i = 0; i < n; i++) {
            System.arraycopy(tokenizer.ids(prompts.get(i)), 0, ids, i * l, l);
        }
        Conditioning.TextEncoderSpec spec = text.encoder();
        try (OnnxTensor in = OnnxTensor.createTensor(OrtRuntime.environment(0), LongBuffer.wrap(ids), new long[]{n, l});
             OrtSession.Result r = session.run(Map.of(spec.idsInput(), in))) {
            float[] emb = floats(r, spec.textOutput(), new long[]{n, l, text.width()});
            float[] mask = spec.maskOutput() == null ? ones(n * l) : floats(r, spec.maskOutput(), new long[]{n, l});
            for (int i = 0; i < n; i++) {
                float[] e = java.util.Arrays.copyOfRange(emb, i * l * text.width(), (i + 1) * l * text.width());
                float[] m = java.util.Arrays.copyOfRange(mask, i * l, (i + 1) * l);
                encoded.put(prompts.get(i), Conditions.text(e, m, 1, l, text.width()));
            }
        } catch (OrtException e) {
            throw OrtFailures.running(file, "encoding prompts", e);
        }
    }

    private float[] floats(OrtSession.Result r, String name, long[] shape) throws L2cException, OrtException {
        OnnxValue v = r.get(name).orElseThrow(() -> new MismatchException(file, "has no output '" + name + "'"));
        if (!(v instanceof OnnxTensor t) || !java.util.Arrays.equals(t.getInfo().getShape(), shape)) {
            throw new MismatchException(file, "output '" + name + "' is not a tensor of shape "
                    + java.util.Arrays.toString(shape) + " (the card's text tokens and width)");
        }
        float[] out = new float[Math.toIntExact(t.getInfo().getNumElements())];
        switch (t.getInfo().type) {
            case FLOAT -> t.getFloatBuffer().get(out);
            case INT64 -> {
                LongBuffer b = t.getLongBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.get(i);
                }
            }
            default -> throw new MismatchException(file, "output '" + name + "' is " + t.getInfo().type
                    + "; float32 (or an int64 mask) is expected");
        }
        for (float f : out) {
            if (!Float.isFinite(f)) {
                throw new dev.l2c.error.NonFiniteException(file, "output '" + name + "' holds " + f);
            }
        }
        return out;
    }

    private static float[] ones(int n) {
        float[] m = new float[n];
        java.util.Arrays.fill(m, 1f);
        return m;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // closing a session we opened: nothing to recover
        }
    }
}
