package dev.l2c.spark;

import dev.l2c.cli.Main;
import dev.l2c.io.Npy;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.runtime.InitialNoise;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static dev.l2c.spark.SparkTesting.bits;
import static dev.l2c.spark.SparkTesting.rowsById;
import static dev.l2c.spark.SparkTesting.runJob;
import static dev.l2c.spark.SparkTesting.runJobOk;
import static dev.l2c.spark.SparkTesting.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark job in local mode on packages of the embedded DiT: a request's sample is the same bits
 * whatever the partitioning, a task retry or the way the package travels, and equal to {@code l2c
 * sample} from the same noise; bad request rows become rows with an error; a damaged package stops the
 * job before any work.
 */
class SparkSampleJobTest {
    private static final int SAMPLE_ELEMENTS = 28 * 28;
    private static final float CARD_CFG = 1.5f;

    @ParameterizedTest(name = "linked={0}")
    @ValueSource(booleans = {false, true})
    void oneAndThreePartitionsGiveTheBitsOfL2cSampleFromTheSameNoise(boolean linked, @TempDir Path tmp) throws Exception {
        String pkg = SparkTesting.ditPackage(linked).toString();
        int n = 12;
        // batch 3: one partition runs four full batches; three partitions of four rows pad their second batch
        // --threads 2 on both sides: another intra-op thread count rounds differently
        runJobOk(pkg, "--count", "" + n, "--seed", "5", "--batch", "3", "--partitions", "1", "--threads", "2",
                "-o", tmp.resolve("p1").toString());
        int openedBefore = ExecutorPackages.openedCount();
        SparkTesting.Outcome three = runJobOk(pkg, "--count", "" + n, "--seed", "5", "--batch", "3", "--partitions", "3",
                "--threads", "2", "-o", tmp.resolve("p3").toString(), "--summary", tmp.resolve("p3.json").toString());
        assertEquals(openedBefore, ExecutorPackages.openedCount(), "the second job reuses the sessions the first opened");
        Map<Long, Row> one = rowsById(tmp.resolve("p1"));
        Map<Long, Row> threeRows = rowsById(tmp.resolve("p3"));
        assertEquals(LongStream.range(0, n).boxed().collect(Collectors.toSet()), one.keySet());
        assertEquals(one.keySet(), threeRows.keySet());

        // l2c sample from the rows' noise (each a function of its seed) and labels, in batches of 3
        float[] noise = new float[n * SAMPLE_ELEMENTS];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            Row r = one.get((long) i);
            assertEquals(SampleRequest.rowSeed(5, i), r.getLong(r.fieldIndex(SampleTables.SEED)), "row " + i + "'s seed");
            labels[i] = r.getInt(r.fieldIndex(SampleTables.LABEL));
            assertEquals(i % 10, labels[i], "labels cycle through the classes");
            System.arraycopy(InitialNoise.gaussian(r.getLong(r.fieldIndex(SampleTables.SEED)), SAMPLE_ELEMENTS), 0, noise,
                    i * SAMPLE_ELEMENTS, SAMPLE_ELEMENTS);
        }
        Path noiseFile = tmp.resolve("noise.npy");
        Npy.writeFloats(noiseFile, noise, n, 1, 28, 28);
        Path sampled = tmp.resolve("sampled.npy");
        assertEquals(0, Main.run("sample", pkg, "--noise", noiseFile.toString(), "--labels",
                Arrays.stream(labels).mapToObj(Long::toString).collect(Collectors.joining(",")), "--batch", "3", "--threads", "2",
                "--quiet", "-o", tmp.resolve("grid.png").toString(), "--npy", sampled.toString()));
        float[] reference = Npy.read(sampled).asFloats();

        for (int i = 0; i < n; i++) {
            float[] a = sample(one.get((long) i));
            float[] b = sample(threeRows.get((long) i));
            assertArrayEquals(bits(a), bits(b), "image " + i + ": 1 vs 3 partitions");
            assertArrayEquals(bits(Arrays.copyOfRange(reference, i * SAMPLE_ELEMENTS, (i + 1) * SAMPLE_ELEMENTS)), bits(a),
                    "image " + i + ": Spark vs l2c sample");
            Row r = one.get((long) i);
            assertNull(r.get(r.fieldIndex(SampleTables.ERROR)));
            assertEquals(CARD_CFG, r.getFloat(r.fieldIndex(SampleTables.GUIDANCE_SCALE)), "the card's guidance scale");
            assertEquals(64, r.getString(r.fieldIndex(SampleTables.SCHEDULE_SHA256)).length());
        }
        assertTrue(three.out().contains("12 images, 0 errors"), three.out());
        assertTrue(three.out().contains("images per executor: driver@127.0.0.1 12"), three.out());
        String json = Files.readString(tmp.resolve("p3.json"));
        assertTrue(json.contains("\"images\" : 12") && json.contains("\"partitions\" : 3"), json);
    }

    @Test
    void aRequestTableWithBadRowsGivesTheGoodRowsAndAnErrorForEachBadOne(@TempDir Path tmp) throws Exception {
        String pkg = SparkTesting.ditPackage(false).toString();
        Path csv = tmp.resolve("requests.csv");
        Files.writeString(csv, String.join("\n",
                "id,label,seed,guidance_scale",
                "0,3,11,1.5",
                "1,7,12,",
                "2,12,13,1.5",
                "3,x,14,1.5",
                "4,1,,1.5",
                "5,2,15,NaN",
                "6,4,16,abc",
                ",5,17,1.5",
                "7,1,18,1.5",
                "7,2,19,1.5",
                "8,9,20,2.0") + "\n");
        SparkTesting.Outcome o = runJobOk(pkg, "--requests", csv.toString(), "--batch", "2", "-o", tmp.resolve("out").toString());
        List<Row> all = SparkTesting.spark().read().parquet(tmp.resolve("out").toString()).collectAsList();
        assertEquals(11, all.size(), "every request row is in the output, good or bad");
        Map<Long, Row> rows = new java.util.TreeMap<>();
        List<String> sevens = new java.util.ArrayList<>();
        List<String> withoutId = new java.util.ArrayList<>();
        for (Row r : all) {
            String error = r.getString(r.fieldIndex(SampleTables.ERROR));
            if (r.isNullAt(r.fieldIndex(SampleTables.ID))) {
                withoutId.add(error);
            } else if (r.getLong(r.fieldIndex(SampleTables.ID)) == 7) {
                sevens.add(error);
            } else {
                rows.put(r.getLong(r.fieldIndex(SampleTables.ID)), r);
            }
        }
        Map<Long, String> expectedErrors = Map.of(
                2L, "request 2: label 12 is outside 0..9",
                3L, "request 3: label 'x' is not an integer",
                4L, "request 4: seed is missing",
                5L, "request 5: guidance_scale must be a finite number, not 'NaN'",
                6L, "request 6: guidance_scale 'abc' is not a number");
        for (Map.Entry<Long, String> e : expectedErrors.entrySet()) {
            Row r = rows.get(e.getKey());
            assertEquals(e.getValue(), r.getString(r.fieldIndex(SampleTables.ERROR)));
            assertTrue(r.isNullAt(r.fieldIndex(SampleTables.SAMPLE)), "no sample for a bad row");
        }
        assertEquals(List.of("request 7: the id appears 2 times in the requests; ids must be unique",
                "request 7: the id appears 2 times in the requests; ids must be unique"), sevens, "both copies of id 7");
        assertEquals(List.of("request without a usable id: id is missing"), withoutId);
        assertTrue(o.out().contains("3 images, 8 errors"), o.out());

        // the good rows are what the same requests give in a table of their own
        Path good = tmp.resolve("good.csv");
        Files.writeString(good, "id,label,seed,guidance_scale\n0,3,11,1.5\n1,7,12,\n8,9,20,2.0\n");
        Map<Long, Row> alone = rowsById(runOk(pkg, good, tmp.resolve("good")));
        for (long id : new long[]{0, 1, 8}) {
            Row r = rows.get(id);
            assertNull(r.get(r.fieldIndex(SampleTables.ERROR)), "request " + id);
            assertArrayEquals(bits(sample(alone.get(id))), bits(sample(r)), "request " + id + " beside bad rows and alone");
        }
        assertEquals(CARD_CFG, rows.get(1L).getFloat(rows.get(1L).fieldIndex(SampleTables.GUIDANCE_SCALE)),
                "an empty guidance scale takes the card's");
        assertEquals(2.0f, rows.get(8L).getFloat(rows.get(8L).fieldIndex(SampleTables.GUIDANCE_SCALE)));
    }

    private static Path runOk(String pkg, Path requests, Path out) {
        runJobOk(pkg, "--requests", requests.toString(), "--batch", "2", "-o", out.toString());
        return out;
    }

    @Test
    void jsonLinesAndParquetRequestTablesGiveWhatTheCsvGives(@TempDir Path tmp) throws Exception {
        String pkg = SparkTesting.ditPackage(false).toString();
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, "id,label,seed,guidance_scale\n10,1,101,1.5\n11,2,102,3\n12,12,103,1.5\n13,4,104,1.5\n");
        Path json = tmp.resolve("r.jsonl");
        Files.writeString(json, """
                {"id": 10, "label": 1, "seed": 101, "guidance_scale": 1.5}
                {"id": 11, "label": 2, "seed": 102, "guidance_scale": 3}
                {"id": 12, "label": 12, "seed": 103, "guidance_scale": 1.5}
                {"id": 13, "label": 4, "seed": 104}
                {"id": 14, "label":
                """);
        SparkSession spark = SparkTesting.spark();
        StructType typed = new StructType()
                .add(SampleTables.ID, DataTypes.LongType).add(SampleTables.LABEL, DataTypes.IntegerType)
                .add(SampleTables.SEED, DataTypes.LongType).add(SampleTables.GUIDANCE_SCALE, DataTypes.DoubleType);
        Path parquet = tmp.resolve("r.parquet");
        spark.createDataFrame(List.of(RowFactory.create(10L, 1, 101L, 1.5), RowFactory.create(11L, 2, 102L, 3.0),
                RowFactory.create(12L, 12, 103L, 1.5), RowFactory.create(13L, 4, 104L, null)), typed)
                .write().parquet(parquet.toString());

        Map<Long, Row> fromCsv = rowsById(runOk(pkg, csv, tmp.resolve("csv-out")));
        Map<Long, Row> fromJson = rowsById(runOk(pkg, json, tmp.resolve("json-out")));
        Map<Long, Row> fromParquet = rowsById(runOk(pkg, parquet, tmp.resolve("parquet-out")));
        for (Map<Long, Row> other : List.of(fromJson, fromParquet)) {
            for (long id : new long[]{10, 11, 13}) {
                assertArrayEquals(bits(sample(fromCsv.get(id))), bits(sample(other.get(id))), "request " + id);
            }
            Row bad = other.get(12L);
            assertEquals("request 12: label 12 is outside 0..9", bad.getString(bad.fieldIndex(SampleTables.ERROR)));
        }
        assertEquals(3f, fromParquet.get(11L).getFloat(fromParquet.get(11L).fieldIndex(SampleTables.GUIDANCE_SCALE)));
        assertEquals(4, fromCsv.size());
        assertEquals(4, fromParquet.size());
        assertEquals(5, fromJson.size(), "the broken line too, as an error row");
        String broken = fromJson.values().stream().map(r -> r.getString(r.fieldIndex(SampleTables.ERROR)))
                .filter(e -> e != null && e.contains("cannot be read")).findFirst().orElseThrow();
        assertTrue(broken.startsWith("request without a usable id: the line cannot be read as a request: '{\"id\": 14"),
                broken);
    }

    @Test
    void aPackageThatFailsVerificationStopsTheJobBeforeAnyWorkWithOneLine(@TempDir Path tmp) throws Exception {
        Path damaged = tmp.resolve("damaged");
        copyFolder(SparkTesting.ditPackage(false), damaged);
        try (RandomAccessFile w = new RandomAccessFile(damaged.resolve(PackageFiles.WEIGHTS).toFile(), "rw")) {
            long at = w.length() / 2;
            w.seek(at);
            int b = w.read();
            w.seek(at);
            w.write(b ^ 0x10);
        }
        SparkSession spark = SparkTesting.spark();
        Set<Integer> jobsBefore = jobIds(spark);
        Path out = tmp.resolve("out");
        SparkTesting.Outcome o = runJob(damaged.toString(), "--count", "4", "-o", out.toString());
        assertEquals(3, o.code(), o.err());
        assertEquals(1, o.err().strip().lines().count(), "one line: " + o.err());
        assertTrue(o.err().startsWith("l2c-spark: " + damaged.resolve(PackageFiles.WEIGHTS) + ": SHA-256 does not match"),
                o.err());
        assertFalse(Files.exists(out), "no output");
        assertEquals(jobsBefore, jobIds(spark), "no Spark job ran");
    }

    private static Set<Integer> jobIds(SparkSession spark) {
        return Arrays.stream(spark.sparkContext().statusTracker().getJobIdsForGroup(null)).boxed()
                .collect(Collectors.toSet());
    }

    /** Counts the task attempts {@link FailFirstAttempt} made fail. */
    static final AtomicInteger FAILED_ATTEMPTS = new AtomicInteger();

    /** Passes rows through; the first attempt of partition 1 fails after {@code after} rows. */
    static final class FailFirstAttempt implements MapPartitionsFunction<Row, Row> {
        private final int after;

        FailFirstAttempt(int after) {
            this.after = after;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            TaskContext task = TaskContext.get();
            boolean fail = task.partitionId() == 1 && task.attemptNumber() == 0;
            return new Iterator<>() {
                private int passed;

                @Override
                public boolean hasNext() {
                    if (fail && passed == after) {
                        FAILED_ATTEMPTS.incrementAndGet();
                        throw new IllegalStateException("the first attempt of this task fails here (test)");
                    }
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    passed++;
                    return rows.next();
                }
            };
        }
    }

    @Test
    void aTaskThatFailsHalfwayRunsAgainAndTheTableHoldsEveryRowOnceWithTheSameBits(@TempDir Path tmp) throws Exception {
        Path pkg = SparkTesting.ditPackage(false);
        runJobOk(pkg.toString(), "--count", "12", "--seed", "9", "--batch", "3", "--partitions", "2", "-o",
                tmp.resolve("plain").toString());

        SparkSession spark = SparkTesting.spark();
        CollectionAccumulator<ExecutorTally> tallies = spark.sparkContext().collectionAccumulator();
        PartitionSampler sampler = new PartitionSampler(PackageLocation.parse(pkg.toString()),
                ExecutorPackages.manifestSha256(pkg), RunSettings.of("cpu", 0, "auto", "off"), 3,
                SampleTables.Store.ARRAY, null, tallies);
        Dataset<Row> requests = RequestSources.fromCount(spark, 12, 2, 9, null, 10, CARD_CFG);
        int failedBefore = FAILED_ATTEMPTS.get();
        requests.mapPartitions(sampler, Encoders.row(SampleTables.output(SampleTables.Store.ARRAY)))
                .mapPartitions(new FailFirstAttempt(4), Encoders.row(SampleTables.output(SampleTables.Store.ARRAY)))
                .write().parquet(tmp.resolve("retried").toString());
        assertEquals(failedBefore + 1, FAILED_ATTEMPTS.get(), "one attempt failed after writing 4 rows");

        Map<Long, Row> plain = rowsById(tmp.resolve("plain"));
        Map<Long, Row> retried = rowsById(tmp.resolve("retried"));
        assertEquals(12, spark.read().parquet(tmp.resolve("retried").toString()).count(), "no row twice");
        assertEquals(plain.keySet(), retried.keySet());
        for (long id : plain.keySet()) {
            assertArrayEquals(bits(sample(plain.get(id))), bits(sample(retried.get(id))), "image " + id);
        }
        assertEquals(12, tallies.value().stream().mapToLong(ExecutorTally::images).sum(),
                "the failed attempt's images are not counted");
    }

    @Test
    void aPackageShippedAsAnArchiveGivesWhatTheSharedPathGives(@TempDir Path tmp) throws Exception {
        Path pkg = SparkTesting.ditPackage(false);
        Path zip = tmp.resolve("dit-ddim4.zip");
        SparkTesting.zipPackage(pkg, zip);
        SparkTesting.spark().sparkContext().addArchive(zip + "#shipped-dit");
        runJobOk(pkg.toString(), "--count", "4", "--seed", "3", "--batch", "2", "-o", tmp.resolve("path").toString());
        runJobOk("spark:shipped-dit", "--count", "4", "--seed", "3", "--batch", "2", "-o", tmp.resolve("shipped").toString());
        Map<Long, Row> byPath = rowsById(tmp.resolve("path"));
        Map<Long, Row> shipped = rowsById(tmp.resolve("shipped"));
        for (long id = 0; id < 4; id++) {
            assertArrayEquals(bits(sample(byPath.get(id))), bits(sample(shipped.get(id))), "image " + id);
        }
        SparkTesting.Outcome missing = runJob("spark:not-shipped", "--count", "4", "-o", tmp.resolve("none").toString());
        assertEquals(3, missing.code(), missing.err());
        assertTrue(missing.err().contains("not-shipped: no manifest.json here") && missing.err().contains("--archives"),
                missing.err());
    }

    @Test
    void thePngColumnAndThePngFolderHoldEachSampleAsAnImage(@TempDir Path tmp) throws Exception {
        String pkg = SparkTesting.ditPackage(false).toString();
        Path pngs = tmp.resolve("pngs");
        runJobOk(pkg, "--count", "4", "--seed", "1", "--batch", "2", "--store", "both", "--png-folder", pngs.toString(),
                "-o", tmp.resolve("out").toString());
        Map<Long, Row> rows = rowsById(tmp.resolve("out"));
        try (var files = Files.list(pngs)) {
            assertEquals(List.of("0.png", "1.png", "2.png", "3.png"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "one file per image, no temporary left");
        }
        for (long id = 0; id < 4; id++) {
            Row r = rows.get(id);
            byte[] png = (byte[]) r.get(r.fieldIndex(SampleTables.PNG));
            assertArrayEquals(png, Files.readAllBytes(pngs.resolve(id + ".png")), "image " + id + ": column and file");
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(28, image.getWidth());
            assertEquals(28, image.getHeight());
            float[] sample = sample(r);
            for (int p = 0; p < sample.length; p += 97) {
                double v = Math.max(-1, Math.min(1, sample[p]));
                assertEquals((int) Math.round((v + 1) / 2 * 255), image.getRaster().getSample(p % 28, p / 28, 0), 1,
                        "image " + id + " pixel " + p);
            }
        }
    }

    @Test
    void optionsAndInputsThatCannotWorkFailBeforeAnyWorkWithOneLine(@TempDir Path tmp) throws Exception {
        String pkg = SparkTesting.ditPackage(false).toString();
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        String[][] cases = {
                {pkg, "--count", "4", "-o", out.toString()},
                {pkg, "--count", "4", "--labels", "3,10", "-o", tmp.resolve("a").toString()},
                {pkg, "--requests", tmp.resolve("missing.csv").toString(), "-o", tmp.resolve("b").toString()},
                {pkg, "--requests", tmp.resolve("r.txt").toString(), "-o", tmp.resolve("c").toString()},
                {pkg, "--count", "4", "--store", "jpeg", "-o", tmp.resolve("d").toString()},
                {tmp.toString(), "--count", "4", "-o", tmp.resolve("e").toString()},
        };
        String[] expected = {
                "already exists; pass --overwrite", "label 10 is outside 0..9", "missing.csv: no such request table",
                "cannot tell the format of", "--store must be array, png or both", "not an l2c package"};
        Files.writeString(tmp.resolve("r.txt"), "id,label,seed\n");
        for (int i = 0; i < cases.length; i++) {
            SparkTesting.Outcome o = runJob(cases[i]);
            assertTrue(o.code() >= 2 && o.code() <= 6, "case " + i + " exit " + o.code() + ": " + o.err());
            assertEquals(1, o.err().strip().lines().count(), "case " + i + ": " + o.err());
            assertTrue(o.err().startsWith("l2c-spark: ") && o.err().contains(expected[i]), "case " + i + ": " + o.err());
        }
        Path noSeed = tmp.resolve("noseed.csv");
        Files.writeString(noSeed, "id,label\n1,2\n");
        SparkTesting.Outcome o = runJob(pkg, "--requests", noSeed.toString(), "-o", tmp.resolve("f").toString());
        assertEquals(3, o.code(), o.err());
        assertTrue(o.err().contains("the request table has no column 'seed'"), o.err());
    }

    private static void copyFolder(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
