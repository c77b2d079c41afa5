package dev.l2c.cli;

import dev.l2c.conditioning.Conditions;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.NonFiniteException;
import dev.l2c.io.DataKind;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npy;
import dev.l2c.modelcard.Conditioning;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads text embeddings a user's own text encoder wrote ({@code --embeddings FILE.npy}): float32
 * [n, tokens, width] for n images, or [tokens, width] for all of them, checked against the card's
 * token count and width and for finite values; the optional mask [n, tokens] or [tokens] holds 0/1.
 */
final class TextEmbeddingFiles {
    private TextEmbeddingFiles() {
    }

    /** The embeddings (and mask, all 1 when {@code maskFile} is null); {@code images}: the run's image count. */
    static Conditions read(Path file, Path maskFile, Conditioning.TextTokens t, long images) throws L2cException {
        NdArray a = Npy.read(file);
        long[] s = a.shape();
        if (a.kind() == DataKind.INT64) {
            throw new InvalidInputException(file, "holds integers (token ids?); --embeddings takes the text encoder's"
                    + " float32 output [n, " + t.tokens() + ", " + t.width() + "]");
        }
        long n;
        if (s.length == 2 && s[0] == t.tokens() && s[1] == t.width()) {
            n = 1;
        } else if (s.length == 3 && s[1] == t.tokens() && s[2] == t.width() && s[0] >= 1) {
            n = s[0];
        } else {
            throw new MismatchException(file, "embeddings have shape " + Arrays.toString(s) + " but the model reads [n, "
                    + t.tokens() + ", " + t.width() + "] (or [" + t.tokens() + ", " + t.width() + "] for every image)");
        }
        if (n != 1 && n != images) {
            throw new MismatchException(file, "holds embeddings for " + n + " images but " + images + " are sampled");
        }
        float[] text = a.asFloats();
        for (int i = 0; i < text.length; i++) {
            if (!Float.isFinite(text[i])) {
                throw new NonFiniteException(file, "value " + i + " is " + text[i] + "; embeddings must be finite");
            }
        }
        float[] mask = new float[Math.toIntExact(n * t.tokens())];
        Arrays.fill(mask, 1f);
        if (maskFile != null) {
            NdArray m = Npy.read(maskFile);
            long[] ms = m.shape();
            boolean one = ms.length == 1 && ms[0] == t.tokens();
            if (!(one && n == 1) && !(ms.length == 2 && ms[0] == n && ms[1] == t.tokens())) {
                throw new MismatchException(maskFile, "mask has shape " + Arrays.toString(ms) + " but the embeddings need ["
                        + n + ", " + t.tokens() + "]" + (n == 1 ? " or [" + t.tokens() + "]" : ""));
            }
            float[] v = m.kind() == DataKind.INT64 ? toFloats(m.asLongs()) : m.asFloats();
            for (int i = 0; i < v.length; i++) {
                if (v[i] != 0f && v[i] != 1f) {
                    throw new InvalidInputException(maskFile, "value " + i + " is " + v[i] + "; a mask holds 0 and 1");
                }
            }
            mask = v;
        }
        return Conditions.text(text, mask, Math.toIntExact(n), t.tokens(), t.width());
    }

    private static float[] toFloats(long[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
