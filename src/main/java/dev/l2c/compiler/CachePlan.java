package dev.l2c.compiler;

import dev.l2c.schedule.Forecast;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The data flow of cached branch values through a schedule, computed once and read by the compiler,
 * the manifest and the runner. For each step: which layers it takes from caches and how (plain reuse
 * of the most recent computed value, or a {@link Forecast} over the last K computed values: which
 * earlier steps produced each), which freshly computed layers it must hand on (and the last step
 * that reads each). Only live values are wired: a layer is output only if a later step reads it, and
 * a value stays alive exactly until the last step whose forecast (or reuse) reads it.
 *
 * <p>A reused layer takes the value from the most recent step that computed it, which is what
 * L2C's reference code does (its cache tuple keeps the last value of each branch). Immutable.
 */
public final class CachePlan {

    /** One cached value: layer {@code layer} computed at {@code producedAt}, last read at {@code lastReadAt}. */
    public record Lifetime(int layer, int producedAt, int lastReadAt) {
    }

    /**
     * One cache tensor a step reads: the {@code history}-th most recent computed value of {@code layer}
     * (0: the latest), produced at step {@code fromStep}, entering the step's forecast with {@code weight}.
     */
    public record CacheRead(int layer, int history, int fromStep, double weight) {
    }

    /**
     * @param step      evaluation index
     * @param full      every layer computed
     * @param computed  layers computed, ascending
     * @param reads     layers taken from caches, ascending
     * @param readFrom  for each entry of {@code reads}, the step that produced its most recent value
     * @param forecasts for each entry of {@code reads}, how its value is formed from its history
     * @param inputs    every cache tensor read, by layer, then history (most recent first)
     * @param writes    computed layers a later step reads, ascending
     * @param liveAfter cached values alive after this step (written here or earlier, read later)
     */
    public record Step(int step, boolean full, int[] computed, int[] reads, int[] readFrom, Forecast[] forecasts,
                       List<CacheRead> inputs, int[] writes, List<Lifetime> liveAfter) {
        public Step {
            inputs = List.copyOf(inputs);
            liveAfter = List.copyOf(liveAfter);
        }

        /**
         * Whether this step runs the same graph as {@code other}: the same reads, forecasts (their
         * weights are constants of the graph) and writes.
         */
        public boolean sameGraphAs(Step other) {
            return Arrays.equals(reads, other.reads) && Arrays.equals(writes, other.writes)
                    && Arrays.equals(forecasts, other.forecasts);
        }

        /** The forecast of read layer {@code layer}. */
        public Forecast forecastOf(int layer) {
            int i = Arrays.binarySearch(reads, layer);
            if (i < 0) {
                throw new IllegalArgumentException("step " + step + " does not read layer " + layer);
            }
            return forecasts[i];
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

    /** Plans the cache flow of a reuse-only schedule given as {@code computes[step][layer]}. */
    public static CachePlan of(boolean[][] computes) {
        return of(computes, null);
    }

    /**
     * Plans the cache flow of a schedule given as {@code computes[step][layer]} and, for layers not
     * computed, {@code forecasts[step][layer]} (null, or a null entry: plain reuse).
     *
     * @throws IllegalArgumentException when a step reuses a layer no earlier step computed (the first
     *                                  step must be full), or forecasts from more values than exist
     */
    public static CachePlan of(boolean[][] computes, Forecast[][] forecasts) {
        int nSteps = computes.length;
        int nLayers = nSteps == 0 ? 0 : computes[0].length;
        List<List<Integer>> producers = new ArrayList<>();
        for (int j = 0; j < nLayers; j++) {
            producers.add(new ArrayList<>());
        }
        int[][] lastRead = new int[nSteps][nLayers];
        for (int[] row : lastRead) {
            Arrays.fill(row, -1);
        }
        List<int[]> reads = new ArrayList<>();
        List<int[]> readFrom = new ArrayList<>();
        List<Forecast[]> stepForecasts = new ArrayList<>();
        List<List<CacheRead>> inputs = new ArrayList<>();
        for (int k = 0; k < nSteps; k++) {
            List<Integer> r = new ArrayList<>();
            List<Integer> from = new ArrayList<>();
            List<Forecast> fs = new ArrayList<>();
            List<CacheRead> in = new ArrayList<>();
            for (int j = 0; j < nLayers; j++) {
                List<Integer> history = producers.get(j);
                if (computes[k][j]) {
                    continue;
                }
                Forecast f = forecasts == null || forecasts[k][j] == null ? Forecast.REUSE : forecasts[k][j];
                if (history.size() < f.history()) {
                    throw new IllegalArgumentException(history.isEmpty()
                            ? "step " + k + " reuses layer " + j + ", which no earlier step computed (the first step must be full)"
                            : "step " + k + " forecasts layer " + j + " from " + f.history() + " computed values, but only "
                            + history.size() + " earlier steps computed it");
                }
                r.add(j);
                fs.add(f);
                from.add(history.get(history.size() - 1));
                for (int h = 0; h < f.history(); h++) {
                    int producer = history.get(history.size() - 1 - h);
                    in.add(new CacheRead(j, h, producer, f.weight(h)));
                    lastRead[producer][j] = k;
                }
            }
            for (int j = 0; j < nLayers; j++) {
                if (computes[k][j]) {
                    producers.get(j).add(k);
                }
            }
            reads.add(r.stream().mapToInt(Integer::intValue).toArray());
            readFrom.add(from.stream().mapToInt(Integer::intValue).toArray());
            stepForecasts.add(fs.toArray(new Forecast[0]));
            inputs.add(in);
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
                    readFrom.get(k), stepForecasts.get(k), inputs.get(k),
                    writes.stream().mapToInt(Integer::intValue).toArray(), live));
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
