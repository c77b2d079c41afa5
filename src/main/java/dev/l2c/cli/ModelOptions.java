package dev.l2c.cli;

import dev.l2c.error.L2cException;
import dev.l2c.modelcard.LoadedModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options every command that reads a model shares. */
final class ModelOptions {
    @Option(names = "--card", paramLabel = "FILE",
            description = "Model card (JSON) with the model's diffusion conventions; default: MODEL's NAME.card.json beside it.")
    Path card;

    @Option(names = "--layer-map", paramLabel = "FILE",
            description = "Name the cached tensors yourself instead of detecting them from the graph's structure.")
    Path layerMap;

    LoadedModel load(Path model) throws L2cException {
        return LoadedModel.load(model, card, layerMap);
    }

    /** Loads for inspection: the model card is optional. */
    LoadedModel loadForInspection(Path model) throws L2cException {
        return LoadedModel.load(model, card, layerMap, false);
    }
}
