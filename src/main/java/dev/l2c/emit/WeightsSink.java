package dev.l2c.emit;

import dev.l2c.ir.serde.OnnxWriter;

import java.io.Closeable;
import java.io.IOException;

/**
 * Where a package's weights go: the one external-data file all its step graphs reference. Either a
 * fresh file each distinct tensor is copied into once ({@link WeightsFileWriter}), or the source
 * model's own external-data file referenced in place ({@link InPlaceWeights}).
 */
public interface WeightsSink extends OnnxWriter.TensorPlacement, Closeable {

    /** Size of the weights file in bytes. */
    long size();

    /** SHA-256 of the weights file, hex; valid after {@link #close()}. */
    String sha256() throws IOException;

    /** Nanoseconds spent copying (and hashing) weight bytes. */
    long copyNanos();

    /** "copied" or "linked". */
    String mode();
}
