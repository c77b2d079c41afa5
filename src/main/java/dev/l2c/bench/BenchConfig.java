package dev.l2c.bench;

import dev.l2c.runtime.MemoryPolicy;
import dev.l2c.runtime.OrtRuntime;

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
 * @param linked   whether the schedule is compiled into one linked model instead of step graphs
 * @param memory   the memory policy of this configuration, or null for the benchmark's
 */
public record BenchConfig(String name, Path schedule, int nfe, boolean fewerStepsCurve, boolean linked,
                          MemoryPolicy memory) {

    public static BenchConfig plain(String name, int nfe) {
        return new BenchConfig(name, null, nfe, true, false, null);
    }

    /** The schedule compiled into a stepwise package. */
    public static BenchConfig schedule(String name, Path file) {
        return new BenchConfig(name, file, -1, false, false, null);
    }

    /** The schedule compiled into a linked model of the whole run. */
    public static BenchConfig linked(String name, Path file) {
        return new BenchConfig(name, file, -1, false, true, null);
    }

    public BenchConfig onFewerStepsCurve() {
        return new BenchConfig(name, schedule, nfe, true, linked, memory);
    }

    /** This configuration under its own memory policy (stepwise packages), named {@code name}. */
    public BenchConfig withMemory(String newName, MemoryPolicy policy) {
        return new BenchConfig(newName, schedule, nfe, fewerStepsCurve, linked, policy);
    }

    public boolean isPlain() {
        return schedule == null;
    }
}
