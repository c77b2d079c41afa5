package dev.l2c.analysis;

import dev.l2c.ir.TensorType;

/**
 * One cacheable residual branch, numbered in forward order as L2C numbers them: for DiT and U-ViT
 * layer 2i is block i's attention branch, 2i+1 its MLP branch; for PixArt-style blocks 3i, 3i+1, 3i+2
 * are self-attention, cross-attention and MLP. Everything is referred to by value name, so the record
 * stays valid for every copy of the graph the compiler makes.
 *
 * @param index      L2C layer number
 * @param block      transformer block number
 * @param kind       attention or MLP
 * @param tensor     the value that is cached: the branch output before a conditioning-only gate
 * @param type       its element type and shape (the batch stays symbolic)
 * @param residualAdd name of the value the residual Add produces (stream + gated branch); informative
 * @param gate       the conditioning-only value the branch is multiplied by (adaLN-Zero gate), or null
 * @param macsPerSample multiply-accumulates that reusing this layer saves, per sample
 */
public record CacheableLayer(int index, int block, BranchKind kind, String tensor, TensorType type,
                             String residualAdd, String gate, long macsPerSample) {

    /** Bytes of the cached tensor for a model batch of {@code batch} samples. */
    public long bytes(long batch) {
        return type.elementType().byteSize(type.shape().elementCount(batch));
    }
}
