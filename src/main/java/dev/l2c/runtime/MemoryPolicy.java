package dev.l2c.runtime;

import dev.l2c.error.UsageException;

import java.util.Locale;

/**
 * How sessions use memory when several step graphs share weights: the one place where a policy's
 * meaning is decided ({@link #setup}). A single graph always runs with ONNX Runtime's defaults
 * (nothing is shared, so there is nothing to save).
 * <ul>
 * <li>SPEED: ONNX Runtime's defaults: each session prepacks its weights (a private copy in a faster
 *     layout) and keeps its own memory arena sized for its activations. Memory grows with every
 *     session, weights included.</li>
 * <li>BALANCED: no prepacking and (on the CPU) one memory mapping of the weights handed to every
 *     session: weights resident once; each session keeps its arena, so activation memory grows with
 *     the number of step graphs, but steps run at full speed.</li>
 * <li>LEAN: as BALANCED, and no per-session arena either: activations are freed after each step, so
 *     memory does not grow with the number of step graphs. Allocating without an arena costs page
 *     faults: measured on the demo DiT, a cache step takes about a third longer.</li>
 * <li>AUTO: SPEED for a single graph; for several, BALANCED when one arena per graph fits
 *     {@link #AUTO_ARENA_BUDGET_BYTES}, else LEAN (issue 25: BALANCED realized 95 % of the ideal speedup
 *     where LEAN realized 86 %).</li>
 * </ul>
 */
public enum MemoryPolicy {
    AUTO, SPEED, BALANCED, LEAN;

    /**
     * Activation memory AUTO lets the arenas of a stepwise package take in all (one per step graph) before
     * it falls back to LEAN: 1 GiB, the activation budget the batch size is chosen for.
     */
    public static final long AUTO_ARENA_BUDGET_BYTES = 1L << 30;

    /** The help text of {@code --memory}, shared by every command that takes it. */
    public static final String HELP = "speed (prepacked weights and a memory arena per session), balanced (weights "
            + "mapped once for all sessions, an arena per session), lean (weights mapped once, no arenas: memory does not "
            + "grow with the number of step graphs), auto (speed for one graph; balanced for several when their arenas "
            + "fit 1 GiB of activations, else lean).";

    /**
     * What sessions do under this policy.
     *
     * @param policy        the policy that applies (AUTO resolved)
     * @param prepacking    each session keeps its own prepacked copy of the weights
     * @param arena         each session keeps a memory arena for its activations
     * @param mappedWeights the weights are memory-mapped once and handed to every session (CPU only)
     */
    public record SessionSetup(MemoryPolicy policy, boolean prepacking, boolean arena, boolean mappedWeights) {
    }

    /**
     * The setup for {@code graphs} sessions sharing one weights file on {@code provider}, each graph's
     * activations predicted at {@code arenaBytesPerGraph} (0 when unknown: AUTO then takes LEAN).
     */
    public SessionSetup setup(int graphs, OrtRuntime.Provider provider, long arenaBytesPerGraph) {
        if (graphs <= 1) {
            return new SessionSetup(this == AUTO ? SPEED : this, true, true, false);
        }
        MemoryPolicy resolved = this != AUTO ? this
                : arenaBytesPerGraph > 0 && arenaBytesPerGraph <= AUTO_ARENA_BUDGET_BYTES / graphs ? BALANCED : LEAN;
        boolean cpu = provider == OrtRuntime.Provider.CPU;
        return switch (resolved) {
            case SPEED -> new SessionSetup(SPEED, true, true, false);
            case BALANCED -> new SessionSetup(BALANCED, false, true, cpu);
            case LEAN -> new SessionSetup(LEAN, false, false, cpu);
            case AUTO -> throw new AssertionError("resolved above");
        };
    }

    /** The policy {@code --memory} names. */
    public static MemoryPolicy parse(String word) throws UsageException {
        for (MemoryPolicy p : values()) {
            if (p.word().equals(word.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new UsageException("--memory must be auto, speed, balanced or lean, not '" + word + "'");
    }

    /** A policy to compare (bench, memory-bench): speed, balanced or lean; AUTO is refused, it is no policy of its own. */
    public static MemoryPolicy parseExplicit(String word, String option) throws UsageException {
        for (MemoryPolicy p : values()) {
            if (p != AUTO && p.word().equals(word.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new UsageException(option + " takes speed, balanced and lean, not '" + word + "'");
    }

    /** The word on the command line. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
