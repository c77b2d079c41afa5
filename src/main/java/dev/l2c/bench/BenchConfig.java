package dev.l2c.bench;

import java.nio.file.Path;

/**
 * One configuration a benchmark times: the plain model loop at some NFE, or a schedule compiled
 * into a package.
 *
 * @param name     label in tables and charts
 * @param schedule the schedule file, or null for the plain loop
 * @param nfe      evaluations of the plain loop (a schedule carries its own)
 * @param fewerStepsCurve whether the configuration is "every step full" at some NFE: a point of the
 *                 fewer-steps curve the cache schedules are compared with
 */
public record BenchConfig(String name, Path schedule, int nfe, boolean fewerStepsCurve) {

    public static BenchConfig plain(String name, int nfe) {
        return new BenchConfig(name, null, nfe, true);
    }

    public static BenchConfig schedule(String name, Path file) {
        return new BenchConfig(name, file, -1, false);
    }

    public BenchConfig onFewerStepsCurve() {
        return new BenchConfig(name, schedule, nfe, true);
    }

    public boolean isPlain() {
        return schedule == null;
    }
}
