package dev.l2c.io;

import dev.l2c.error.InvalidInputException;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST ({@code t10k-images-idx3-ubyte},
 * {@code t10k-labels-idx1-ubyte}), plain or gzip-compressed (recognised by the gzip magic 1f 8b, not
 * by the file name). An IDX file starts with two zero bytes, a type byte (0x08 = unsigned byte, the
 * only type these data sets use and the only one read here) and the number of dimensions, then each
 * dimension as a big-endian int32, then the elements.
 *
 * <p>What {@link #read} returns: a one-dimensional file (labels) as {@link DataKind#INT64}; a file with
 * two or more dimensions (images {@code [n, rows, cols]}) as {@link DataKind#FLOAT32} holding the raw
 * pixel values 0…255, which are exact in float32 and take half the memory of int64.
 */
public final class IdxFile {
    private static final int TYPE_UNSIGNED_BYTE = 0x08;
    private static final int MAX_DIMENSIONS = 8;

    private IdxFile() {
    }

    /** Reads an unsigned-byte IDX file; validates the magic, the dimensions and the data length. */
    public static NdArray read(Path file) throws InvalidInputException {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(file, "is a folder, not an IDX file");
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = (b0 == 0x1f && b1 == 0x8b)
                    ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16)
                    : raw;
            return read(in, file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, "file not found", e);
        } catch (AccessDeniedException e) {
            throw new InvalidInputException(file, "cannot read: permission denied", e);
        } catch (EOFException | ZipException e) {
            throw new InvalidInputException(file, "damaged gzip data (" + AtomicOutput.describe(e)
                    + "); download the file again", e);
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + AtomicOutput.describe(e), e);
        }
    }

    /**
     * Scales pixel values 0…255 to [-1, 1] as the demo models were trained ({@code x / 127.5 - 1}), into
     * a new array in the same order as the images ({@code [n, rows, cols]} flattened).
     */
    public static float[] imagesToMinusOneOne(NdArray images) {
        // Read the backing array directly when it is already float32: no extra copy of 60 000 images.
        float[] pixels = images.kind() == DataKind.FLOAT32 ? images.floats() : images.asFloats();
        float[] out = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            out[i] = pixels[i] / 127.5f - 1f;
        }
        return out;
    }

    private static NdArray read(InputStream in, Path file) throws IOException, InvalidInputException {
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4) {
            throw new InvalidInputException(file, "too short to be an IDX file (" + magic.length + " bytes)");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new InvalidInputException(file, "not an IDX file: it does not start with two zero bytes "
                    + "(expected an MNIST-style file such as t10k-images-idx3-ubyte[.gz])");
        }
        int type = magic[2] & 0xFF;
        int rank = magic[3] & 0xFF;
        if (type != TYPE_UNSIGNED_BYTE) {
            throw new InvalidInputException(file, String.format(
                    "IDX element type 0x%02x is not supported; only unsigned bytes (0x08) are", type));
        }
        if (rank < 1 || rank > MAX_DIMENSIONS) {
            throw new InvalidInputException(file, "IDX header claims " + rank
                    + " dimensions; expected 1 (labels) to " + MAX_DIMENSIONS + " (images have 3)");
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new InvalidInputException(file, "truncated: the file ends inside the IDX header");
        }
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            // Big-endian, as the format specifies; sizes above 2^31 would read negative.
            shape[i] = ((dimBytes[4 * i] & 0xFFL) << 24) | ((dimBytes[4 * i + 1] & 0xFFL) << 16)
                    | ((dimBytes[4 * i + 2] & 0xFFL) << 8) | (dimBytes[4 * i + 3] & 0xFFL);
        }
        int count;
        try {
            count = (int) NdArray.checkedElementCount(shape);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(file, "IDX shape " + NdArray.formatShape(shape)
                    + " is too large to load; the header is probably damaged");
        }
        byte[] data = new byte[count];
        int got = in.readNBytes(data, 0, count);
        if (got < count) {
            throw new InvalidInputException(file, "truncated: shape " + NdArray.formatShape(shape) + " needs "
                    + count + " data bytes but only " + got + " follow the header");
        }
        if (in.read() != -1) {
            throw new InvalidInputException(file, "has extra bytes after the " + count
                    + " data bytes that its header " + NdArray.formatShape(shape) + " announces; it is damaged");
        }
        if (rank == 1) {
            long[] labels = new long[count];
            for (int i = 0; i < count; i++) {
                labels[i] = data[i] & 0xFF;
            }
            return NdArray.ofLongs(labels, shape);
        }
        float[] pixels = new float[count];
        for (int i = 0; i < count; i++) {
            pixels[i] = data[i] & 0xFF;
        }
        return NdArray.ofFloats(pixels, shape);
    }
}
