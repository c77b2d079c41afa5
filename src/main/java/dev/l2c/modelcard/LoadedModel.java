package dev.l2c.modelcard;

import dev.l2c.analysis.LayerDetector;
import dev.l2c.analysis.LayerMap;
import dev.l2c.analysis.ShapeInference;
import dev.l2c.analysis.ValueShapes;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.L2cException;
import dev.l2c.error.UnsupportedModelException;
import dev.l2c.ir.Model;
import dev.l2c.ir.serde.OnnxReader;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A diffusion transformer read and analysed once: the IR, its card, inferred shapes and its layer
 * map. Every command that takes a MODEL starts here, so every command reports a bad model the same
 * way.
 *
 * @param file     the ONNX file
 * @param onnx     its IR (weights not loaded)
 * @param card     its model card (null only when loaded without one, for inspection)
 * @param cardFile where the card came from
 * @param shapes   inferred shapes
 * @param layers   the cacheable layers
 */
public record LoadedModel(Path file, Model onnx, ModelCard card, Path cardFile, ValueShapes shapes, LayerMap layers) {

    /**
     * Reads and analyses a model.
     *
     * @param cardOverride  a card file, or null for the one beside the model
     * @param layerMapFile  a layer map overriding structural detection, or null
     */
    public static LoadedModel load(Path file, Path cardOverride, Path layerMapFile) throws L2cException {
        return load(file, cardOverride, layerMapFile, true);
    }

    /**
     * Reads and analyses a model; with {@code requireCard} false a missing card is allowed (the card
     * is then null): the graph's structure does not depend on it, so `inspect` works without one.
     */
    public static LoadedModel load(Path file, Path cardOverride, Path layerMapFile, boolean requireCard)
            throws L2cException {
        Model model = OnnxReader.read(file);
        Path cardFile = cardOverride != null ? cardOverride : ModelCard.besideModel(file);
        if (!requireCard && cardOverride == null && !isModelCard(cardFile)) {
            ValueShapes shapes = ShapeInference.infer(model.graph(), model.defaultOpset());
            return new LoadedModel(file, model, null, null, shapes, analyse(file, model, shapes, layerMapFile));
        }
        if (cardOverride == null && !Files.exists(cardFile)) {
            throw new InvalidInputException(file, "has no model card (expected " + cardFile.getFileName()
                    + " beside it; write one as described in onnx-models/README.md or pass --card FILE)");
        }
        ModelCard card = ModelCard.read(cardFile);
        card.checkFits(model.graph(), file, cardFile);
        ValueShapes shapes = ShapeInference.infer(model.graph(), model.defaultOpset());
        LayerMap layers = analyse(file, model, shapes, layerMapFile);
        return new LoadedModel(file, model, card, cardFile, shapes, layers);
    }

    private static boolean isModelCard(Path cardFile) {
        try {
            ModelCard.read(cardFile);
            return true;
        } catch (InvalidInputException e) {
            return false;
        }
    }

    /** The layer map from {@code layerMapFile} when given, else from the graph's structure. */
    public static LayerMap analyse(Path file, Model model, ValueShapes shapes, Path layerMapFile) throws L2cException {
        try {
            if (layerMapFile != null) {
                return LayerDetector.fromNamedLayers(model.graph(), shapes, LayerMapFile.read(layerMapFile),
                        layerMapFile.getFileName().toString());
            }
            return LayerDetector.detect(model.graph(), shapes);
        } catch (LayerDetector.NotRecognizedException e) {
            if (layerMapFile != null) {
                throw new UnsupportedModelException(layerMapFile, e.getMessage());
            }
            throw new UnsupportedModelException(file, "transformer structure not recognised: " + e.getMessage()
                    + "; name the cached tensors yourself with --layer-map FILE (format: graph-compiler/README.md)");
        }
    }
}
