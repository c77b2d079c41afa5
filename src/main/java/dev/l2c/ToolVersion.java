package dev.l2c;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * This build's version, as Maven wrote it into {@code dev/l2c/version.properties} at build time. Every
 * graph the compiler writes names it as its producer version, every package manifest as its creator,
 * and {@code l2c --version} prints it.
 */
public final class ToolVersion {
    /** The producer name written into every ONNX model l2c creates. */
    public static final String PRODUCER = "l2c";

    private static final String VERSION = load();

    private ToolVersion() {
    }

    /** The version, e.g. "0.2.0-SNAPSHOT". */
    public static String version() {
        return VERSION;
    }

    /** "l2c 0.2.0-SNAPSHOT". */
    public static String nameAndVersion() {
        return PRODUCER + " " + VERSION;
    }

    private static String load() {
        try (InputStream in = ToolVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/l2c/version.properties is missing from the build");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "");
            if (v.isEmpty() || v.startsWith("${")) {
                throw new IllegalStateException("dev/l2c/version.properties was not filtered by the build: " + v);
            }
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
