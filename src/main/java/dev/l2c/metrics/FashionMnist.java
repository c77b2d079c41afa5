package dev.l2c.metrics;

import dev.l2c.error.InvalidInputException;
import dev.l2c.io.IdxFile;
import dev.l2c.io.NdArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where the Fashion-MNIST files are and how they become model inputs. The files are the four IDX files
 * that Debian's package {@value #APT_PACKAGE} installs in {@link #DEFAULT_DIR}; images are 28 × 28
 * bytes, scaled to [-1, 1] by {@code x / 127.5 − 1} exactly as the demo models and the classifier were
 * trained (see {@link IdxFile#imagesToMinusOneOne}).
 */
public final class FashionMnist {
    /** Where Debian's {@value #APT_PACKAGE} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String APT_PACKAGE = "dataset-fashion-mnist";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final int CLASSES = 10;

    private FashionMnist() {
    }

    /** The 10 000 test images in the default location. */
    public static Path testImages() {
        return DEFAULT_DIR.resolve(TEST_IMAGES);
    }

    /**
     * Images as the models see them.
     *
     * @param pixels {@code [n, 1, height, width]} flattened, in [-1, 1]
     */
    public record Images(int n, int height, int width, float[] pixels) {
    }

    /**
     * Reads the first {@code limit} images of an IDX image file (all of them when {@code limit} is
     * negative or larger than the file), scaled to [-1, 1].
     *
     * @throws InvalidInputException if the file is missing (the message says how to install it), is not
     *     an IDX image file, or is damaged
     */
    public static Images readImages(Path file, int limit) throws InvalidInputException {
        requirePresent(file);
        NdArray all = IdxFile.read(file);
        if (all.rank() != 3) {
            throw new InvalidInputException(file, "holds an array of shape " + all.shapeString()
                    + ", not images [n, height, width]; is it a labels file?");
        }
        int total = (int) all.dim(0);
        int n = limit < 0 ? total : Math.min(limit, total);
        int h = (int) all.dim(1);
        int w = (int) all.dim(2);
        NdArray first = n == total ? all : NdArray.ofFloats(Arrays.copyOf(all.floats(), n * h * w), n, h, w);
        return new Images(n, h, w, IdxFile.imagesToMinusOneOne(first));
    }

    /** Reads an IDX label file: one class index per image. */
    public static long[] readLabels(Path file) throws InvalidInputException {
        requirePresent(file);
        NdArray labels = IdxFile.read(file);
        if (labels.rank() != 1) {
            throw new InvalidInputException(file, "holds an array of shape " + labels.shapeString()
                    + ", not labels [n]; is it an images file?");
        }
        return labels.longs();
    }

    /** A missing file is the common case (package not installed); say how to get it. */
    static void requirePresent(Path file) throws InvalidInputException {
        if (!Files.exists(file)) {
            throw new InvalidInputException(file, "Fashion-MNIST file not found; install it with `apt-get install "
                    + APT_PACKAGE + "` (into " + DEFAULT_DIR + ") or give the file's location");
        }
    }
}
