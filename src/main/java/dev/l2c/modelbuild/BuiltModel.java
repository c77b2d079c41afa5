package dev.l2c.modelbuild;

import java.nio.file.Path;

/**
 * What {@link ModelBuilder} wrote. Immutable.
 *
 * @param folder             the model folder
 * @param name               the model's name (in its card)
 * @param config             its architecture
 * @param seed               the weight seed
 * @param parameters         float32 weight values written
 * @param weightTensors      weight tensors written
 * @param weightFileBytes    size of {@value ModelBuilder#WEIGHTS_FILE}, alignment padding included
 * @param graphFileBytes     size of {@value ModelBuilder#MODEL_FILE} (structure only)
 * @param nodes              graph nodes
 * @param largestBufferBytes the largest buffer of weight values held at once while building
 * @param seconds            wall time of the build
 */
public record BuiltModel(Path folder, String name, ArchitectureConfig config, long seed, long parameters,
                         int weightTensors, long weightFileBytes, long graphFileBytes, int nodes,
                         long largestBufferBytes, double seconds) {

    public Path model() {
        return folder.resolve(ModelBuilder.MODEL_FILE);
    }

    public Path weights() {
        return folder.resolve(ModelBuilder.WEIGHTS_FILE);
    }

    public Path card() {
        return folder.resolve(ModelBuilder.CARD_FILE);
    }
}
