package dev.l2c.metrics;

import dev.l2c.error.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.l2c.metrics.MetricsTesting.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FashionMnistTest {
    @TempDir
    Path dir;

    @Test
    void imagesAreScaledToMinusOneOneAndCut() throws Exception {
        Path file = MetricsTesting.writeRandomIdxImages(dir.resolve("images-idx3-ubyte"), 5, 1);
        byte[] raw = Files.readAllBytes(file);
        FashionMnist.Images first3 = FashionMnist.readImages(file, 3);
        assertEquals(3, first3.n());
        assertEquals(3 * 784, first3.pixels().length);
        for (int i = 0; i < first3.pixels().length; i++) {
            assertEquals((raw[16 + i] & 0xFF) / 127.5f - 1f, first3.pixels()[i]);
        }
        assertEquals(5, FashionMnist.readImages(file, -1).n());
        assertEquals(5, FashionMnist.readImages(file, 99).n());
    }

    @Test
    void aMissingFileSaysWhichPackageInstallsIt() {
        Path file = dir.resolve("t10k-images-idx3-ubyte.gz");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> FashionMnist.readImages(file, -1));
        assertNamesFile(e, file, "not found", "apt-get install dataset-fashion-mnist");
    }
}
