package dev.l2c.conditioning;

import dev.l2c.modelcard.Conditioning;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The word tokenizer a card's text encoder declares: lower-cased words of letters, digits and hyphens
 * (punctuation separates words and is dropped), each mapped to its vocabulary index or the unknown
 * id, after the BOS id when there is one; cut or padded to the model's token count. The demo's
 * training script tokenizes the same way (onnx-models/training/train_text_dit.py).
 */
public final class WordTokenizer {
    private static final Pattern WORD = Pattern.compile("[a-z0-9-]+");
    private final Conditioning.TextEncoderSpec spec;
    private final int tokens;
    private final Map<String, Integer> ids = new HashMap<>();

    public WordTokenizer(Conditioning.TextEncoderSpec spec, int tokens) {
        this.spec = spec;
        this.tokens = tokens;
        for (int i = 0; i < spec.vocabulary().size(); i++) {
            ids.putIfAbsent(spec.vocabulary().get(i), i);
        }
    }

    /** The ids of {@code prompt}, exactly {@code tokens} long. */
    public long[] ids(String prompt) {
        long[] out = new long[tokens];
        java.util.Arrays.fill(out, spec.pad());
        int n = 0;
        if (spec.bos() >= 0 && n < tokens) {
            out[n++] = spec.bos();
        }
        Matcher m = WORD.matcher(prompt.toLowerCase(Locale.ROOT));
        while (m.find() && n < tokens) {
            out[n++] = ids.getOrDefault(m.group(), spec.unknown());
        }
        return out;
    }

    /** The words of {@code prompt} the vocabulary lacks (they become the unknown id). */
    public java.util.List<String> unknownWords(String prompt) {
        java.util.List<String> out = new java.util.ArrayList<>();
        Matcher m = WORD.matcher(prompt.toLowerCase(Locale.ROOT));
        while (m.find()) {
            if (!ids.containsKey(m.group())) {
                out.add(m.group());
            }
        }
        return out;
    }

    /** Whether {@code prompt} has more words than fit. */
    public boolean truncates(String prompt) {
        Matcher m = WORD.matcher(prompt.toLowerCase(Locale.ROOT));
        int n = spec.bos() >= 0 ? 1 : 0;
        while (m.find()) {
            n++;
        }
        return n > tokens;
    }
}
