package dev.l2c.sampler;

import dev.l2c.error.L2cException;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DdimTest {
    private static final NoiseSchedule DIT = NoiseSchedule.linear(1000, 1e-4, 0.02);

    // Expected lists printed by python3 + numpy:
    //   sorted(set(int(round(x)) for x in np.linspace(0, 999, N)))
    @Test
    void respacedTimestepsForTwentyStepsMatchPython() {
        assertArrayEquals(new int[] {0, 53, 105, 158, 210, 263, 315, 368, 421, 473, 526, 578, 631, 684, 736, 789,
            841, 894, 946, 999}, Ddim.respacedTimesteps(1000, 20));
    }

    @Test
    void respacedTimestepsForFiftyStepsMatchPython() {
        assertArrayEquals(new int[] {0, 20, 41, 61, 82, 102, 122, 143, 163, 183, 204, 224, 245, 265, 285, 306, 326,
            347, 367, 387, 408, 428, 449, 469, 489, 510, 530, 550, 571, 591, 612, 632, 652, 673, 693, 714, 734, 754,
            775, 795, 816, 836, 856, 877, 897, 917, 938, 958, 979, 999}, Ddim.respacedTimesteps(1000, 50));
    }

    @Test
    void respacedTimestepsRoundHalfToEvenLikePython() {
        // linspace(0, 999, 7) = 0, 166.5, 333, 499.5, 666, 832.5, 999: Python rounds 166.5 → 166, 499.5 → 500,
        // 832.5 → 832, where round-half-up would give 167, 500, 833.
        assertArrayEquals(new int[] {0, 166, 333, 500, 666, 832, 999}, Ddim.respacedTimesteps(1000, 7));
        // N = 19 has ties on both sides: 55.5 → 56, 166.5 → 166, 277.5 → 278, 388.5 → 388, ...
        assertArrayEquals(new int[] {0, 56, 111, 166, 222, 278, 333, 388, 444, 500, 555, 610, 666, 722, 777, 832,
            888, 944, 999}, Ddim.respacedTimesteps(1000, 19));
    }

    @Test
    void respacedTimestepsAtTheExtremes() {
        assertArrayEquals(new int[] {0}, Ddim.respacedTimesteps(1000, 1));
        assertArrayEquals(new int[] {0, 999}, Ddim.respacedTimesteps(1000, 2));
        assertEquals(1000, Ddim.respacedTimesteps(1000, 1000).length);
    }

    @Test
    void modelTimesAreTheRespacedTimestepsFromHighToLow() {
        Ddim ddim = new Ddim(DIT, 7, true);
        assertArrayEquals(new double[] {999, 832, 666, 500, 333, 166, 0}, ddim.modelTimes());
        assertEquals(7, ddim.evaluations());
        assertEquals("ddim", ddim.name());
        assertEquals("dit-ddim", ddim.schedulePattern());
    }

    @Test
    void timestepsMatchTheFp32Reference() throws IOException {
        Path npz = SharedData.require("models/dit_reference_l2c_ddim20.npz");
        long[] reference = readInt64Npy(npz, "timesteps.npy");
        int[] ours = Ddim.respacedTimesteps(1000, 20);
        assertEquals(reference.length, ours.length);
        for (int i = 0; i < ours.length; i++) {
            assertEquals(reference[i], ours[i], "timestep " + i);
        }
    }

    /** One DDIM update from ᾱ = {@code alphaBar} to {@code alphaBarPrev} of {@code x}, ε given. */
    private static float[] oneStep(float[] x, float[] eps, double alphaBar, double alphaBarPrev, ClipRange clip)
            throws L2cException {
        SamplingPlan plan = new SamplingPlan("ddim", List.of(Ddim.evaluation(0, 500, alphaBar, alphaBarPrev)), clip);
        return plan.run(x, (e, z, t) -> eps, StepObserver.NONE);
    }

    @Test
    void oneStepByHand() throws L2cException {
        // ᾱ_t = 0.64 (√ = 0.8, √(1−ᾱ) = 0.6), ᾱ_prev = 0.36 (√ = 0.6, √(1−ᾱ) = 0.8).
        //   x = 0.5,  ε = 0.1:  x0 = (0.5 − 0.06)/0.8 = 0.55;  x_prev = 0.6·0.55 + 0.8·0.1 = 0.41
        //   x = −0.7, ε = −0.5: x0 = (−0.7 + 0.3)/0.8 = −0.5; x_prev = −0.3 − 0.4 = −0.7
        //   x = 2.0,  ε = 0.1:  x0 = 2.425 (unclipped): x_prev = 1.455 + 0.08 = 1.535
        float[] x = {0.5f, -0.7f, 2.0f};
        float[] eps = {0.1f, -0.5f, 0.1f};
        assertArrayEquals(new float[] {0.41f, -0.7f, 1.535f}, oneStep(x, eps, 0.64, 0.36, null), 1e-6f);
    }

    @Test
    void oneStepByHandWithClipping() throws L2cException {
        // x = 2.0, ε = 0.1: x0 = 2.425 → clipped to 1; ε recomputed = (2.0 − 0.8·1)/0.6 = 2.0;
        //   x_prev = 0.6·1 + 0.8·2.0 = 2.2. Elements with |x0| ≤ 1 are unchanged by clipping.
        float[] x = {0.5f, -0.7f, 2.0f};
        float[] eps = {0.1f, -0.5f, 0.1f};
        assertArrayEquals(new float[] {0.41f, -0.7f, 2.2f}, oneStep(x, eps, 0.64, 0.36, ClipRange.UNIT), 1e-6f);
    }

    @Test
    void clippingHonoursTheGivenRange() throws L2cException {
        // The card's range, not [−1, 1]: with [0, 0.5] the x0 of 0.55 is clipped to 0.5 and that of −0.5 to 0:
        //   x = 0.5:  ε = (0.5 − 0.8·0.5)/0.6 = 1/6;  x_prev = 0.6·0.5 + 0.8/6 = 0.43333
        //   x = −0.7: ε = −0.7/0.6;                  x_prev = 0 + 0.8·(−0.7/0.6) = −0.93333
        float[] x = {0.5f, -0.7f};
        float[] eps = {0.1f, -0.5f};
        assertArrayEquals(new float[] {0.3f + 0.8f / 6, -0.8f * 0.7f / 0.6f},
                oneStep(x, eps, 0.64, 0.36, new ClipRange(0, 0.5)), 1e-6f);
    }

    @Test
    void fullRunVisitsHighToLowAndEndsAtAlphaBarOne() throws L2cException {
        // T = 2 with ᾱ_0 = 0.64, ᾱ_1 = 0.36; the model returns 0.5 at t = 1 and 0.25 at t = 0.
        //   step t=1: x0 = (1 − 0.8·0.5)/0.6 = 1;       x = 0.8·1 + 0.6·0.5 = 1.1
        //   step t=0: x0 = (1.1 − 0.6·0.25)/0.8 = 1.1875; ᾱ_prev = 1, so x = x0 = 1.1875
        NoiseSchedule tiny = NoiseSchedule.fromBetas("tiny", new double[] {0.36, 0.4375});
        List<String> calls = new ArrayList<>();
        NoisePredictor model = (evaluation, x, t) -> {
            calls.add(evaluation + "@" + t);
            return new float[] {t == 1.0 ? 0.5f : 0.25f};
        };
        List<String> progress = new ArrayList<>();
        float[] out = new Ddim(tiny, 2, false).sample(new float[] {1.0f}, model,
                (e, total) -> progress.add(e + "/" + total));
        assertEquals(1.1875f, out[0], 1e-6f);
        assertEquals(List.of("0@1.0", "1@0.0"), calls);
        assertEquals(List.of("0/2", "1/2"), progress);
        // With clipping the last x0 (1.1875) is clipped, and the result is that clipped x0.
        assertEquals(1.0f, new Ddim(tiny, 2, true).sample(new float[] {1.0f}, model, StepObserver.NONE)[0], 0f);
    }

    @Test
    void sampleDoesNotModifyTheInitialNoise() throws L2cException {
        float[] xT = {0.3f, -0.2f};
        new Ddim(DIT, 5, true).sample(xT, (e, x, t) -> new float[] {0.1f, 0.1f}, StepObserver.NONE);
        assertArrayEquals(new float[] {0.3f, -0.2f}, xT, 0f);
    }

    @Test
    void aPredictorReturningTheWrongLengthIsABrokenInvariant() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Ddim(DIT, 5, false)
                .sample(new float[4], (ev, x, t) -> new float[3], StepObserver.NONE));
        assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("4 values"), e.getMessage());
    }

    @Test
    void agreesWithFloat32ArithmeticOfTheReference() throws L2cException {
        // The PyTorch reference rounds every operation to float32, with the double coefficients rounded to
        // float32 too. Emulate that op by op for DDIM-20 with clipping and compare with our double-per-element
        // update: they must agree far inside the 1e-3 budget the exactness check allows.
        Random r = new Random(5);
        float[] xT = new float[256];
        for (int i = 0; i < xT.length; i++) {
            xT[i] = (float) r.nextGaussian();
        }
        NoisePredictor model = (e, x, t) -> {
            float[] eps = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                eps[i] = (float) (0.9 * x[i] + 0.2 * Math.sin(i + t / 100.0));
            }
            return eps;
        };
        Ddim ddim = new Ddim(DIT, 20, true);
        float[] ours = ddim.sample(xT, model, StepObserver.NONE);

        float[] x = xT.clone();
        int[] ts = ddim.timesteps();
        for (int k = 0; k < ts.length; k++) {
            double a = DIT.alphaBar(ts[k]);
            double ap = k + 1 < ts.length ? DIT.alphaBar(ts[k + 1]) : 1.0;
            float c1 = (float) Math.sqrt(1 - a);
            float c2 = (float) Math.sqrt(a);
            float c3 = (float) Math.sqrt(ap);
            float c4 = (float) Math.sqrt(1 - ap);
            float[] eps = model.predictNoise(k, x, ts[k]);
            for (int i = 0; i < x.length; i++) {
                float x0 = Math.max(-1f, Math.min(1f, (x[i] - c1 * eps[i]) / c2));
                float e = (x[i] - c2 * x0) / c1;
                x[i] = c3 * x0 + c4 * e;
            }
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], ours[i], 1e-5, "element " + i);
        }
    }

    /** The values of a little-endian int64 array stored as {@code entry} in an uncompressed npz. */
    private static long[] readInt64Npy(Path npz, String entry) throws IOException {
        try (InputStream in = Files.newInputStream(npz); ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.getName().equals(entry)) {
                    continue;
                }
                ByteBuffer b = ByteBuffer.wrap(zip.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
                b.position(8); // magic "\x93NUMPY" and version 1.0
                int headerLength = Short.toUnsignedInt(b.getShort());
                byte[] header = new byte[headerLength];
                b.get(header);
                String h = new String(header, StandardCharsets.US_ASCII);
                assertTrue(h.contains("'<i8'"), "expected int64 data in " + entry + ": " + h);
                long[] values = new long[b.remaining() / 8];
                for (int i = 0; i < values.length; i++) {
                    values[i] = b.getLong();
                }
                return values;
            }
        }
        throw new IOException(npz + " has no entry " + entry);
    }
}
