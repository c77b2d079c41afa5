package dev.l2c.io;

import dev.l2c.error.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static dev.l2c.io.UserErrors.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxFileTest {
    /** Debian's dataset-fashion-mnist package installs the data set here. */
    private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path dir;

    private static Path requireDataset(String name) {
        Path file = FASHION_MNIST.resolve(name);
        dev.l2c.testing.Skip.unless(Files.isRegularFile(file),
                file + " is absent (install Debian's dataset-fashion-mnist package)");
        return file;
    }

    @Test
    void readsFashionMnistTestImages() throws Exception {
        NdArray images = IdxFile.read(requireDataset("t10k-images-idx3-ubyte.gz"));
        assertEquals(DataKind.FLOAT32, images.kind());
        assertArrayEquals(new long[] {10000, 28, 28}, images.shape());
        double sum = 0;
        for (float v : images.floats()) {
            assertTrue(v >= 0 && v <= 255 && v == Math.rint(v), "pixel " + v);
            sum += v;
        }
        // Known facts of the Fashion-MNIST test set: mean pixel 73.15, first image's pixels sum to 33456.
        assertEquals(73.1466, sum / images.elementCount(), 1e-3);
        double first = 0;
        for (int i = 0; i < 28 * 28; i++) {
            first += images.floats()[i];
        }
        assertEquals(33456, first);

        float[] scaled = IdxFile.imagesToMinusOneOne(images);
        assertEquals(images.elementCount(), scaled.length);
        for (int i = 0; i < scaled.length; i += 97) {
            assertEquals(images.floats()[i] / 127.5 - 1, scaled[i], 1e-6);
        }
    }

    @Test
    void readsFashionMnistTestLabels() throws Exception {
        NdArray labels = IdxFile.read(requireDataset("t10k-labels-idx1-ubyte.gz"));
        assertEquals(DataKind.INT64, labels.kind());
        assertArrayEquals(new long[] {10000}, labels.shape());
        assertArrayEquals(new long[] {9, 2, 1, 1, 6}, Arrays.copyOf(labels.longs(), 5));
        // The test set is balanced: 1000 images of each of the 10 classes.
        long[] perClass = new long[10];
        for (long label : labels.longs()) {
            perClass[(int) label]++;
        }
        long[] thousand = new long[10];
        Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, perClass);
    }

    /** A tiny IDX file: magic, dims, then bytes 0, 1, 2, ... (mod 256). */
    private static byte[] idx(int type, int... dims) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(type);
        out.write(dims.length);
        int count = 1;
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
            count *= d;
        }
        for (int i = 0; i < count; i++) {
            out.write(i * 37);
        }
        return out.toByteArray();
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    @Test
    void readsPlainAndGzippedFilesAlike() throws Exception {
        byte[] images = idx(0x08, 3, 2, 2);
        Path plain = Files.write(dir.resolve("images"), images);
        Path packed = Files.write(dir.resolve("images.bin"), gzip(images)); // detected by magic, not by name
        float[] expected = new float[12];
        for (int i = 0; i < 12; i++) {
            expected[i] = (i * 37) & 0xFF;
        }
        assertEquals(NdArray.ofFloats(expected, 3, 2, 2), IdxFile.read(plain));
        assertEquals(NdArray.ofFloats(expected, 3, 2, 2), IdxFile.read(packed));

        Path labels = Files.write(dir.resolve("labels"), idx(0x08, 3));
        assertEquals(NdArray.ofLongs(new long[] {0, 37, 74}, 3), IdxFile.read(labels));

        assertArrayEquals(new float[] {-1f, 1f, 0.00392157f},
                IdxFile.imagesToMinusOneOne(NdArray.ofLongs(new long[] {0, 255, 128}, 3)), 1e-6f);
    }

    @Test
    void badFilesAreRefusedWithOneLine() throws Exception {
        byte[] good = idx(0x08, 3, 2, 2);

        Path truncated = Files.write(dir.resolve("truncated"), Arrays.copyOf(good, good.length - 1));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> IdxFile.read(truncated)), truncated,
                "truncated", "(3, 2, 2)", "12 data bytes", "only 11");

        Path longer = Files.write(dir.resolve("longer"), Arrays.copyOf(good, good.length + 1));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> IdxFile.read(longer)), longer, "extra bytes");

        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0};
        Path wrongMagic = Files.write(dir.resolve("picture"), png);
        assertNamesFile(assertThrows(InvalidInputException.class, () -> IdxFile.read(wrongMagic)), wrongMagic,
                "not an IDX file");

        Path floats = Files.write(dir.resolve("floats"), idx(0x0D, 1));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> IdxFile.read(floats)), floats,
                "type 0x0d");

        Path cutHeader = Files.write(dir.resolve("header"), Arrays.copyOf(good, 9));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> IdxFile.read(cutHeader)), cutHeader,
                "inside the IDX header");

        byte[] packed = gzip(good);
        Path badGzip = Files.write(dir.resolve("bad.gz"), Arrays.copyOf(packed, packed.length / 2));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> IdxFile.read(badGzip)), badGzip,
                "gzip");

        Path absent = dir.resolve("absent.gz");
        assertNamesFile(assertThrows(InvalidInputException.class, () -> IdxFile.read(absent)), absent, "not found");
    }
}
