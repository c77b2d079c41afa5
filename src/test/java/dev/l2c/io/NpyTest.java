package dev.l2c.io;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.OutputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static dev.l2c.io.UserErrors.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {
    @TempDir
    Path dir;

    /** A fixture written by numpy (see make_fixtures.py next to it). */
    static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test fixture " + name + " is missing", e);
        }
    }

    /** The values make_fixtures.py puts in f4_2x3.npy: i * 0.25 - 1, exact in float32. */
    static float[] fixtureFloats() {
        float[] v = new float[6];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.25f - 1f;
        }
        return v;
    }

    @Test
    void floatsRoundTripAcrossChunkBoundaries() throws Exception {
        // 3 × 7 × 1000 floats: more than one 64 KiB chunk on both the write and the read side.
        Random random = new Random(7);
        float[] data = new float[3 * 7 * 1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        data[5] = Float.NaN;
        data[6] = Float.NEGATIVE_INFINITY;
        data[7] = -0.0f;
        Path file = dir.resolve("x.npy");
        Npy.writeFloats(file, data, 3, 7, 1000);

        NdArray back = Npy.read(file);
        assertEquals(DataKind.FLOAT32, back.kind());
        assertArrayEquals(new long[] {3, 7, 1000}, back.shape());
        // Bitwise equality: NaN and -0.0 must survive unchanged.
        assertArrayEquals(data, back.floats());
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back.floats()[7]));
        assertEquals(0, (Files.size(file) - 4L * data.length) % 64,
                "the data must start on a 64-byte boundary, as numpy writes it");
    }

    @Test
    void longsAndScalarsRoundTrip() throws Exception {
        long[] data = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 1L << 40};
        Path file = dir.resolve("l.npy");
        Npy.writeLongs(file, data, 2, 3);
        NdArray back = Npy.read(file);
        assertEquals(NdArray.ofLongs(data, 2, 3), back);

        Path scalar = dir.resolve("s.npy");
        Npy.writeDoubles(scalar, new double[] {Math.PI});
        NdArray s = Npy.read(scalar);
        assertEquals(0, s.rank());
        assertEquals(Math.PI, s.doubleValue());
    }

    @Test
    void writesTheSameBytesAsNumpy() throws Exception {
        Path ours = dir.resolve("f4.npy");
        Npy.writeFloats(ours, fixtureFloats(), 2, 3);
        assertArrayEquals(Files.readAllBytes(fixture("f4_2x3.npy")), Files.readAllBytes(ours));

        Path longs = dir.resolve("i8.npy");
        Npy.writeLongs(longs, new long[] {0, -3, 7, 1L << 40}, 4);
        assertArrayEquals(Files.readAllBytes(fixture("i8_vec.npy")), Files.readAllBytes(longs));

        Path scalar = dir.resolve("f8.npy");
        Npy.writeDoubles(scalar, new double[] {1.5});
        assertArrayEquals(Files.readAllBytes(fixture("f8_scalar.npy")), Files.readAllBytes(scalar));
    }

    @Test
    void readsEveryDtypeNumpyWrites() throws Exception {
        NdArray f4 = Npy.read(fixture("f4_2x3.npy"));
        assertEquals(NdArray.ofFloats(fixtureFloats(), 2, 3), f4);

        NdArray f8 = Npy.read(fixture("f8_scalar.npy"));
        assertEquals(DataKind.FLOAT64, f8.kind());
        assertArrayEquals(new long[0], f8.shape());
        assertEquals(1, f8.elementCount());
        assertEquals(1.5, f8.doubleValue());

        assertEquals(NdArray.ofLongs(new long[] {0, -3, 7, 1L << 40}, 4), Npy.read(fixture("i8_vec.npy")));
        assertEquals(NdArray.ofLongs(new long[] {5, -6, Integer.MAX_VALUE}, 3), Npy.read(fixture("i4_vec.npy")));
        assertEquals(NdArray.ofLongs(new long[] {0, 1, 128, 255}, 2, 2), Npy.read(fixture("u1_2x2.npy")));
        assertEquals(NdArray.ofLongs(new long[] {1, 0, 1}, 3), Npy.read(fixture("b1_vec.npy")));

        NdArray empty = Npy.read(fixture("empty_0x3.npy"));
        assertArrayEquals(new long[] {0, 3}, empty.shape());
        assertEquals(0, empty.elementCount());
    }

    @Test
    void readsFormatVersions2And3() throws Exception {
        NdArray expected = NdArray.ofFloats(fixtureFloats(), 2, 3);
        assertEquals(expected, Npy.read(fixture("f4_2x3_v2.npy")));
        assertEquals(expected, Npy.read(fixture("f4_2x3_v3.npy")));
    }

    @Test
    void streamReadStopsAfterOneArray() throws Exception {
        // numpy can append several arrays to one open file; each read must take exactly one.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Npy.write(bytes, NdArray.ofLongs(new long[] {1, 2}, 2));
        Npy.write(bytes, NdArray.ofFloats(new float[] {3f}, 1, 1));
        InputStream in = new ByteArrayInputStream(bytes.toByteArray());
        assertEquals(NdArray.ofLongs(new long[] {1, 2}, 2), Npy.read(in, "stream"));
        assertEquals(NdArray.ofFloats(new float[] {3f}, 1, 1), Npy.read(in, "stream"));
        assertEquals(-1, in.read());
    }

    @Test
    void streamErrorsStartWithTheGivenName() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Npy.read(new ByteArrayInputStream(new byte[] {1, 2, 3}), "weights[3]"));
        assertTrue(e.getMessage().startsWith("weights[3]: too short"), e.getMessage());
    }

    @Test
    void truncatedDataIsRefusedWithTheSizes() throws Exception {
        byte[] whole = Files.readAllBytes(fixture("f4_2x3.npy"));
        Path file = dir.resolve("cut.npy");
        Files.write(file, Arrays.copyOf(whole, whole.length - 5));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(file));
        assertNamesFile(e, file, "truncated", "(2, 3)", "<f4", "24 data bytes", "only 19");
    }

    @Test
    void truncatedHeaderIsRefused() throws Exception {
        byte[] whole = Files.readAllBytes(fixture("f4_2x3.npy"));
        Path file = dir.resolve("cut.npy");
        Files.write(file, Arrays.copyOf(whole, 40));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(file));
        assertNamesFile(e, file, "truncated", "header");
    }

    @Test
    void wrongMagicIsRefused() throws Exception {
        Path file = dir.resolve("not.npy");
        Files.writeString(file, "x,y\n1,2\n3,4\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(file));
        assertNamesFile(e, file, "not a .npy file", "magic");

        // A .npz handed to the .npy reader says what it is.
        InvalidInputException zip = assertThrows(InvalidInputException.class,
                () -> Npy.read(fixture("stored.npz")));
        assertNamesFile(zip, fixture("stored.npz"), "zip", ".npz");
    }

    @Test
    void bigEndianIsRefusedWithTheFix() {
        Path file = fixture("f4_bigendian.npy");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(file));
        assertNamesFile(e, file, "big-endian", "'>f4'", "astype('<f4')");
    }

    @Test
    void fortranOrderObjectsAndUnknownDtypesAreRefused() {
        Path fortran = fixture("f4_fortran.npy");
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npy.read(fortran)), fortran,
                "Fortran", "np.ascontiguousarray");
        Path object = fixture("object.npy");
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npy.read(object)), object,
                "Python objects", "'|O'");
        Path half = fixture("f2_vec.npy");
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npy.read(half)), half,
                "unsupported dtype '<f2'", "<f4");
    }

    @Test
    void fortranOrderOfAVectorIsTheSameLayoutAndAccepted() throws Exception {
        byte[] header = ("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3), }").getBytes();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (header.length + 1), 0});
        bytes.write(header);
        bytes.write('\n');
        bytes.write(new byte[12]);
        NdArray a = Npy.read(new ByteArrayInputStream(bytes.toByteArray()), "v");
        assertArrayEquals(new long[] {1, 3}, a.shape());
    }

    @Test
    void extraBytesAfterTheDataAreRefused() throws Exception {
        byte[] whole = Files.readAllBytes(fixture("f4_2x3.npy"));
        Path file = dir.resolve("long.npy");
        Files.write(file, Arrays.copyOf(whole, whole.length + 3));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npy.read(file)), file, "extra bytes");
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("absent.npy");
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npy.read(file)), file, "not found");
    }

    @Test
    void writingIntoAMissingFolderIsAnOutputError() {
        Path file = dir.resolve("no/such/x.npy");
        OutputException e = assertThrows(OutputException.class,
                () -> Npy.writeFloats(file, new float[] {1f}, 1));
        assertNamesFile(e, file, "does not exist");
    }

    @Test
    void shapeThatDoesNotMatchTheDataIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class,
                () -> Npy.writeFloats(dir.resolve("x.npy"), new float[6], 4, 2));
    }

    @Test
    void headerParserHandlesPythonLiterals() {
        Object parsed = new Npy.LiteralParser("{'a': (3L, 4,), \"b\": [1], 'c': None, 'd': False, }").parseWhole();
        assertEquals("{a=[3, 4], b=[1], c=None, d=false}", parsed.toString());
        assertThrows(IllegalArgumentException.class, () -> new Npy.LiteralParser("{'a': 1} x").parseWhole());
        assertThrows(IllegalArgumentException.class, () -> new Npy.LiteralParser("{'a': __import__}").parseWhole());
    }

    @Test
    void malformedHeaderIsRefused() throws IOException {
        byte[] header = "{'descr': '<f4', 'shape': (2,), }".getBytes();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, 0});
        bytes.write(header);
        Path file = dir.resolve("bad.npy");
        Files.write(file, bytes.toByteArray());
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npy.read(file)), file,
                "malformed .npy header", "'fortran_order'");
    }
}
