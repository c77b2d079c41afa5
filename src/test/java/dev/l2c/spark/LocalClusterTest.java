package dev.l2c.spark;

import dev.l2c.runtime.OrtRuntime;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.l2c.spark.SparkTesting.bits;
import static dev.l2c.spark.SparkTesting.rowsById;
import static dev.l2c.spark.SparkTesting.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job as on a cluster: a driver process and two executor processes of Spark's local-cluster mode (a
 * standalone master and two workers of one core each on this machine), the package shipped as an archive
 * through Spark's file distribution. Each executor opens the package for itself; the table is the one
 * local mode makes in this JVM at the same thread count, bit for bit.
 */
class LocalClusterTest {
    private static final String MASTER = "local-cluster[2,1,2048]";

    @Test
    void twoExecutorProcessesMakeTheTableLocalModeMakes(@TempDir Path tmp) throws Exception {
        Path pkg = SparkTesting.ditPackage(false);
        Path zip = tmp.resolve("dit-ddim4.zip");
        SparkTesting.zipPackage(pkg, zip);
        // the same requests in local mode, in this JVM; then the cluster at the same intra-op thread count, since
        // ONNX Runtime splits its work by threads and another count rounds differently (by a few ulps)
        SparkTesting.runJobOk(pkg.toString(), "--count", "4", "--seed", "4", "--batch", "2", "--partitions", "1",
                "--threads", "2", "-o", tmp.resolve("local").toString());
        int threads = OrtRuntime.environmentThreads() > 0 ? OrtRuntime.environmentThreads() : 2;

        // a worker starts executors from its Spark home's jars/; here the classes come from the test's class path
        Path sparkHome = Files.createDirectories(tmp.resolve("spark-home").resolve("jars")).getParent();
        String classPath = System.getProperty("java.class.path");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g"));
        cmd.addAll(List.of(System.getProperty("l2c.spark.jvm.options", "").split(" ")));
        cmd.addAll(List.of("-cp", classPath,
                "-Dspark.master=" + MASTER,
                "-Dspark.executor.extraClassPath=" + classPath,
                "-Dspark.executor.memory=1g",
                "-Dspark.archives=" + zip + "#dit",
                "-Dspark.ui.enabled=false",
                "-Dspark.driver.host=127.0.0.1",
                "-Dspark.driver.bindAddress=127.0.0.1",
                // both executors registered before the job starts, so that both get tasks
                "-Dspark.scheduler.minRegisteredResourcesRatio=1.0",
                SparkSampleJob.class.getName(), "spark:dit", "--count", "4", "--seed", "4", "--batch", "2",
                "--partitions", "2", "--threads", "" + threads, "-o", tmp.resolve("cluster").toString(),
                "--summary", tmp.resolve("summary.json").toString()));
        cmd.removeIf(String::isEmpty);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        // what a Spark distribution's scripts set: without it the worker looks for Spark's build folders
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        Process p = pb.start();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the local-cluster job did not finish within 240 s");
        String log = Files.readString(tmp.resolve("log.txt"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), log);

        String summary = Files.readString(tmp.resolve("summary.json"));
        assertTrue(summary.contains("\"images\" : 4"), summary);
        long executors = summary.lines().filter(l -> l.contains("\"executor\" :")).count();
        assertEquals(2, executors, "both executors sampled: " + summary);
        assertTrue(!summary.contains("\"executor\" : \"driver\""), "nothing ran on the driver: " + summary);

        Map<Long, Row> cluster = rowsById(tmp.resolve("cluster"));
        Map<Long, Row> local = rowsById(tmp.resolve("local"));
        assertEquals(local.keySet(), cluster.keySet());
        for (long id : local.keySet()) {
            assertArrayEquals(bits(sample(local.get(id))), bits(sample(cluster.get(id))), "image " + id);
        }
    }
}
