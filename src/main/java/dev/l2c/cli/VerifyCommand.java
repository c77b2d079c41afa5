package dev.l2c.cli;

import dev.l2c.compiler.ManifestConsistency;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code l2c verify PKG}: every file of a package against the SHA-256 its manifest lists. */
@Command(name = "verify", description = {
        "Check a package: its manifest, and every file it lists (graphs, schedule, and the weights, all of "
                + "whose bytes are read) against its SHA-256.",
        "Exit 0 when all match; 3 with the first file that does not."})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PKG", description = "A package folder made by `l2c compile`.")
    Path target;

    @Override
    public Integer call() throws L2cException {
        if (!CompiledPackage.isPackage(target)) {
            throw new InvalidInputException(target, Files.isDirectory(target)
                    ? "is a folder without " + PackageFiles.MANIFEST + ": not an l2c package"
                    : "is not a package folder");
        }
        long t0 = System.nanoTime();
        CompiledPackage pkg = ManifestConsistency.open(target);
        pkg.verify();
        PackageManifest m = pkg.manifest();
        System.out.printf(Locale.ROOT, "%s: %s package, manifest digest and derived fields consistent, %d files match their SHA-256 (weights %s) in %.2f s%n", target,
                m.kind().jsonName, m.files().size(), Units.bytes(m.weights().bytes()), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
