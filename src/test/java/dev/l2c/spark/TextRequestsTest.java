package dev.l2c.spark;

import dev.l2c.cli.Main;
import dev.l2c.io.Npy;
import dev.l2c.runtime.InitialNoise;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.l2c.spark.SparkTesting.bits;
import static dev.l2c.spark.SparkTesting.rowsById;
import static dev.l2c.spark.SparkTesting.runJobOk;
import static dev.l2c.spark.SparkTesting.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A text-conditioned package on Spark: request rows give a prompt (no label), executors encode it
 * with the text encoder the package carries, and a row's sample is the bits of {@code l2c sample
 * --prompt} from the same noise; a row with a label, or without a prompt, gets an error.
 */
class TextRequestsTest {
    private static final int PER = 28 * 28;

    @Test
    void promptRowsGiveTheBitsOfL2cSampleAndBadRowsTheirErrors(@TempDir Path tmp) throws Exception {
        Path schedule = tmp.resolve("fora.json");
        assertEquals(0, Main.run("schedule", "baseline", "fora", "--interval", "2", "--nfe", "20", "--layers", "24",
                "-o", schedule.toString()));
        Path pkg = tmp.resolve("text-pkg");
        assertEquals(0, Main.run("compile", "onnx-models/text_dit_fmnist.onnx", "--schedule", schedule.toString(),
                "--link", "-o", pkg.toString()));
        Path csv = tmp.resolve("requests.csv");
        Files.writeString(csv, String.join("\n",
                "id,prompt,seed,label",
                "0,\"a small sneaker, upside down\",11,",
                "1,a bag,12,",
                "2,,13,",
                "3,a coat,14,3") + "\n");
        runJobOk(pkg.toString(), "--requests", csv.toString(), "--batch", "2", "--threads", "2",
                "-o", tmp.resolve("out").toString());
        Map<Long, Row> rows = rowsById(tmp.resolve("out"));
        assertEquals(4, rows.size());
        assertTrue(rows.get(2L).getString(rows.get(2L).fieldIndex(SampleTables.ERROR)).contains("prompt is missing"));
        assertTrue(rows.get(3L).getString(rows.get(3L).fieldIndex(SampleTables.ERROR)).contains("not label '3'"));
        List<String> prompts = List.of("a small sneaker, upside down", "a bag");
        float[] noise = new float[2 * PER];
        for (int i = 0; i < 2; i++) {
            Row r = rows.get((long) i);
            assertNull(r.get(r.fieldIndex(SampleTables.ERROR)));
            assertEquals(prompts.get(i), r.getString(r.fieldIndex(SampleTables.PROMPT)));
            System.arraycopy(InitialNoise.gaussian(11 + i, PER), 0, noise, i * PER, PER);
        }
        Path noiseFile = tmp.resolve("noise.npy");
        Npy.writeFloats(noiseFile, noise, 2, 1, 28, 28);
        Path sampled = tmp.resolve("sampled.npy");
        assertEquals(0, Main.run("sample", pkg.toString(), "--noise", noiseFile.toString(), "--prompt", prompts.get(0),
                "--prompt", prompts.get(1), "--batch", "2", "--threads", "2", "--quiet", "--npy", sampled.toString()));
        float[] reference = Npy.read(sampled).asFloats();
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(bits(Arrays.copyOfRange(reference, i * PER, (i + 1) * PER)), bits(sample(rows.get((long) i))),
                    "image " + i + ": Spark vs l2c sample --prompt");
        }
    }
}
