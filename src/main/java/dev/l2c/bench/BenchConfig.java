package dev.l2c.bench;

import java.nio.file.Path;

/**
 * One configuration a benchmark times: the plain model loop at some NFE, or a schedule compiled
 * into a package.
 *
 * @param name     label in tables and charts
 * @param schedule the schedule file, or null for the plain loop
 * @param nfe      evaluations of the plain loop (a schedule carries its own)
 */
public record BenchConfig(String name, Path schedule, int nfe) {

    public static BenchConfig plain(String name, int nfe) {
        return new BenchConfig(name, null, nfe);
    }

    public static BenchConfig schedule(String name, Path file) {
        return new BenchConfig(name, file, -1);
    }

    public boolean isPlain() {
        return schedule == null;
    }
}
