package dev.l2c.spark;

import dev.l2c.pkg.CompiledPackage;
import dev.l2c.runtime.OrtRuntime;
import dev.l2c.runtime.SampleGenerators;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What the job's determinism rests on: at a fixed batch size, a request's sample does not depend on the
 * other requests in its batch, on its place there, or on how many places are padding (stepwise and
 * linked packages of the embedded DiT, guided).
 */
class PaddedBatchTest {

    @ParameterizedTest(name = "linked={0}")
    @ValueSource(booleans = {false, true})
    void aRequestAloneAndAmongOthersGivesTheSameBits(boolean linked) throws Exception {
        CompiledPackage compiled = CompiledPackage.open(SparkTesting.ditPackage(linked));
        try (OpenPackage pkg = new OpenPackage(compiled, SampleGenerators.open(compiled, OrtRuntime.Options.cpu()))) {
            SampleRequest r = new SampleRequest(42, 3, 9001, 1.5f);
            SampleRequest a = new SampleRequest(1, 0, 11, 1.5f);
            SampleRequest b = new SampleRequest(2, 7, 12, 1.5f);
            SampleRequest c = new SampleRequest(3, 9, 13, 1.5f);

            float[] alone = only(PaddedBatch.run(pkg, List.of(r), 4), r);
            float[] third = only(PaddedBatch.run(pkg, List.of(a, b, r, c), 4), r);
            float[] firstOfTwo = only(PaddedBatch.run(pkg, List.of(r, a), 4), r);
            float[] lastOfFour = only(PaddedBatch.run(pkg, List.of(c, b, a, r), 4), r);
            assertEquals(pkg.card().sampleElements(), alone.length);
            assertArrayEquals(SparkTesting.bits(alone), SparkTesting.bits(third), "alone vs third of four");
            assertArrayEquals(SparkTesting.bits(alone), SparkTesting.bits(firstOfTwo), "alone vs first of two, padded");
            assertArrayEquals(SparkTesting.bits(alone), SparkTesting.bits(lastOfFour), "alone vs last of four");

            // another batch size rounds differently: why the job never runs a partial batch
            float[] batchOfOne = only(PaddedBatch.run(pkg, List.of(r), 1), r);
            double worst = 0;
            for (int i = 0; i < alone.length; i++) {
                worst = Math.max(worst, Math.abs(alone[i] - batchOfOne[i]));
            }
            System.out.printf("linked=%s: batch 4 vs batch 1, max |d| = %.3g%n", linked, worst);
        }
    }

    private static float[] only(List<PaddedBatch.Outcome> outcomes, SampleRequest wanted) {
        for (PaddedBatch.Outcome o : outcomes) {
            if (o.request().equals(wanted)) {
                assertNull(o.error(), o.error());
                return o.sample();
            }
        }
        throw new AssertionError(wanted + " is not among the outcomes " + outcomes);
    }
}
