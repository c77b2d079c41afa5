package dev.l2c.io;

import dev.l2c.error.InvalidInputException;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static dev.l2c.io.NpyTest.fixture;
import static dev.l2c.io.UserErrors.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpzTest {
    @TempDir
    Path dir;

    @Test
    void readsStoredAndDeflatedArchivesFromNumpy() throws Exception {
        for (String name : List.of("stored.npz", "deflated.npz")) {
            Map<String, NdArray> arrays = Npz.read(fixture(name));
            assertEquals(List.of("x", "y", "cfg"), List.copyOf(arrays.keySet()), name);
            assertEquals(NdArray.ofFloats(NpyTest.fixtureFloats(), 2, 3), arrays.get("x"), name);
            assertEquals(NdArray.ofLongs(new long[] {0, 3, 7, 9}, 4), arrays.get("y"), name);
            assertEquals(1.5, arrays.get("cfg").doubleValue(), name);
        }
    }

    @Test
    void readsTheDitReferenceTrajectory() throws Exception {
        Path file = SharedData.require("models/dit_reference_l2c_ddim20.npz");
        Map<String, NdArray> ref = Npz.read(file);
        assertEquals(List.of("x_T", "y", "timesteps", "cfg", "clip_denoised", "final_full",
                "model_out_step1_full", "final_cached", "model_out_step1_cached"), List.copyOf(ref.keySet()));

        for (String image : List.of("x_T", "final_full", "final_cached")) {
            assertEquals(DataKind.FLOAT32, ref.get(image).kind(), image);
            assertArrayEquals(new long[] {4, 1, 28, 28}, ref.get(image).shape(), image);
        }
        for (String out : List.of("model_out_step1_full", "model_out_step1_cached")) {
            assertEquals(DataKind.FLOAT32, ref.get(out).kind(), out);
            assertArrayEquals(new long[] {8, 1, 28, 28}, ref.get(out).shape(), out);
        }
        assertEquals(NdArray.ofLongs(new long[] {0, 3, 7, 9}, 4), ref.get("y"));
        assertEquals(1.5, ref.get("cfg").doubleValue());
        assertEquals(DataKind.FLOAT64, ref.get("cfg").kind());
        assertEquals(1, ref.get("clip_denoised").longValue());

        // DDIM-20 respacing as in the models README: sorted(round(linspace(0, 999, 20))).
        NdArray timesteps = ref.get("timesteps");
        assertEquals(DataKind.INT64, timesteps.kind());
        long[] expected = new long[20];
        for (int i = 0; i < 20; i++) {
            expected[i] = Math.round(i * 999.0 / 19);
        }
        assertArrayEquals(expected, timesteps.longs());

        // Clipped DDIM ends inside [-1, 1]; the initial noise is standard normal.
        for (float v : ref.get("final_full").floats()) {
            assertTrue(v >= -1f && v <= 1f, "final_full value " + v);
        }
        double sumSq = 0;
        for (float v : ref.get("x_T").floats()) {
            sumSq += v * v;
        }
        double variance = sumSq / ref.get("x_T").elementCount();
        assertTrue(variance > 0.8 && variance < 1.2, "x_T variance " + variance);
    }

    @Test
    void writtenArchivesReadBackInOrderWithTheirKinds() throws Exception {
        Map<String, NdArray> arrays = new LinkedHashMap<>();
        arrays.put("sigma", NdArray.ofDoubles(new double[] {1.5, -0.25, -0.25, 2.0}, 2, 2));
        arrays.put("mu", NdArray.ofFloats(NpyTest.fixtureFloats(), 2, 3));
        arrays.put("n", NdArray.ofLongs(new long[] {2000}));
        arrays.put("empty", NdArray.ofFloats(new float[0], 0, 128));
        Path file = dir.resolve("written.npz");
        Npz.write(file, arrays);

        Map<String, NdArray> back = Npz.read(file);
        assertEquals(List.copyOf(arrays.keySet()), List.copyOf(back.keySet()));
        for (String name : arrays.keySet()) {
            assertEquals(arrays.get(name), back.get(name), name);
        }
        assertEquals(2000, back.get("n").longValue());
    }

    @Test
    void writtenEntriesAreStoredAsNpSavezDoes() throws Exception {
        // np.savez stores entries uncompressed; each entry must be the exact bytes Npy writes for the array.
        NdArray x = NdArray.ofFloats(NpyTest.fixtureFloats(), 2, 3);
        Path file = dir.resolve("stored.npz");
        Npz.write(file, Map.of("x", x));
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry entry = zip.getEntry("x.npy");
            assertEquals(ZipEntry.STORED, entry.getMethod());
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            Npy.write(expected, x);
            try (InputStream in = zip.getInputStream(entry)) {
                assertArrayEquals(expected.toByteArray(), in.readAllBytes());
            }
        }
    }

    @Test
    void entryNamesThatWouldNotComeBackAreRefused() {
        NdArray one = NdArray.ofLongs(new long[] {1});
        assertThrows(IllegalArgumentException.class, () -> Npz.write(dir.resolve("a.npz"), Map.of("a/b", one)));
        assertThrows(IllegalArgumentException.class, () -> Npz.write(dir.resolve("a.npz"), Map.of("", one)));
    }

    @Test
    void aZipBombIsRefusedBeforeItFillsTheHeap() throws Exception {
        // 512 MiB of zeros deflate to about half a megabyte: the archive is small, its arrays are not
        Path bomb = dir.resolve("bomb.npz");
        long n = 64L << 20; // float64 values
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
            zip.setLevel(9);
            zip.putNextEntry(new ZipEntry("sigma.npy"));
            zip.write(Npy.headerBytes(DataKind.FLOAT64, new long[] {n}));
            byte[] zeros = new byte[1 << 20];
            for (long written = 0; written < n * 8; written += zeros.length) {
                zip.write(zeros);
            }
            zip.closeEntry();
        }
        assertTrue(Files.size(bomb) < (4 << 20), "a small file: " + Files.size(bomb));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npz.read(bomb, 64L << 20));
        assertNamesFile(e, bomb);
        assertTrue(e.getMessage().contains("zip bomb"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> Npz.read(bomb)); // the default limit, 256 MiB, too
    }

    @Test
    void notAZipIsRefused() {
        Path file = fixture("f4_2x3.npy");
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npz.read(file)), file,
                "single .npy array", "read it as .npy");
    }

    @Test
    void truncatedArchiveIsRefused() throws Exception {
        byte[] whole = Files.readAllBytes(fixture("deflated.npz"));
        Path file = dir.resolve("cut.npz");
        Files.write(file, Arrays.copyOf(whole, whole.length / 2));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npz.read(file)), file,
                "not a readable .npz archive", "truncated");
    }

    @Test
    void aDamagedEntryIsNamed() throws Exception {
        byte[] npy = Files.readAllBytes(fixture("f4_2x3.npy"));
        Path file = dir.resolve("damaged.npz");
        writeZip(file, "good.npy", npy, "bad.npy", Arrays.copyOf(npy, npy.length - 4));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npz.read(file));
        assertNamesFile(e, file, "entry 'bad.npy'", "truncated");
    }

    @Test
    void anEntryThatIsNotAnArrayIsRefused() throws Exception {
        Path file = dir.resolve("mixed.npz");
        writeZip(file, "notes.txt", "hello".getBytes(), "x.npy", Files.readAllBytes(fixture("f4_2x3.npy")));
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npz.read(file)), file,
                "entry 'notes.txt'", "not a .npy array");
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("absent.npz");
        assertNamesFile(assertThrows(InvalidInputException.class, () -> Npz.read(file)), file, "not found");
    }

    private static void writeZip(Path file, Object... namesAndBytes) throws IOException {
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (int i = 0; i < namesAndBytes.length; i += 2) {
                zip.putNextEntry(new ZipEntry((String) namesAndBytes[i]));
                zip.write((byte[]) namesAndBytes[i + 1]);
                zip.closeEntry();
            }
        }
    }
}
