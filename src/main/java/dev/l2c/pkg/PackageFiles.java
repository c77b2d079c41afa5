package dev.l2c.pkg;

import java.util.Locale;

/** The names of the files in a package folder, and the rule every file name in a manifest obeys. */
public final class PackageFiles {
    public static final String MANIFEST = "manifest.json";
    public static final String WEIGHTS = "weights.bin";
    public static final String SCHEDULE = "schedule.json";
    /** The one ONNX model of a linked package: the whole sampling run. */
    public static final String LINKED_MODEL = "linked_model.onnx";

    private PackageFiles() {
    }

    /** The file of the {@code g}-th distinct step graph of a stepwise package. */
    public static String stepGraph(int g) {
        return String.format(Locale.ROOT, "graph_%02d.onnx", g);
    }

    /**
     * Whether {@code name} is a plain file name inside the package: not empty, no folder separators,
     * not "." or "..". A manifest naming anything else is refused, so no path escapes a package.
     */
    public static boolean isPlainName(String name) {
        return name != null && !name.isEmpty() && !name.contains("/") && !name.contains("\\")
                && !name.equals(".") && !name.equals("..") && name.indexOf('\0') < 0;
    }
}
