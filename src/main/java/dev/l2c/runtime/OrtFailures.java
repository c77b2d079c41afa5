package dev.l2c.runtime;

import ai.onnxruntime.OrtException;
import dev.l2c.error.Cancellation;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.OutOfMemory;
import dev.l2c.error.ProviderException;
import dev.l2c.error.RuntimeFailure;
import dev.l2c.error.UnsupportedModelException;

import java.nio.file.Path;
import java.util.Locale;

/**
 * ONNX Runtime's failures as the user errors they are, by cause, each one line: a stop that was asked
 * for (the run was told to terminate), memory exhausted, inputs that do not fit the graph, a model
 * file ONNX Runtime cannot read, an operator it does not implement, a provider that fails; anything
 * else a one-line runtime failure (exit 1).
 */
public final class OrtFailures {
    private OrtFailures() {
    }

    /** A failure while creating a session for {@code file}. */
    public static L2cException loading(Path file, OrtException e) {
        return map(file, "ONNX Runtime cannot load this graph", e, true);
    }

    /** A failure while running {@code what} (e.g. "step 3") of {@code file}. */
    public static L2cException running(Path file, String what, OrtException e) {
        return map(file, "ONNX Runtime failed at " + what, e, false);
    }

    private static L2cException map(Path file, String context, OrtException e, boolean loading) {
        if (Cancellation.requested()) {
            return Cancellation.interrupted();
        }
        String message = firstLine(e.getMessage());
        String lower = message.toLowerCase(Locale.ROOT);
        String text = context + ": " + message;
        if (lower.contains("bad_alloc") || lower.contains("failed to allocate") || lower.contains("out of memory")) {
            return new OutOfMemory(file, context + ": out of memory (" + message + "); use a smaller --batch");
        }
        return switch (e.getCode()) {
            case ORT_INVALID_ARGUMENT -> loading ? new InvalidInputException(file, text, e) : new MismatchException(file, text, e);
            case ORT_NO_SUCHFILE, ORT_NO_MODEL, ORT_INVALID_PROTOBUF, ORT_INVALID_GRAPH, ORT_NOT_FOUND ->
                    new InvalidInputException(file, text, e);
            case ORT_NOT_IMPLEMENTED -> new UnsupportedModelException(file, text);
            case ORT_EP_FAIL -> new ProviderException(file, text, e);
            default -> loading ? new InvalidInputException(file, text, e) : new RuntimeFailure(file, text, e);
        };
    }

    /** The first line of ONNX Runtime's message, without its "[ErrorCode:…]" prefix noise. */
    static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        String line = (nl < 0 ? s : s.substring(0, nl)).strip();
        // the Java binding prefixes "Error code - ORT_INVALID_ARGUMENT - message: "; the code is ours to explain
        return line.replaceFirst("^Error code - ORT_[A-Z_]+ - message: ", "");
    }
}
