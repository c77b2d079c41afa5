package dev.l2c.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.pkg.ManifestDigest;

/** Writing an edited package manifest as someone who edits it by hand, and perhaps reseals it, would. */
public final class ManifestEdits {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestEdits() {
    }

    /**
     * The manifest's bytes with its digest recomputed over the edit: a test of another check then
     * sees the edit caught by that check, not by the digest.
     */
    public static byte[] resealed(ObjectNode root) throws Exception {
        if (!root.has(ManifestDigest.FIELD)) {
            return JSON.writeValueAsBytes(root);
        }
        root.remove(ManifestDigest.FIELD);
        root.put(ManifestDigest.FIELD, ManifestDigest.ZEROS);
        return ManifestDigest.seal(JSON.writeValueAsBytes(root));
    }
}
