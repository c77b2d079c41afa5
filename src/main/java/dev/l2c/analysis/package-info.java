/**
 * Read-only analyses of a graph that produce immutable records: shape inference, detection of the
 * cacheable attention/MLP layers ({@link dev.l2c.analysis.LayerMap}) and their multiply-accumulate
 * counts.
 */
package dev.l2c.analysis;
