/**
 * The compiled package format, apart from the compiler that writes it: the file names
 * ({@link dev.l2c.pkg.PackageFiles}), the typed manifest ({@link dev.l2c.pkg.PackageManifest}) and its JSON
 * form ({@link dev.l2c.pkg.ManifestJson}), and a package folder checked against its manifest
 * ({@link dev.l2c.pkg.CompiledPackage}). The runtime, inspect and bench read packages through this
 * package only.
 */
package dev.l2c.pkg;
