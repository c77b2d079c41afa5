package dev.l2c.compiler;

import dev.l2c.io.Sha256;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.serde.OnnxWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The shared weights file, byte by byte: placement, alignment padding, de-duplication and checksum. */
class WeightsFileWriterTest {
    @TempDir
    Path tmp;

    private static Tensor floats(String name, int n, float start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i;
        }
        return Tensor.ofFloats(name, new long[] {n}, v);
    }

    private static byte[] bytesOf(Tensor t) {
        ByteBuffer b = t.data().bytes();
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void tensorsLandAlignedOnceEachAndTheChecksumIsTheFiles() throws Exception {
        Path file = tmp.resolve("weights.bin");
        Tensor a = floats("a", 1000, 0);          // 4 000 bytes
        Tensor b = floats("b", 3000, 5);          // 12 000 bytes: starts at 4 096
        Tensor sameAsA = floats("a_again", 1000, 0);
        Tensor small = floats("tiny", 10, 0);     // below the embedding threshold
        OnnxWriter.ExternalRef ra;
        OnnxWriter.ExternalRef rb;
        try (WeightsFileWriter w = new WeightsFileWriter(file)) {
            ra = w.place(a);
            rb = w.place(b);
            assertSame(ra, w.place(a), "the same tensor again: the same place");
            assertEquals(ra, w.place(sameAsA), "equal bytes under another name: the same place");
            assertNull(w.place(small), "small tensors stay embedded");
            assertEquals(2, w.tensorCount());
            assertEquals(4096 + 12_000, w.size());
            w.close();
            assertEquals(Sha256.of(file), w.sha256());
        }
        assertEquals(new OnnxWriter.ExternalRef("weights.bin", 0, 4000), ra);
        assertEquals(new OnnxWriter.ExternalRef("weights.bin", 4096, 12_000), rb);
        byte[] all = Files.readAllBytes(file);
        assertEquals(4096 + 12_000, all.length);
        assertArrayEquals(bytesOf(a), Arrays.copyOfRange(all, 0, 4000));
        assertArrayEquals(new byte[96], Arrays.copyOfRange(all, 4000, 4096), "zero padding up to the alignment");
        assertArrayEquals(bytesOf(b), Arrays.copyOfRange(all, 4096, 4096 + 12_000));
        assertEquals(1f, ByteBuffer.wrap(all, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    @Test
    void sameLengthDifferentBytesAreKeptApart() throws Exception {
        Path file = tmp.resolve("w.bin");
        try (WeightsFileWriter w = new WeightsFileWriter(file)) {
            OnnxWriter.ExternalRef r1 = w.place(floats("x", 2048, 0));
            OnnxWriter.ExternalRef r2 = w.place(floats("y", 2048, 1));
            assertEquals(0, r1.offset());
            assertEquals(8192, r2.offset());
            assertEquals(2, w.tensorCount());
        }
        assertEquals(16_384, Files.size(file));
    }

    @Test
    void anExistingFileIsNeverOverwritten() throws Exception {
        Path file = Files.writeString(tmp.resolve("taken.bin"), "keep me");
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> new WeightsFileWriter(file));
        assertEquals("keep me", Files.readString(file));
    }
}
