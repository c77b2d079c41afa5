package dev.l2c.io;

import dev.l2c.error.OutputException;

import javax.imageio.ImageIO;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Lays out a batch of generated images as one PNG, like torchvision's {@code make_grid} +
 * {@code save_image}: {@code columns} images per row, each surrounded by a {@value #PADDING}-pixel
 * border, values in [-1, 1] mapped to 0…255 by {@code round((v + 1) / 2 · 255)}. The border is mid gray
 * (128) rather than torchvision's black, because Fashion-MNIST backgrounds are black and a black border
 * would merge neighbouring images. The whole grid, border included, is enlarged by an integer
 * {@code scale} with nearest-neighbour sampling, so that 28×28 samples are big enough to judge.
 *
 * <p>Values outside [-1, 1] are clamped (a sampler without x0 clipping overshoots); NaN is drawn as
 * black. One channel gives an 8-bit grayscale PNG, three channels an RGB PNG.
 */
public final class ImageGrid {
    /** Border width around and between images, in pixels before scaling. */
    public static final int PADDING = 2;
    /** The border's gray level. */
    public static final int BORDER_GRAY = 128;

    private ImageGrid() {
    }

    /**
     * Writes samples of any channel count whose values span {@code [rangeMin, rangeMax]} (a model
     * card's image range): one or three channels as images, as {@link #writePng}; any other count
     * (latents, e.g. DiT-XL/2's four channels) as one gray tile per channel, each image's channels
     * side by side on one row. Values are mapped linearly from the range to [-1, 1] first.
     */
    public static void writeSamplesPng(Path file, float[] samples, int n, int channels, int h, int w, int columns,
                                       int scale, float rangeMin, float rangeMax) throws OutputException {
        float[] display = toDisplayRange(samples, 0, samples.length, rangeMin, rangeMax);
        if (channels == 1 || channels == 3) {
            writePng(file, display, n, channels, h, w, columns, scale);
        } else {
            // [n, C, h, w] in C order is already [n·C, 1, h, w]: every channel plane is a gray image
            writePng(file, display, n * channels, 1, h, w, channels, scale);
        }
    }

    /**
     * One image of {@code samples} (the {@code index}-th of [n, C, h, w]) as the bytes of a PNG file:
     * the tile {@link #writeSamplesPng} draws for it, without the border and at scale 1, so a 28×28
     * sample is a 28×28 PNG (other channel counts than 1 and 3: the channels side by side, as there).
     * What a table of samples stores per image.
     */
    public static byte[] imagePng(float[] samples, int index, int channels, int h, int w, float rangeMin,
                                  float rangeMax) {
        int per = channels * h * w;
        float[] display = toDisplayRange(samples, index * per, per, rangeMin, rangeMax);
        BufferedImage image = channels == 1 || channels == 3
                ? render(display, 1, channels, h, w, 1, 1, 0)
                : render(display, channels, 1, h, w, channels, 1, 0);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(per + 256);
        try {
            encodePng(image, bytes);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("writing a PNG into memory failed", e);
        }
        return bytes.toByteArray();
    }

    /** {@code count} values from {@code offset}, mapped linearly from [rangeMin, rangeMax] to [-1, 1]. */
    private static float[] toDisplayRange(float[] samples, int offset, int count, float rangeMin, float rangeMax) {
        if (rangeMin == -1f && rangeMax == 1f) {
            return offset == 0 && count == samples.length ? samples : Arrays.copyOfRange(samples, offset, offset + count);
        }
        float[] display = new float[count];
        float span = rangeMax - rangeMin;
        for (int i = 0; i < count; i++) {
            display[i] = 2f * (samples[offset + i] - rangeMin) / span - 1f;
        }
        return display;
    }

    /**
     * Renders the grid and writes it to {@code file} as PNG, atomically. Arguments as in {@link #render}.
     */
    public static void writePng(Path file, float[] samples, int n, int channels, int h, int w, int columns,
                                int scale) throws OutputException {
        BufferedImage image = render(samples, n, channels, h, w, columns, scale);
        AtomicOutput.writeFile(file, out -> encodePng(image, out));
    }

    private static void encodePng(BufferedImage image, java.io.OutputStream out) throws java.io.IOException {
        ImageOutputStream imageOut = new MemoryCacheImageOutputStream(out);
        if (!ImageIO.write(image, "png", imageOut)) {
            throw new IllegalStateException("this Java runtime has no PNG encoder");
        }
        imageOut.close(); // flushes into out; leaves out open (AtomicOutput syncs it)
    }

    /**
     * Renders {@code samples}, laid out {@code [n, channels, h, w]} in C order, as a grid with
     * {@code min(columns, n)} images per row and as many rows as needed; unused cells at the end are
     * border colour. The image is {@code (cols·(w+2)+2)·scale} wide and {@code (rows·(h+2)+2)·scale} high.
     *
     * @throws IllegalArgumentException if the sizes do not match {@code samples.length}, {@code channels}
     *     is not 1 or 3, or a count is not positive
     */
    public static BufferedImage render(float[] samples, int n, int channels, int h, int w, int columns, int scale) {
        return render(samples, n, channels, h, w, columns, scale, PADDING);
    }

    private static BufferedImage render(float[] samples, int n, int channels, int h, int w, int columns, int scale,
                                        int padding) {
        if (n < 1 || h < 1 || w < 1 || columns < 1 || scale < 1) {
            throw new IllegalArgumentException("n, h, w, columns and scale must be positive: n=" + n + " h=" + h
                    + " w=" + w + " columns=" + columns + " scale=" + scale);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (gray) or 3 (RGB), not " + channels);
        }
        if ((long) n * channels * h * w != samples.length) {
            throw new IllegalArgumentException("samples has " + samples.length + " values but [n, channels, h, w] = ["
                    + n + ", " + channels + ", " + h + ", " + w + "] needs " + (long) n * channels * h * w);
        }
        int cols = Math.min(columns, n);
        int rows = (n + cols - 1) / cols;
        long width = ((long) cols * (w + padding) + padding) * scale;
        long height = ((long) rows * (h + padding) + padding) * scale;
        if (width * height > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid of " + width + "×" + height + " pixels is too large; "
                    + "lower the scale or the number of images");
        }
        int imageWidth = (int) width;
        BufferedImage image = new BufferedImage(imageWidth, (int) height,
                channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        // Write the backing arrays directly: setRGB on a gray image would apply a colour-space conversion
        // and change the values.
        byte[] gray = channels == 1 ? ((DataBufferByte) image.getRaster().getDataBuffer()).getData() : null;
        int[] rgb = channels == 3 ? ((DataBufferInt) image.getRaster().getDataBuffer()).getData() : null;
        if (gray != null) {
            Arrays.fill(gray, (byte) BORDER_GRAY);
        } else {
            Arrays.fill(rgb, BORDER_GRAY * 0x010101);
        }
        int plane = h * w;
        for (int i = 0; i < n; i++) {
            int left = (padding + (i % cols) * (w + padding)) * scale;
            int top = (padding + (i / cols) * (h + padding)) * scale;
            int base = i * channels * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = base + y * w + x;
                    int value;
                    if (gray != null) {
                        value = toByte(samples[p]);
                    } else {
                        value = (toByte(samples[p]) << 16) | (toByte(samples[p + plane]) << 8)
                                | toByte(samples[p + 2 * plane]);
                    }
                    int rowStart = (top + y * scale) * imageWidth + left + x * scale;
                    for (int dy = 0; dy < scale; dy++) {
                        int at = rowStart + dy * imageWidth;
                        if (gray != null) {
                            Arrays.fill(gray, at, at + scale, (byte) value);
                        } else {
                            Arrays.fill(rgb, at, at + scale, value);
                        }
                    }
                }
            }
        }
        return image;
    }

    /** Maps [-1, 1] to 0…255 with rounding; clamps outside; NaN gives 0. */
    static int toByte(float v) {
        if (!(v > -1f)) { // also catches NaN
            return 0;
        }
        if (v >= 1f) {
            return 255;
        }
        return (int) ((v + 1f) * 127.5f + 0.5f);
    }
}
