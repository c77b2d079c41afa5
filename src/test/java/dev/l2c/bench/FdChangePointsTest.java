package dev.l2c.bench;

import dev.l2c.metrics.FdBootstrap;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The FD-change chart draws each configuration's paired excess over the reference, in percent. */
class FdChangePointsTest {
    @Test
    void theReferenceSitsAtZeroAndTheOthersAtTheirPairedExcessInPercent() throws Exception {
        BenchResult full = result(BenchConfig.plain("full", 20), 400, null);
        BenchResult learned = result(BenchConfig.schedule("learned-r35", Path.of("s.json")), 260,
                new BenchResult.FdComparison("full", new FdBootstrap.Interval(8, 6, 10, 0.95),
                        new FdBootstrap.Interval(0.02, 0.015, 0.025, 0.95)));
        BenchResult noFd = new BenchResult(BenchConfig.plain("steps-10", 10), 10, 1, 1, 200, 400, new double[]{1},
                1, Double.NaN, 0, new float[0], 0, new float[0], BenchResult.Quality.NONE, 0);
        Benchmark.Settings s = new Benchmark.Settings(1, 1f, 0, 1, 0, null, "ddim", false, 10, 10, null, Set.of(),
                10, List.of(), null);

        List<FdComputeChart.Point> points = BenchReport.fdChangePoints(List.of(full, learned, noFd), s);

        assertEquals(2, points.size(), "a configuration without FD is left out");
        FdComputeChart.Point ref = points.get(0);
        assertEquals(List.of(0.0, 0.0, 0.0, 0.0), List.of(ref.removed(), ref.fd(), ref.low(), ref.high()));
        FdComputeChart.Point l = points.get(1);
        assertEquals(0.35, l.removed(), 1e-12);
        assertEquals(2.0, l.fd(), 1e-12);
        assertEquals(1.5, l.low(), 1e-12);
        assertEquals(2.5, l.high(), 1e-12);
    }

    private static BenchResult result(BenchConfig c, long layerEvaluations, BenchResult.FdComparison vsReference) {
        var intervals = new BenchResult.FdIntervals(new FdBootstrap.Interval(100, 95, 105, 0.95), vsReference, null,
                new TreeMap<>());
        return new BenchResult(c, 20, 1, 1, layerEvaluations, 400, new double[]{1}, 1, Double.NaN, 0, new float[0], 0,
                new float[0], new BenchResult.Quality(30, 0.1, 100, 10, 2, intervals), 0);
    }
}
