package dev.l2c.compiler;

import dev.l2c.ir.Tensor;
import dev.l2c.ir.serde.OnnxWriter;

import java.io.Closeable;
import java.io.IOException;

/**
 * Where a package's weights go: the one external-data file all its step graphs reference. Either a
 * fresh file each distinct tensor is copied into once ({@link WeightsFileWriter}), or the source
 * model's own external-data file referenced in place ({@link InPlaceWeights}).
 */
public interface WeightsSink extends OnnxWriter.TensorPlacement, Closeable {

    /**
     * Initializers smaller than this stay embedded in each graph (ONNX's own default threshold for
     * external data). Beyond saving a 4096-byte aligned slot per scalar, it is needed: ONNX Runtime's
     * shape inference cannot read a Reshape or Expand shape from external data, so a graph whose
     * shape initializers went external fails to load.
     */
    int EMBED_BELOW_BYTES = 1024;

    /** Whether {@code tensor} stays embedded in the graph rather than going to the weights file. */
    static boolean embedded(Tensor tensor) {
        return tensor.data().byteSize() < EMBED_BELOW_BYTES;
    }

    /** Size of the weights file in bytes. */
    long size();

    /** SHA-256 of the weights file, hex; valid after {@link #close()}. */
    String sha256() throws IOException;

    /** Nanoseconds spent copying (and hashing) weight bytes. */
    long copyNanos();

    /** "copied" or "linked". */
    String mode();
}
