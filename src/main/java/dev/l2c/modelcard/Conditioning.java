package dev.l2c.modelcard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a model is conditioned on, as its card declares it: the graph inputs that carry the
 * condition, their per-sample shape, and the null condition classifier-free guidance pairs with it.
 * A class-conditional model (DiT, U-ViT) reads one label per sample; a text-conditioned one (PixArt)
 * reads token embeddings [tokens, width] and, usually, a mask [tokens] of the real tokens.
 */
public sealed interface Conditioning {

    /** The graph input names this conditioning feeds, in a fixed order. */
    List<String> inputs();

    /**
     * One class label per sample.
     *
     * @param input     the label input [B] (int64 or int32)
     * @param classes   number of classes; labels are 0…classes−1
     * @param nullLabel the label of the unconditional half under guidance
     */
    record ClassLabel(String input, int classes, long nullLabel) implements Conditioning {
        @Override
        public List<String> inputs() {
            return List.of(input);
        }
    }

    /**
     * Text token embeddings, as a text encoder (T5, CLIP, or the demo's own) produced them.
     *
     * @param textInput   the embeddings input [B, tokens, width], float32
     * @param maskInput   the mask input [B, tokens] (1 for a real token, 0 for padding), or null when the model has none
     * @param tokens      tokens per prompt
     * @param width       embedding width
     * @param nullKind    the unconditional half's condition: {@link #NULL_EMPTY_PROMPT} (the text encoder's
     *                    embeddings of "") or {@link #NULL_ZEROS} (zero embeddings, mask of the first token only)
     * @param encoder     the text encoder that turns prompts into embeddings, or null (users pass embeddings)
     * @param prompts     the prompts bench and learn condition on (sample i gets prompt i mod size); may be empty
     */
    record TextTokens(String textInput, String maskInput, int tokens, int width, String nullKind,
                      TextEncoderSpec encoder, List<String> prompts) implements Conditioning {
        public static final String NULL_EMPTY_PROMPT = "empty_prompt";
        public static final String NULL_ZEROS = "zeros";

        public TextTokens {
            prompts = List.copyOf(prompts);
        }

        @Override
        public List<String> inputs() {
            return maskInput == null ? List.of(textInput) : List.of(textInput, maskInput);
        }

        public int maskElements() {
            return tokens;
        }

        public int textElements() {
            return tokens * width;
        }
    }

    /**
     * A text encoder shipped beside the model: an ONNX graph from token ids [B, tokens] (int64) to
     * embeddings and mask, and the word tokenizer that makes the ids.
     *
     * @param model       the encoder's file name, in the card's folder (a plain name: nothing outside it is read)
     * @param idsInput    its token-id input
     * @param textOutput  its embeddings output [B, tokens, width]
     * @param maskOutput  its mask output [B, tokens], or null
     * @param vocabulary  the words; a word's id is its index
     * @param pad         padding id
     * @param bos         the id put first in every prompt, or −1 for none
     * @param unknown     the id of a word not in the vocabulary
     */
    record TextEncoderSpec(String model, String idsInput, String textOutput, String maskOutput,
                           List<String> vocabulary, int pad, int bos, int unknown) {
        public TextEncoderSpec {
            vocabulary = List.copyOf(vocabulary);
        }
    }

    // ------------------------------------------------------------------ JSON

    /** Reads the {@code conditioning} object of a version-2 card; IllegalArgumentException with a reason. */
    static Conditioning fromJson(JsonNode c) {
        String kind = Json.text(c, "kind");
        switch (kind) {
            case "class_label" -> {
                int classes = Json.positive(c, "classes", 1_000_000);
                return new ClassLabel(Json.text(c, "input"), classes, Json.nullLabel(c, classes));
            }
            case "text" -> {
                JsonNode text = Json.require(c, "text");
                int tokens = Json.positive(text, "tokens", 1 << 16);
                int width = Json.positive(text, "width", 1 << 16);
                JsonNode mask = c.get("mask");
                String maskInput = mask == null || mask.isNull() ? null : Json.text(mask, "input");
                String nullKind = Json.text(c, "null_condition");
                if (!Set.of(TextTokens.NULL_EMPTY_PROMPT, TextTokens.NULL_ZEROS).contains(nullKind)) {
                    throw new IllegalArgumentException("conditioning.null_condition must be \""
                            + TextTokens.NULL_EMPTY_PROMPT + "\" or \"" + TextTokens.NULL_ZEROS + "\", not \"" + nullKind + "\"");
                }
                JsonNode enc = c.get("text_encoder");
                TextEncoderSpec encoder = enc == null || enc.isNull() ? null : encoder(enc);
                if (encoder == null && nullKind.equals(TextTokens.NULL_EMPTY_PROMPT)) {
                    throw new IllegalArgumentException("conditioning.null_condition \"empty_prompt\" needs a text_encoder;"
                            + " without one use \"zeros\"");
                }
                List<String> prompts = new ArrayList<>();
                JsonNode p = c.get("prompts");
                if (p != null && !p.isNull()) {
                    if (!p.isArray()) {
                        throw new IllegalArgumentException("conditioning.prompts must be a list of strings");
                    }
                    for (JsonNode s : p) {
                        if (!s.isTextual()) {
                            throw new IllegalArgumentException("conditioning.prompts must be a list of strings");
                        }
                        prompts.add(s.asText());
                    }
                }
                return new TextTokens(Json.text(text, "input"), maskInput, tokens, width, nullKind, encoder, prompts);
            }
            default -> throw new IllegalArgumentException("conditioning.kind must be \"class_label\" or \"text\", not \""
                    + kind + "\"");
        }
    }

    private static TextEncoderSpec encoder(JsonNode e) {
        String model = Json.text(e, "model");
        if (!model.matches("[A-Za-z0-9._-]+") || model.startsWith(".")) {
            throw new IllegalArgumentException("conditioning.text_encoder.model must be a plain file name beside the card"
                    + " (letters, digits, '.', '_', '-'), not \"" + model + "\"");
        }
        JsonNode tok = Json.require(e, "tokenizer");
        if (!"words".equals(tok.path("kind").asText())) {
            throw new IllegalArgumentException("conditioning.text_encoder.tokenizer.kind must be \"words\"");
        }
        JsonNode vocab = Json.require(tok, "vocabulary");
        if (!vocab.isArray() || vocab.isEmpty()) {
            throw new IllegalArgumentException("conditioning.text_encoder.tokenizer.vocabulary must be a non-empty list");
        }
        List<String> words = new ArrayList<>();
        for (JsonNode w : vocab) {
            if (!w.isTextual()) {
                throw new IllegalArgumentException("conditioning.text_encoder.tokenizer.vocabulary must hold strings");
            }
            words.add(w.asText());
        }
        int n = words.size();
        int pad = Json.index(tok, "pad", n);
        int unknown = Json.index(tok, "unknown", n);
        JsonNode b = tok.get("bos");
        int bos = b == null || b.isNull() ? -1 : Json.index(tok, "bos", n);
        JsonNode maskOut = e.get("mask_output");
        return new TextEncoderSpec(model, Json.text(e, "input"), Json.text(e, "text_output"),
                maskOut == null || maskOut.isNull() ? null : Json.text(e, "mask_output"), words, pad, bos, unknown);
    }

    /** Writes the {@code conditioning} object (version-2 cards). */
    static void toJson(Conditioning conditioning, ObjectNode c) {
        if (conditioning instanceof ClassLabel l) {
            c.put("kind", "class_label");
            c.put("input", l.input());
            c.put("classes", l.classes());
            c.put("null_label", l.nullLabel());
            return;
        }
        TextTokens t = (TextTokens) conditioning;
        c.put("kind", "text");
        ObjectNode text = c.putObject("text");
        text.put("input", t.textInput());
        text.put("tokens", t.tokens());
        text.put("width", t.width());
        if (t.maskInput() != null) {
            c.putObject("mask").put("input", t.maskInput());
        }
        c.put("null_condition", t.nullKind());
        if (t.encoder() != null) {
            TextEncoderSpec e = t.encoder();
            ObjectNode enc = c.putObject("text_encoder");
            enc.put("model", e.model());
            enc.put("input", e.idsInput());
            enc.put("text_output", e.textOutput());
            if (e.maskOutput() != null) {
                enc.put("mask_output", e.maskOutput());
            }
            ObjectNode tok = enc.putObject("tokenizer");
            tok.put("kind", "words");
            e.vocabulary().forEach(tok.putArray("vocabulary")::add);
            tok.put("pad", e.pad());
            if (e.bos() >= 0) {
                tok.put("bos", e.bos());
            }
            tok.put("unknown", e.unknown());
        }
        if (!t.prompts().isEmpty()) {
            t.prompts().forEach(c.putArray("prompts")::add);
        }
    }

    /** Field readers shared with {@link ModelCard}: one-line IllegalArgumentExceptions. */
    final class Json {
        private Json() {
        }

        static JsonNode require(JsonNode n, String field) {
            JsonNode v = n.get(field);
            if (v == null || v.isNull()) {
                throw new IllegalArgumentException("missing field \"" + field + "\"");
            }
            return v;
        }

        static String text(JsonNode n, String field) {
            JsonNode v = require(n, field);
            if (!v.isTextual() || v.asText().isEmpty()) {
                throw new IllegalArgumentException("field \"" + field + "\" must be a non-empty string");
            }
            return v.asText();
        }

        /** A whole number from 1 to {@code max}. */
        static int positive(JsonNode n, String field, int max) {
            JsonNode v = require(n, field);
            if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > max) {
                throw new IllegalArgumentException("field \"" + field + "\" must be a whole number from 1 to " + max
                        + ", not " + v);
            }
            return v.asInt();
        }

        /** A whole number from 0 to {@code size} − 1. */
        static int index(JsonNode n, String field, int size) {
            JsonNode v = require(n, field);
            if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() >= size) {
                throw new IllegalArgumentException("field \"" + field + "\" must be a whole number from 0 to " + (size - 1)
                        + ", not " + v);
            }
            return v.asInt();
        }

        static long nullLabel(JsonNode n, int classes) {
            JsonNode v = require(n, "null_label");
            if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > classes) {
                throw new IllegalArgumentException("null_label must be an integer in 0.." + classes + " (usually " + classes
                        + ", the class after the last), not " + v);
            }
            return v.asLong();
        }
    }
}
