/**
 * Batch generation on Apache Spark ({@link dev.l2c.spark.SparkSampleJob}, run with spark-submit from
 * {@code target/l2c-spark.jar}): a compiled package, a count or a table of requests, a Parquet table of
 * samples out. Each executor JVM opens the package once ({@code ExecutorPackages}) and runs one batch at a
 * time on its sessions; a request's sample depends on its seed, label and guidance scale alone
 * ({@code PaddedBatch}), so the table is the same for any partitioning, executor count or retry. Spark
 * is a {@code provided} dependency: the CLI jar has neither Spark nor this package. Uses
 * {@code dev.l2c.runtime} and {@code dev.l2c.pkg} as {@code l2c sample} does.
 */
package dev.l2c.spark;
