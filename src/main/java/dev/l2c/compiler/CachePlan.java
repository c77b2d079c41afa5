package dev.l2c.compiler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The data flow of cached branch values through a schedule, computed once and read by the compiler,
 * the manifest and the runner. For each step: which layers it reads from a cache (and which earlier
 * step produced each), which freshly computed layers it must hand on (and the last step that reads
 * each). Only live values are wired: a layer is output only if a later step reads it.
 *
 * <p>A reused layer takes the value from the most recent step that computed it, which is what
 * L2C's reference code does (its cache tuple keeps the last value of each branch). Immutable.
 */
public final class CachePlan {

    /** One cached value: layer {@code layer} computed at {@code producedAt}, last read at {@code lastReadAt}. */
    public record Lifetime(int layer, int producedAt, int lastReadAt) {
    }

    /**
     * @param step     evaluation index
     * @param full     every layer computed
     * @param computed layers computed, ascending
     * @param reads    layers taken from a cache, ascending
     * @param readFrom for each entry of {@code reads}, the step that produced the value
     * @param writes   computed layers a later step reads, ascending
     * @param liveAfter cached values alive after this step (written here or earlier, read later)
     */
    public record Step(int step, boolean full, int[] computed, int[] reads, int[] readFrom, int[] writes,
                       List<Lifetime> liveAfter) {
        /** Whether the graph of this step is the same as that of {@code other} (same reads and writes). */
        public boolean sameGraphAs(Step other) {
            return Arrays.equals(reads, other.reads) && Arrays.equals(writes, other.writes);
        }
    }

    private final int layers;
    private final List<Step> steps;
    private final List<Lifetime> lifetimes;

    private CachePlan(int layers, List<Step> steps, List<Lifetime> lifetimes) {
        this.layers = layers;
        this.steps = List.copyOf(steps);
        this.lifetimes = List.copyOf(lifetimes);
    }

    /**
     * Plans the cache flow of a schedule given as {@code computes[step][layer]}.
     *
     * @throws IllegalArgumentException when step 0 does not compute every layer (nothing to reuse)
     */
    public static CachePlan of(boolean[][] computes) {
        int nSteps = computes.length;
        int nLayers = nSteps == 0 ? 0 : computes[0].length;
        int[] lastProducer = new int[nLayers];
        Arrays.fill(lastProducer, -1);
        int[][] lastRead = new int[nSteps][nLayers];
        for (int[] row : lastRead) {
            Arrays.fill(row, -1);
        }
        List<int[]> reads = new ArrayList<>();
        List<int[]> readFrom = new ArrayList<>();
        for (int k = 0; k < nSteps; k++) {
            List<Integer> r = new ArrayList<>();
            List<Integer> from = new ArrayList<>();
            for (int j = 0; j < nLayers; j++) {
                if (computes[k][j]) {
                    lastProducer[j] = k;
                } else {
                    if (lastProducer[j] < 0) {
                        throw new IllegalArgumentException("step " + k + " reuses layer " + j
                                + ", which no earlier step computed (the first step must be full)");
                    }
                    r.add(j);
                    from.add(lastProducer[j]);
                    lastRead[lastProducer[j]][j] = k;
                }
            }
            reads.add(r.stream().mapToInt(Integer::intValue).toArray());
            readFrom.add(from.stream().mapToInt(Integer::intValue).toArray());
        }
        List<Lifetime> lifetimes = new ArrayList<>();
        for (int k = 0; k < nSteps; k++) {
            for (int j = 0; j < nLayers; j++) {
                if (lastRead[k][j] >= 0) {
                    lifetimes.add(new Lifetime(j, k, lastRead[k][j]));
                }
            }
        }
        List<Step> steps = new ArrayList<>();
        for (int k = 0; k < nSteps; k++) {
            List<Integer> computed = new ArrayList<>();
            List<Integer> writes = new ArrayList<>();
            boolean full = true;
            for (int j = 0; j < nLayers; j++) {
                if (computes[k][j]) {
                    computed.add(j);
                    if (lastRead[k][j] >= 0) {
                        writes.add(j);
                    }
                } else {
                    full = false;
                }
            }
            final int step = k;
            List<Lifetime> live = lifetimes.stream()
                    .filter(l -> l.producedAt() <= step && l.lastReadAt() > step).toList();
            steps.add(new Step(k, full, computed.stream().mapToInt(Integer::intValue).toArray(), reads.get(k),
                    readFrom.get(k), writes.stream().mapToInt(Integer::intValue).toArray(), live));
        }
        return new CachePlan(nLayers, steps, lifetimes);
    }

    public int layers() {
        return layers;
    }

    public List<Step> steps() {
        return steps;
    }

    public Step step(int k) {
        return steps.get(k);
    }

    public List<Lifetime> lifetimes() {
        return lifetimes;
    }

    /** Layer evaluations computed over the whole schedule. */
    public long layerEvaluations() {
        long n = 0;
        for (Step s : steps) {
            n += s.computed().length;
        }
        return n;
    }

    /**
     * Cached values alive while step {@code k} runs: those it reads, those it writes, and those
     * written earlier and read later. This is what must be resident during the step.
     */
    public List<Lifetime> liveDuring(int k) {
        List<Lifetime> live = new ArrayList<>();
        for (Lifetime l : lifetimes) {
            boolean readHereOrLater = l.producedAt() < k && l.lastReadAt() >= k;
            boolean writtenHere = l.producedAt() == k;
            if (readHereOrLater || writtenHere) {
                live.add(l);
            }
        }
        return live;
    }
}
