/**
 * Our graph IR: {@link dev.l2c.ir.Model}, {@link dev.l2c.ir.Graph}, {@link dev.l2c.ir.Node}, {@link
 * dev.l2c.ir.Value} with use-lists kept by {@code Node}, and tensors whose bytes stay on disk or
 * memory-mapped. Imports nothing else of ours.
 */
package dev.l2c.ir;
