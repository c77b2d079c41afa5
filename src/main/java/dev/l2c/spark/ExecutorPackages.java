package dev.l2c.spark;

import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.MismatchException;
import dev.l2c.io.Sha256;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.runtime.SampleGenerators;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The packages this JVM has open, one {@link OpenPackage} per package and runtime settings, opened by
 * the first task that needs it and kept until the JVM exits (a shutdown hook closes the sessions): the
 * tasks and partitions an executor runs, of this job and of later ones in the same application, reuse
 * its sessions, and its weights are mapped once per executor. Keyed by the SHA-256 of the package's
 * manifest, which lists the SHA-256 of every other file: two folders with the same manifest hold the
 * same package (SparkFiles gives each application its own folder).
 */
final class ExecutorPackages {
    private static final Map<String, OpenPackage> OPEN = new LinkedHashMap<>();
    private static int opened;
    private static boolean closeAtExit;

    private ExecutorPackages() {
    }

    /**
     * The package at {@code location}, opened on first use; refuses a folder whose manifest is not the
     * one the driver verified ({@code manifestSha256}), since every executor must sample the same package.
     */
    static synchronized OpenPackage open(PackageLocation location, String manifestSha256, RunSettings settings)
            throws L2cException {
        String key = manifestSha256 + " " + settings;
        OpenPackage open = OPEN.get(key);
        if (open != null) {
            return open;
        }
        Path folder = location.resolve();
        String sha = manifestSha256(folder);
        if (!sha.equals(manifestSha256)) {
            throw new MismatchException(folder.resolve(PackageFiles.MANIFEST), "is not the manifest of the package the "
                    + "driver verified (SHA-256 " + sha + ", expected " + manifestSha256 + "): every executor must see "
                    + "the same package; ship it with the job (spark:NAME) or give a path every executor reads alike");
        }
        // open() checks the graphs' and the schedule's SHA-256 and the weights' size; the driver hashed the weights
        CompiledPackage pkg = ManifestConsistency.open(folder);
        open = new OpenPackage(pkg, SampleGenerators.open(pkg, settings.options()));
        OPEN.put(key, open);
        opened++;
        if (!closeAtExit) {
            Runtime.getRuntime().addShutdownHook(new Thread(ExecutorPackages::closeAll, "l2c-close-packages"));
            closeAtExit = true;
        }
        return open;
    }

    /** How many times this JVM opened a package (the sessions' creation): what reuse saves. */
    static synchronized int openedCount() {
        return opened;
    }

    /** The SHA-256 of a package's manifest file. */
    static String manifestSha256(Path folder) throws InvalidInputException {
        Path manifest = folder.resolve(PackageFiles.MANIFEST);
        try {
            return Sha256.of(manifest);
        } catch (IOException e) {
            throw new InvalidInputException(manifest, "cannot read: " + e.getMessage());
        }
    }

    private static void closeAll() {
        List<OpenPackage> all;
        synchronized (ExecutorPackages.class) {
            all = new ArrayList<>(OPEN.values());
            OPEN.clear();
        }
        for (OpenPackage p : all) {
            p.close();
        }
    }
}
