package dev.l2c.spark;

import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.Locale;

/**
 * Checks one row of a request table, whose columns arrive as text whatever the file's types, and turns it
 * into a {@link SampleTables#REQUESTS} row: the typed values, or the values it could read and an error
 * that says what is wrong with which column. A bad row is a row of the output with its error, never a
 * failed job.
 *
 * <p>Input columns, in this order: {@code id, label, prompt, seed, guidance_scale} (text; an empty guidance
 * scale takes the job's), {@code _corrupt_record} (a line the reader could not parse, or null) and
 * {@code copies} (how many rows share this id). They are read by position: the rows Spark hands a Java
 * function carry no schema.
 */
final class RequestParser implements MapFunction<Row, Row> {
    static final String COPIES = "copies";
    static final String CORRUPT_RECORD = "_corrupt_record";
    /** How much of a bad value an error quotes. */
    private static final int QUOTE_MAX = 40;

    /** Longest prompt a row may give: the text encoder reads a few words, a megabyte is a mistake. */
    static final int PROMPT_MAX = 1000;

    private final int classes;
    private final boolean text;
    private final float defaultScale;
    private final boolean unguidedOnly;

    /**
     * @param classes      labels are 0 … classes − 1
     * @param defaultScale the guidance scale of a row that gives none
     * @param unguidedOnly the package samples with scale 1 only (linked without guidance)
     */
    RequestParser(int classes, float defaultScale, boolean unguidedOnly) {
        this(classes, false, defaultScale, unguidedOnly);
    }

    /**
     * @param text a text-conditioned package: rows give a prompt and no label (classes is then unused)
     */
    RequestParser(int classes, boolean text, float defaultScale, boolean unguidedOnly) {
        this.classes = classes;
        this.text = text;
        this.defaultScale = defaultScale;
        this.unguidedOnly = unguidedOnly;
    }

    /** A value that cannot be used, said in one line. */
    private static final class BadValue extends Exception {
        BadValue(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public Row call(Row raw) {
        Long id = null;
        Integer label = null;
        String prompt = null;
        Long seed = null;
        Float scale = null;
        try {
            String corrupt = text(raw, 5);
            if (corrupt != null) {
                throw new BadValue("the line cannot be read as a request: " + quote(corrupt));
            }
            id = integer(SampleTables.ID, text(raw, 0));
            long copies = raw.getLong(6);
            if (copies > 1) {
                throw new BadValue("the id appears " + copies + " times in the requests; ids must be unique");
            }
            String labelText = text(raw, 1);
            String promptText = text(raw, 2);
            if (text) {
                if (labelText != null && !labelText.isBlank()) {
                    throw new BadValue("the package is text-conditioned: give a prompt, not label " + quote(labelText));
                }
                if (promptText == null || promptText.isBlank()) {
                    throw new BadValue("prompt is missing (the package is text-conditioned)");
                }
                if (promptText.length() > PROMPT_MAX) {
                    throw new BadValue("prompt " + quote(promptText) + " is longer than " + PROMPT_MAX + " characters");
                }
                prompt = promptText;
            } else {
                if (promptText != null && !promptText.isBlank()) {
                    throw new BadValue("the package is class-conditional: give a label, not prompt " + quote(promptText));
                }
                long l = integer(SampleTables.LABEL, labelText);
                if (l < 0 || l >= classes) {
                    throw new BadValue("label " + l + " is outside 0.." + (classes - 1));
                }
                label = (int) l;
            }
            seed = integer(SampleTables.SEED, text(raw, 3));
            scale = guidanceScale(text(raw, 4));
            return RowFactory.create(id, label, prompt, seed, scale, null);
        } catch (BadValue e) {
            String which = id == null ? "request without a usable id" : "request " + id;
            return RowFactory.create(id, label, prompt, seed, scale, which + ": " + e.getMessage());
        }
    }

    private static String text(Row raw, int column) {
        return raw.isNullAt(column) ? null : raw.getString(column);
    }

    private static long integer(String column, String text) throws BadValue {
        if (text == null || text.isBlank()) {
            throw new BadValue(column + " is missing");
        }
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new BadValue(column + " " + quote(text) + " is not an integer");
        }
    }

    private float guidanceScale(String text) throws BadValue {
        float scale;
        if (text == null || text.isBlank()) {
            scale = defaultScale;
        } else {
            try {
                // via double: a double column arrives as its shortest decimal, which names that double exactly
                scale = (float) Double.parseDouble(text.strip());
            } catch (NumberFormatException e) {
                throw new BadValue(SampleTables.GUIDANCE_SCALE + " " + quote(text) + " is not a number");
            }
            if (!Float.isFinite(scale)) {
                throw new BadValue(SampleTables.GUIDANCE_SCALE + " must be a finite number, not " + quote(text));
            }
        }
        if (unguidedOnly && scale != 1f) {
            throw new BadValue(String.format(Locale.ROOT, "%s %s: the package was linked without classifier-free "
                    + "guidance and samples with scale 1 only", SampleTables.GUIDANCE_SCALE, scale));
        }
        return scale;
    }

    /** A value from the user's file, quoted, shortened, and kept on one line. */
    static String quote(String text) {
        String shown = text.length() > QUOTE_MAX ? text.substring(0, QUOTE_MAX) + "…" : text;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
