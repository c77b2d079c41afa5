package dev.l2c.analysis;

import java.util.List;

/**
 * The cacheable layers of a model in L2C order, and how they were found. Immutable.
 *
 * @param layers     one entry per layer, {@code layers.get(i).index() == i}
 * @param source     "structure" when found by {@link LayerDetector}, or the layer-map file it came from
 * @param streamStart value name of the residual stream entering the first block (informative)
 * @param macsPerSampleFull multiply-accumulates of one full model evaluation, per sample
 */
public record LayerMap(List<CacheableLayer> layers, String source, String streamStart, long macsPerSampleFull) {

    public LayerMap {
        layers = List.copyOf(layers);
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).index() != i) {
                throw new IllegalArgumentException("layer " + i + " is numbered " + layers.get(i).index());
            }
        }
    }

    /** Cacheable layers per block: 2 (attention, MLP) or 3 (attention, cross-attention, MLP); 1 for an empty map. */
    public int layersPerBlock() {
        int blocks = layers.isEmpty() ? 0 : layers.get(layers.size() - 1).block() + 1;
        return blocks == 0 ? 1 : layers.size() / blocks;
    }

    public int size() {
        return layers.size();
    }

    public CacheableLayer layer(int index) {
        return layers.get(index);
    }

    public int blocks() {
        return layers.isEmpty() ? 0 : layers.get(layers.size() - 1).block() + 1;
    }
}
