package dev.l2c.pkg;

import dev.l2c.error.InvalidInputException;
import dev.l2c.io.Sha256;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The manifest's digest of itself: field {@value #FIELD}, the last of the manifest, holds the SHA-256
 * of the manifest's bytes as written, with the field's own 64 hex digits replaced by zeros. The
 * manifest lists the SHA-256 of every other file of the package, so this one value covers the whole
 * package, and the fields that cannot be re-derived from the schedule, the card and the sampler (the
 * card itself, the layer map, costs, file names) are covered by it.
 *
 * <p>It is computed on the raw bytes, not on a re-serialization: any edit of the file, whitespace
 * included, is a change, and checking it needs no canonical JSON form. It guards against edits and
 * damage, not against someone who recomputes it: l2c holds no key.
 */
public final class ManifestDigest {
    /** The manifest field that holds the digest. */
    public static final String FIELD = "manifest_sha256";
    /** The placeholder the digest is computed over. */
    public static final String ZEROS = "0".repeat(64);

    private static final byte[] KEY = ('"' + FIELD + '"').getBytes(StandardCharsets.US_ASCII);

    private ManifestDigest() {
    }

    /** Replaces the placeholder of {@code json} (written with {@link #ZEROS} as the field's value) by the digest. */
    public static byte[] seal(byte[] json) {
        int at = valueOffset(json);
        if (at < 0 || !ZEROS.equals(new String(json, at, 64, StandardCharsets.US_ASCII))) {
            throw new IllegalStateException("manifest written without its " + FIELD + " placeholder");
        }
        byte[] hex = digestWithZeros(json, at).getBytes(StandardCharsets.US_ASCII);
        byte[] out = json.clone();
        System.arraycopy(hex, 0, out, at, 64);
        return out;
    }

    /**
     * Checks that {@code declared}, the digest the manifest states, is that of {@code json}.
     *
     * @throws InvalidInputException naming the manifest when the bytes were changed after compiling
     */
    static void check(byte[] json, String declared, Path file) throws InvalidInputException {
        int at = valueOffset(json);
        if (at < 0 || !declared.equals(new String(json, at, 64, StandardCharsets.US_ASCII))) {
            throw new InvalidInputException(file, "manifest field " + FIELD + " must be the last field, written as"
                    + " \"" + FIELD + "\": \"<64 hex digits>\"");
        }
        String actual = digestWithZeros(json, at);
        if (!actual.equals(declared)) {
            throw new InvalidInputException(file, "manifest field " + FIELD + ": " + declared + ", but the manifest's"
                    + " content hashes to " + actual + " (the manifest was edited or damaged after compiling;"
                    + " recompile the package)");
        }
    }

    private static String digestWithZeros(byte[] json, int at) {
        MessageDigest d = Sha256.digest();
        d.update(json, 0, at);
        byte[] zeros = new byte[64];
        Arrays.fill(zeros, (byte) '0');
        d.update(zeros);
        d.update(json, at + 64, json.length - at - 64);
        return Sha256.hex(d);
    }

    /**
     * Offset of the 64 characters of the field's value: after the last occurrence of the quoted key,
     * optional whitespace, a colon, optional whitespace and a quote. The field is written last, so
     * the last occurrence is the field even if a string elsewhere quotes the key. -1 when absent or
     * not followed by 64 characters and a closing quote.
     */
    private static int valueOffset(byte[] json) {
        for (int i = json.length - KEY.length; i >= 0; i--) {
            if (!matchesAt(json, i)) {
                continue;
            }
            int p = skipSpace(json, i + KEY.length);
            if (p >= json.length || json[p] != ':') {
                return -1;
            }
            p = skipSpace(json, p + 1);
            if (p >= json.length || json[p] != '"' || p + 65 >= json.length || json[p + 65] != '"') {
                return -1;
            }
            return p + 1;
        }
        return -1;
    }

    private static boolean matchesAt(byte[] json, int i) {
        for (int k = 0; k < KEY.length; k++) {
            if (json[i + k] != KEY[k]) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(byte[] json, int p) {
        while (p < json.length && (json[p] == ' ' || json[p] == '\n' || json[p] == '\r' || json[p] == '\t')) {
            p++;
        }
        return p;
    }
}
