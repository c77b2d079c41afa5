package dev.l2c.cli;

import dev.l2c.error.UsageException;
import dev.l2c.runtime.OptimizedModelCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code l2c cache list|clear}: ONNX Runtime's optimized forms of linked models that `sample` keeps. */
@Command(name = "cache", description = {
        "Show or empty the cache of ONNX Runtime's optimized linked models (what `sample --ort-cache` keeps).",
        "Every entry is checked against its record (key, source and SHA-256 of its files) when it is used; a bad one "
                + "is discarded and rebuilt. The cache keeps within a size limit, evicting the least recently used "
                + "entries: $" + OptimizedModelCache.LIMIT_ENV + " (bytes, or with K, M, G; default 6G)."},
        subcommands = {CacheCommand.ListEntries.class, CacheCommand.Clear.class})
final class CacheCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    abstract static class Folder {
        @Option(names = "--ort-cache", defaultValue = "auto", paramLabel = "DIR|auto",
                description = "The cache folder: auto ($L2C_CACHE/ort, else $XDG_CACHE_HOME/l2c/ort, else "
                        + "~/.cache/l2c/ort), or the folder given to `sample --ort-cache`.")
        String ortCache;

        Path folder() throws UsageException {
            Path p = dev.l2c.runtime.OptimizedModelCache.folder(ortCache);
            if (p == null) {
                throw new UsageException("--ort-cache off names no cache folder");
            }
            return p;
        }
    }

    @Command(name = "list", description = "List the entries, most recently used first: size, last use, the model "
            + "they were built from, and any problem their record shows (files are hashed only when used).")
    static final class ListEntries extends Folder implements Callable<Integer> {
        @Override
        public Integer call() throws UsageException {
            Path root = folder();
            List<OptimizedModelCache.Entry> entries = OptimizedModelCache.list(root);
            long total = entries.stream().mapToLong(OptimizedModelCache.Entry::bytes).sum();
            System.out.printf(Locale.ROOT, "%s: %d entries, %s of a %s limit%n", root, entries.size(), Units.bytes(total),
                    Units.bytes(OptimizedModelCache.limitBytes()));
            for (OptimizedModelCache.Entry e : entries) {
                System.out.printf(Locale.ROOT, "  %s  %9s  last used %s  %s%s%n", e.folder().getFileName(),
                        Units.bytes(e.bytes()), e.lastUsed().toString().replaceFirst("\\.\\d+Z$", "Z"), e.source(),
                        e.problem() == null ? "" : "  [" + e.problem() + "; rebuilt when next used]");
            }
            return 0;
        }
    }

    @Command(name = "clear", description = "Delete every entry (and temporary entries of runs that were killed); "
            + "nothing else in the folder is touched.")
    static final class Clear extends Folder implements Callable<Integer> {
        @Override
        public Integer call() throws UsageException {
            Path root = folder();
            long freed = OptimizedModelCache.clear(root);
            System.out.printf(Locale.ROOT, "%s: removed %s%n", root, Units.bytes(freed));
            return 0;
        }
    }
}
