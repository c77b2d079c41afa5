/**
 * Running packages and models with ONNX Runtime: sessions and their options, the executors of a plain
 * model, a stepwise package and a linked model, the sampler loop around them, batching with its
 * per-image noise and label rules, the process's resident memory, and the mapping of ONNX Runtime
 * failures to our errors. Reads packages through {@code dev.l2c.pkg}; never
 * imports the compiler.
 */
package dev.l2c.runtime;
