package dev.l2c.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.l2c.io.NdArray;
import dev.l2c.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Any number of images in batches on the demo DiT: the images do not depend on the batch size (image i's
 * noise and label depend on i alone), the streamed .npy holds all of them in order, the grid stops at
 * {@link SampleCommand#GRID_MAX}; and two compiles racing for one package both end well.
 */
class BatchedSampleTest {
    private static final String DIT = CliErrorsTest.DIT;

    @Test
    void imagesDoNotDependOnTheBatchSizeAndTheNpyHoldsThemAll(@TempDir Path tmp) throws Exception {
        NdArray inBatchesOfTwo = sample(tmp, "a", 5, 2);
        NdArray inOneBatch = sample(tmp, "b", 5, 5);
        assertArrayEquals(new long[]{5, 1, 28, 28}, inBatchesOfTwo.shape());
        float[] a = inBatchesOfTwo.asFloats();
        float[] b = inOneBatch.asFloats();
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        // the same noise through batched matrix products of another size: rounding only
        assertTrue(worst < 1e-4, "batches of 2 vs one batch of 5 differ by " + worst);
        JsonNode stats = new ObjectMapper().readTree(tmp.resolve("a.json").toFile());
        assertEquals(3, stats.path("batches").asInt(), stats.toString());
        assertEquals(2, stats.path("batch").asInt(), stats.toString());
    }

    @Test
    void theGridShowsTheFirstHundredImagesOnly(@TempDir Path tmp) throws Exception {
        int n = SampleCommand.GRID_MAX + 7;
        NdArray all = sample(tmp, "g", n, 64);
        assertEquals(n, all.shape()[0], "the .npy has every image");
        BufferedImage grid = ImageIO.read(tmp.resolve("g.png").toFile());
        // ImageGrid draws (columns·(w+2)+2)·scale by (rows·(h+2)+2)·scale pixels: 100 images in 10 columns
        // make a square; the 107 would need an eleventh row
        assertEquals(grid.getWidth(), grid.getHeight(), "10 rows of 10 tiles: " + grid.getWidth() + "x" + grid.getHeight());
    }

    @Test
    void twoCompilesRacingForOnePackageBothSucceedOrOneIsToldWhy(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("pkg");
        List<Process> compiles = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "compile", "--stepwise",
                    Path.of(DIT).toAbsolutePath().toString(), "--schedule",
                    Path.of("schedules/dit_fmnist_ddim20_reference.json").toAbsolutePath().toString(),
                    "-o", target.toString(), "--force");
            compiles.add(new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("out" + i + ".txt").toFile()).start());
        }
        for (Process p : compiles) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "a compile did not finish within 120 s");
        }
        for (int i = 0; i < 2; i++) {
            int code = compiles.get(i).exitValue();
            String out = Files.readString(tmp.resolve("out" + i + ".txt"), StandardCharsets.UTF_8);
            assertTrue(code == 0 || (code == 6 && out.contains("another l2c command is writing it")
                    && out.lines().count() == 1), "compile " + i + " exited " + code + ": " + out);
        }
        assertEquals(0, Main.run("verify", target.toString()), "the package left in place is whole");
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary folder left");
        }
    }

    private static NdArray sample(Path dir, String name, int n, int batch) throws Exception {
        int code = Main.run("sample", DIT, "--nfe", "2", "-n", Integer.toString(n), "--batch", Integer.toString(batch),
                "--quiet", "-o", dir.resolve(name + ".png").toString(), "--npy", dir.resolve(name + ".npy").toString(),
                "--stats", dir.resolve(name + ".json").toString());
        assertEquals(0, code, "sample -n " + n + " --batch " + batch);
        return Npy.read(dir.resolve(name + ".npy"));
    }
}
