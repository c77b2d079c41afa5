package dev.l2c.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImageGridTest {
    @TempDir
    Path dir;

    /** What a value should become: clamp to [-1, 1], then round((v + 1) / 2 · 255). */
    private static int expectedByte(float v) {
        double clamped = Math.max(-1, Math.min(1, v));
        return (int) Math.round((clamped + 1) / 2 * 255);
    }

    /** Samples with values well outside [-1, 1] so clamping is exercised. */
    private static float[] randomSamples(int count, long seed) {
        Random random = new Random(seed);
        float[] samples = new float[count];
        for (int i = 0; i < count; i++) {
            samples[i] = (float) (random.nextGaussian() * 0.9);
        }
        samples[0] = 5f;
        samples[1] = -7f;
        samples[2] = 1f;
        samples[3] = -1f;
        samples[4] = 0f;
        return samples;
    }

    @Test
    void grayGridHasTheExpectedSizeAndPixels() {
        int n = 5, h = 28, w = 28, columns = 3, scale = 2;
        float[] samples = randomSamples(n * h * w, 1);
        BufferedImage image = ImageGrid.render(samples, n, 1, h, w, columns, scale);

        // 3 columns × 2 rows of 28 + 2 border, plus the outer border, doubled.
        assertEquals((3 * 30 + 2) * 2, image.getWidth());
        assertEquals((2 * 30 + 2) * 2, image.getHeight());
        Raster raster = image.getRaster();
        for (int i = 0; i < n; i++) {
            int left = (2 + (i % columns) * 30) * scale;
            int top = (2 + (i / columns) * 30) * scale;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int expected = expectedByte(samples[i * h * w + y * w + x]);
                    // Every pixel of the scale × scale block carries the value.
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            assertEquals(expected, raster.getSample(left + x * scale + dx, top + y * scale + dy, 0),
                                    "image " + i + " pixel (" + y + ", " + x + ")");
                        }
                    }
                }
            }
        }
        assertEquals(255, raster.getSample(2 * scale, 2 * scale, 0), "5.0 clamps to white");
        assertEquals(0, raster.getSample(3 * scale, 2 * scale, 0), "-7.0 clamps to black");
        // Border: outer corner, the gap between images, and the unused sixth cell.
        assertEquals(ImageGrid.BORDER_GRAY, raster.getSample(0, 0, 0));
        assertEquals(ImageGrid.BORDER_GRAY, raster.getSample(30 * scale, 10 * scale, 0));
        assertEquals(ImageGrid.BORDER_GRAY, raster.getSample((2 + 2 * 30 + 14) * scale, (2 + 30 + 14) * scale, 0));
    }

    @Test
    void rgbGridKeepsTheChannelsApart() {
        int n = 2, h = 3, w = 4;
        float[] samples = new float[n * 3 * h * w];
        // Image 1 pixel (row 2, col 1): red channel 1, green 0, blue -1.
        int plane = h * w;
        int base = 1 * 3 * plane + 2 * w + 1;
        samples[base] = 1f;
        samples[base + plane] = 0f;
        samples[base + 2 * plane] = -1f;
        BufferedImage image = ImageGrid.render(samples, n, 3, h, w, 8, 1);
        assertEquals(2 * (w + 2) + 2, image.getWidth(), "columns beyond n are not drawn");
        assertEquals(h + 4, image.getHeight());
        int rgb = image.getRGB(2 + (w + 2) + 1, 2 + 2) & 0xFFFFFF;
        assertEquals(255 << 16 | 128 << 8, rgb);
    }

    @Test
    void pngOnDiskHoldsTheRenderedPixels() throws Exception {
        int n = 4, h = 28, w = 28;
        float[] samples = randomSamples(n * h * w, 2);
        Path file = dir.resolve("samples.png");
        ImageGrid.writePng(file, samples, n, 1, h, w, 2, 3);

        BufferedImage back = ImageIO.read(file.toFile());
        BufferedImage rendered = ImageGrid.render(samples, n, 1, h, w, 2, 3);
        assertEquals((2 * 30 + 2) * 3, back.getWidth());
        assertEquals((2 * 30 + 2) * 3, back.getHeight());
        assertEquals(1, back.getRaster().getNumBands(), "one channel gives a grayscale PNG");
        int[] expected = rendered.getRaster().getPixels(0, 0, rendered.getWidth(), rendered.getHeight(), (int[]) null);
        int[] actual = back.getRaster().getPixels(0, 0, back.getWidth(), back.getHeight(), (int[]) null);
        assertArrayEquals(expected, actual);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("samples.png"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void latentsAreDrawnOneGrayTilePerChannelFromTheCardRange() throws Exception {
        int n = 2, c = 4, h = 3, w = 3;
        float[] latents = new float[n * c * h * w];
        for (int i = 0; i < latents.length; i++) {
            latents[i] = -4f + 8f * i / (latents.length - 1); // spans the range [-4, 4] of a latent card
        }
        Path file = dir.resolve("latents.png");
        ImageGrid.writeSamplesPng(file, latents, n, c, h, w, 10, 1, -4f, 4f);
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(c * (w + ImageGrid.PADDING) + ImageGrid.PADDING, back.getWidth(), "one row per image, a tile per channel");
        assertEquals(n * (h + ImageGrid.PADDING) + ImageGrid.PADDING, back.getHeight());
        assertEquals(1, back.getRaster().getNumBands());
        // first value of the first channel is the range's minimum (black), last of the last its maximum
        assertEquals(0, back.getRaster().getSample(ImageGrid.PADDING, ImageGrid.PADDING, 0));
        int lastLeft = ImageGrid.PADDING + (c - 1) * (w + ImageGrid.PADDING);
        int lastTop = ImageGrid.PADDING + (n - 1) * (h + ImageGrid.PADDING);
        assertEquals(255, back.getRaster().getSample(lastLeft + w - 1, lastTop + h - 1, 0));
    }

    @Test
    void oneImageAsPngIsItsGridTileWithoutBorder() throws Exception {
        int n = 3, h = 28, w = 28;
        float[] samples = randomSamples(n * h * w, 3);
        BufferedImage grid = ImageGrid.render(samples, n, 1, h, w, n, 1);
        for (int i = 0; i < n; i++) {
            BufferedImage one = ImageIO.read(new java.io.ByteArrayInputStream(ImageGrid.imagePng(samples, i, 1, h, w, -1f, 1f)));
            assertEquals(w, one.getWidth());
            assertEquals(h, one.getHeight());
            assertEquals(1, one.getRaster().getNumBands());
            int left = ImageGrid.PADDING + i * (w + ImageGrid.PADDING);
            assertArrayEquals(grid.getRaster().getPixels(left, ImageGrid.PADDING, w, h, (int[]) null),
                    one.getRaster().getPixels(0, 0, w, h, (int[]) null), "image " + i);
        }
        float[] rgb = randomSamples(2 * 3 * 4 * 5, 4);
        BufferedImage colour = ImageIO.read(new java.io.ByteArrayInputStream(ImageGrid.imagePng(rgb, 1, 3, 4, 5, -1f, 1f)));
        assertEquals(3, colour.getRaster().getNumBands(), "three channels give an RGB PNG");
        int p = 4 * 5 * 3 + 2 * 5 + 1; // image 1, red plane, row 2, column 1
        assertEquals(expectedByte(rgb[p]), colour.getRaster().getSample(1, 2, 0));
        assertEquals(expectedByte(rgb[p + 20]), colour.getRaster().getSample(1, 2, 1));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[10], 1, 1, 3, 3, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[8], 2, 2, 2, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[9], 1, 1, 3, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[9], 1, 1, 3, 3, 1, 0));
    }

    @Test
    void nanIsDrawnBlack() {
        assertEquals(0, ImageGrid.toByte(Float.NaN));
        assertEquals(128, ImageGrid.toByte(0.00392f)); // just above the midpoint still rounds to 128
        assertEquals(127, ImageGrid.toByte(-0.004f));
    }
}
