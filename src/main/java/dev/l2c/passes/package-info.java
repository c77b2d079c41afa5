/**
 * Graph passes, each with one job, run in a visible pipeline by {@link dev.l2c.passes.PassManager}:
 * expose a branch output as a cache output, replace a cached branch with a cache input, blend a branch
 * with its cache (for learning), remove unused nodes.
 */
package dev.l2c.passes;
