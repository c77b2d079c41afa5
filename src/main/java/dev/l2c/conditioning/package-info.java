/**
 * What a sample is conditioned on, independent of how a graph wants it: {@link dev.l2c.conditioning.Conditions}
 * (class labels, or text embeddings and mask, per sample), where a run's conditions come from
 * ({@link dev.l2c.conditioning.ConditionSource}), and the word tokenizer of a card's text encoder. The
 * ONNX Runtime side (running a text encoder, packing tensors) is in {@code dev.l2c.runtime}.
 */
package dev.l2c.conditioning;
