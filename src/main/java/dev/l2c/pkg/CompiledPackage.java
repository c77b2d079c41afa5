package dev.l2c.pkg;

import dev.l2c.io.Sha256;
import dev.l2c.error.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A package folder as the runner sees it: its manifest, checked against the files beside it. Opening
 * checks that every file the manifest lists exists, that the graphs' and the schedule's SHA-256 match,
 * and that the weights file has the size the manifest says; {@link #verify()} hashes the weights
 * too, which reads every weight byte.
 */
public final class CompiledPackage {
    private final Path folder;
    private final PackageManifest manifest;

    private CompiledPackage(Path folder, PackageManifest manifest) {
        this.folder = folder;
        this.manifest = manifest;
    }

    /** Whether {@code path} looks like a package folder (has a manifest). */
    public static boolean isPackage(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(PackageFiles.MANIFEST));
    }

    /**
     * Reads the manifest (checking its digest) and checks every file but the weights' bytes. Runners
     * open packages with {@code ManifestConsistency.open}, which also re-derives the manifest's
     * derivable fields.
     */
    public static CompiledPackage open(Path folder) throws InvalidInputException {
        if (!Files.isDirectory(folder)) {
            throw new InvalidInputException(folder, Files.exists(folder) ? "is not a package folder"
                    : "no such package folder");
        }
        refuseSymbolicLink(folder, PackageFiles.MANIFEST);
        PackageManifest m = ManifestJson.read(folder.resolve(PackageFiles.MANIFEST));
        CompiledPackage p = new CompiledPackage(folder, m);
        p.checkFiles(false);
        return p;
    }

    /** Hashes every file, the weights included, and compares with the manifest. */
    public void verify() throws InvalidInputException {
        if (manifest.version() < ManifestJson.FIRST_WITH_DIGEST) {
            throw new InvalidInputException(folder.resolve(PackageFiles.MANIFEST), "package version "
                    + manifest.version() + " carries no manifest digest, so an edit of its manifest cannot be"
                    + " detected; recompile the package to verify it");
        }
        checkFiles(true);
    }

    private void checkFiles(boolean hashWeights) throws InvalidInputException {
        for (Map.Entry<String, String> e : manifest.files().entrySet()) {
            Path f = folder.resolve(e.getKey());
            refuseSymbolicLink(folder, e.getKey());
            if (!Files.isRegularFile(f)) {
                throw new InvalidInputException(folder, "package file '" + e.getKey() + "' is missing");
            }
            if (e.getKey().equals(manifest.weights().file())) {
                long size = size(f);
                if (size != manifest.weights().bytes()) {
                    throw new InvalidInputException(f, "has " + size + " bytes but the manifest says "
                            + manifest.weights().bytes() + " (truncated or replaced; recompile the package)");
                }
                if (!hashWeights) {
                    continue;
                }
            }
            checkSha(f, e.getValue());
        }
    }

    /**
     * A package holds its own files: a symbolic link could point outside it, at a file that changes after
     * the package was checked (the weights are hashed only by verify), so one is refused. Hard links,
     * which compile makes to a model's weights, are the file itself and are fine.
     */
    private static void refuseSymbolicLink(Path folder, String name) throws InvalidInputException {
        Path f = folder.resolve(name);
        if (Files.isSymbolicLink(f)) {
            String to;
            try {
                to = " (to " + Files.readSymbolicLink(f) + ")";
            } catch (IOException | UnsupportedOperationException e) {
                to = "";
            }
            throw new InvalidInputException(folder, "package file '" + name + "' is a symbolic link" + to
                    + "; a package holds its own files: copy the file in place of the link (cp -L) or recompile");
        }
    }

    private static long size(Path f) throws InvalidInputException {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new InvalidInputException(f, "cannot read: " + e.getMessage());
        }
    }

    private static void checkSha(Path f, String expected) throws InvalidInputException {
        try {
            if (!Sha256.of(f).equals(expected)) {
                throw new InvalidInputException(f, "SHA-256 does not match the manifest (the file was changed or "
                        + "damaged; recompile the package)");
            }
        } catch (IOException e) {
            throw new InvalidInputException(f, "cannot read: " + e.getMessage());
        }
    }

    public Path folder() {
        return folder;
    }

    public PackageManifest manifest() {
        return manifest;
    }

    /** A file of the package by its manifest name. */
    public Path file(String name) {
        return folder.resolve(name);
    }
}
