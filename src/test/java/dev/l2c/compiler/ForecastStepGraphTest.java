package dev.l2c.compiler;

import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CacheNames;
import dev.l2c.schedule.Forecast;
import dev.l2c.testing.OrtTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One compiled forecast step of the demo DiT against the same forecast computed directly: the branch
 * values come from the plain model (every branch exposed) at three earlier timesteps; the forecast is
 * formed in Java in float32 and fed to the reuse graph of the same step. Same inputs, so the only
 * difference left is where the forecast's arithmetic happens.
 */
class ForecastStepGraphTest {

    @Test
    void theCompiledForecastEqualsTheForecastComputedInJava(@TempDir Path tmp) throws Exception {
        LoadedModel dit = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        ModelCard card = dit.card();
        int layers = dit.layers().size();
        int[] all = new int[layers];
        Arrays.setAll(all, j -> j);
        // the probe: every branch value an output (a graph that reads nothing and writes every layer)
        Path probe = OrtTesting.write(CacheStepGraph.build(dit.onnx(), dit.layers(), new int[0], all).model(),
                tmp.resolve("probe.onnx"));
        OrtTesting.Floats x = OrtTesting.randomFloats(7, 2, 1, 28, 28);
        OrtTesting.Longs y = new OrtTesting.Longs(new long[]{3, 10}, 2);
        long[] times = {999, 946, 893, 841};
        Map<String, float[]>[] history = new Map[3];
        for (int i = 0; i < 3; i++) {
            // history[0] is the most recent (t = 893), history[2] the oldest (t = 999)
            history[2 - i] = OrtTesting.run(probe, Map.of(card.sampleInput(), x, card.timestepInput(),
                    new OrtTesting.Longs(new long[]{times[i], times[i]}, 2), card.labelInput(), y));
        }
        Forecast quadratic = Forecast.polynomial(new double[]{893, 946, 999}, 841);
        Forecast[] forecasts = new Forecast[layers];
        Arrays.fill(forecasts, quadratic);
        forecasts[5] = Forecast.of(2, -1);
        forecasts[6] = Forecast.REUSE;
        Path compiled = OrtTesting.write(CacheStepGraph.build(dit.onnx(), dit.layers(), all, forecasts, new int[0]).model(),
                tmp.resolve("forecast.onnx"));
        Path reuse = OrtTesting.write(CacheStepGraph.build(dit.onnx(), dit.layers(), all, new int[0]).model(),
                tmp.resolve("reuse.onnx"));

        OrtTesting.Longs t = new OrtTesting.Longs(new long[]{times[3], times[3]}, 2);
        Map<String, Object> compiledInputs = new HashMap<>(Map.of(card.sampleInput(), x, card.timestepInput(), t,
                card.labelInput(), y));
        Map<String, Object> directInputs = new HashMap<>(compiledInputs);
        for (int j = 0; j < layers; j++) {
            String name = CacheNames.of(j);
            long[] shape = dit.layers().layer(j).type().shape().evaluate(2);
            float[] direct = new float[history[0].get(name).length];
            for (int e = 0; e < direct.length; e++) {
                float f = (float) forecasts[j].weight(0) * history[0].get(name)[e];
                for (int i = 1; i < forecasts[j].history(); i++) {
                    f = f + (float) forecasts[j].weight(i) * history[i].get(name)[e];
                }
                direct[e] = f;
            }
            directInputs.put(name, new OrtTesting.Floats(direct, shape));
            for (int i = 0; i < forecasts[j].history(); i++) {
                compiledInputs.put(CacheNames.of(j, i), new OrtTesting.Floats(history[i].get(name), shape));
            }
        }
        float[] fromGraph = OrtTesting.run(compiled, compiledInputs).get(card.output());
        float[] fromJava = OrtTesting.run(reuse, directInputs).get(card.output());
        float diff = OrtTesting.maxAbsDiff(fromGraph, fromJava);
        System.out.printf("compiled forecast step vs Java forecast: max|d| = %.3g%n", diff);
        assertTrue(diff <= 1e-6f, "compiled forecast vs direct: max |Δ| = " + diff);
        // the forecast is not a no-op: reusing the most recent values instead moves the output
        Map<String, Object> reused = new HashMap<>(directInputs);
        for (int j = 0; j < layers; j++) {
            reused.put(CacheNames.of(j), compiledInputs.get(CacheNames.of(j)));
        }
        float moved = OrtTesting.maxAbsDiff(fromGraph, OrtTesting.run(reuse, reused).get(card.output()));
        assertTrue(moved > 1e-3f, "reuse and forecast differ by only " + moved);
        assertEquals(fromGraph.length, 2 * 28 * 28);
    }
}
