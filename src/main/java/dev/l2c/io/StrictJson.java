package dev.l2c.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.l2c.error.InvalidInputException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reading the JSON files l2c takes (schedules, model cards, layer maps, manifests) the same strict
 * way: one JSON value and nothing after it, no duplicate fields, bounded nesting and number lengths; and
 * every problem reported as one line in words a user can act on, without Jackson's class names and
 * advice ("enable `JsonReadFeature...`", "[Source: ...]").
 */
public final class StrictJson {
    /** Nesting deeper than this is damage or an attack, not a schedule or a manifest. */
    static final int MAX_DEPTH = 64;
    /** Files larger than this are not ours (a DiT-XL/2 DDIM-50 manifest is a few hundred KiB). */
    public static final long MAX_BYTES = 256L << 20;

    private StrictJson() {
    }

    /** A mapper with the strict reading rules; {@code bigDecimals} reads floats exactly (schedules' scores). */
    public static JsonMapper mapper(boolean bigDecimals) {
        JsonMapper.Builder b = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        if (bigDecimals) {
            b.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        }
        JsonMapper m = b.build();
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH)
                .maxNumberLength(400).maxStringLength(1 << 20).build());
        return m;
    }

    /** Reads one JSON value from {@code file}, which holds a {@code what} ("schedule", "model card", ...). */
    public static JsonNode read(Path file, JsonMapper mapper, String what) throws InvalidInputException {
        return parse(readBytes(file, what), file, mapper, what);
    }

    /** The bytes of {@code file}, which holds a {@code what}, refused above {@link #MAX_BYTES}. */
    public static byte[] readBytes(Path file, String what) throws InvalidInputException {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(file, "is a folder, not a " + what + " file");
        }
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new InvalidInputException(file, "is " + size + " bytes: too large for a " + what);
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, "no such " + what + " file");
        } catch (AccessDeniedException e) {
            throw new InvalidInputException(file, "cannot read the " + what + ": permission denied");
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read the " + what + ": " + e.getMessage());
        }
        return bytes;
    }

    /** Parses one JSON value from {@code bytes} (read from {@code file}, named in messages). */
    public static JsonNode parse(byte[] bytes, Path file, JsonMapper mapper, String what) throws InvalidInputException {
        if (bytes.length > MAX_BYTES) {
            throw new InvalidInputException(file, "is " + bytes.length + " bytes: too large for a " + what);
        }
        try {
            JsonNode root = mapper.readTree(bytes);
            if (root == null || root.isMissingNode()) {
                throw new InvalidInputException(file, "is empty; expected a " + what + " (JSON)");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(file, "not valid JSON" + where(e) + ": " + describe(e));
        } catch (NumberFormatException e) {
            // Jackson reads a number such as 7E-429561222677 as a token and fails only when it builds the
            // BigDecimal, with an unchecked exception (found by ParserFuzzTest#schedule).
            throw new InvalidInputException(file, "not valid JSON: a number is out of range");
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read the " + what + ": " + e.getMessage());
        }
    }

    /** " at line L, column C", or "" when Jackson does not know. */
    public static String where(JsonProcessingException e) {
        return e.getLocation() == null || e.getLocation().getLineNr() < 1 ? ""
                : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }

    /** Jackson's reason in plain words: one line, without its class names, advice and source excerpt. */
    public static String describe(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl);
        }
        if (m.startsWith("Trailing token")) {
            return "more data after the JSON value";
        }
        if (m.startsWith("Non-standard token 'NaN'") || m.contains("'Infinity'") || m.contains("'-Infinity'")) {
            return "NaN and Infinity are not JSON numbers (and not valid here)";
        }
        m = m.replaceAll(":? ?enable `[^`]*` to allow", "")
                .replaceAll(", from `[^`]*`", "")
                .replaceAll(" ?\\(bound as `[^`]*`\\)", "")
                .replaceAll(":? ?not allowed as per `[^`]*`", "")
                .replaceAll(" ?\\[Source: [^\\]]*\\]", "")
                .replaceAll(" ?\\(start marker at[^)]*\\)?", "")
                .replaceAll("`", "'")
                .strip();
        return m.isEmpty() ? e.getClass().getSimpleName() : m;
    }
}
