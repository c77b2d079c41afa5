/**
 * {@code l2c bench} and {@code memory-bench}: interleaved timing of configurations, quality against a
 * reference, memory per configuration (child processes), and the results' tables and charts.
 */
package dev.l2c.bench;
