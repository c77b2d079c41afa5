package dev.l2c.spark;

import dev.l2c.error.InvalidInputException;
import dev.l2c.pkg.PackageFiles;
import org.apache.spark.SparkFiles;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where every JVM of the job finds the package folder; the words of the job's PKG argument.
 * <ul>
 * <li>A path ({@code /mnt/models/dit-l2c}): a folder that the driver and every executor can read under
 *     that same path: a shared filesystem (NFS, a mounted bucket), or a copy laid at the same place on
 *     every node. A relative path is made absolute against the driver's working directory.</li>
 * <li>{@code spark:NAME}: the package travelled with the job through Spark's own file distribution.
 *     With {@code --archives dit-l2c.zip#NAME} (or {@code .tgz}) Spark unpacks the folder on every
 *     node: found in {@link SparkFiles#getRootDirectory()} (local, standalone) or, where the cluster
 *     manager unpacks archives into the container's working directory (YARN, Kubernetes), there.
 *     {@code spark:} alone names the SparkFiles folder itself, for the package's files shipped one by
 *     one with {@code --files PKG/manifest.json,PKG/weights.bin,...}.</li>
 * </ul>
 */
record PackageLocation(String words, boolean sparkFiles, String path) implements Serializable {
    static final String SPARK_FILES = "spark:";

    static PackageLocation parse(String words) {
        if (words.startsWith(SPARK_FILES)) {
            return new PackageLocation(words, true, words.substring(SPARK_FILES.length()));
        }
        return new PackageLocation(words, false, Path.of(words).toAbsolutePath().normalize().toString());
    }

    /** The package folder as this JVM sees it; fails naming where it looked. */
    Path resolve() throws InvalidInputException {
        if (!sparkFiles) {
            return Path.of(path);
        }
        // absolute: on an executor the SparkFiles folder is "." (its working directory)
        Path root = Path.of(SparkFiles.getRootDirectory()).toAbsolutePath().normalize();
        Path shipped = path.isEmpty() ? root : root.resolve(path);
        if (Files.isRegularFile(shipped.resolve(PackageFiles.MANIFEST))) {
            return shipped;
        }
        Path unpackedHere = Path.of(path.isEmpty() ? "." : path).toAbsolutePath().normalize();
        if (!path.isEmpty() && Files.isRegularFile(unpackedHere.resolve(PackageFiles.MANIFEST))) {
            return unpackedHere;
        }
        throw new InvalidInputException(shipped, "no " + PackageFiles.MANIFEST + " here" + (path.isEmpty() ? ""
                : " nor in " + unpackedHere) + ": ship the package with spark-submit --archives PKG.zip#" + path
                + " (or its files with --files), or give a path every executor can read");
    }

    @Override
    public String toString() {
        return words;
    }
}
