package dev.l2c.modelcard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cards declare their conditioning: version 1 (class label) unchanged, version 2 (text) read, written and checked. */
class ConditioningCardTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode textCard() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"format": "l2c-model-card", "version": 2, "name": "t", "family": "pixart",
                 "inputs": {"sample": "x", "timestep": "t"}, "output": "out", "timestep_type": "int64",
                 "prediction": "epsilon", "noise_schedule": {"type": "linear", "beta_start": 0.0001, "beta_end": 0.02},
                 "conditioning": {"kind": "text", "text": {"input": "text", "tokens": 12, "width": 64},
                   "mask": {"input": "text_mask"}, "null_condition": "empty_prompt",
                   "text_encoder": {"model": "enc.onnx", "input": "ids", "text_output": "text", "mask_output": "text_mask",
                     "tokenizer": {"kind": "words", "vocabulary": ["<pad>", "<bos>", "<unk>", "a", "bag"], "pad": 0, "bos": 1,
                                   "unknown": 2}},
                   "prompts": ["a bag"]},
                 "image": {"channels": 1, "height": 28, "width": 28, "range": [-1, 1]}}""");
    }

    @Test
    void theEmbeddedClassCardsKeepVersionOneAndTheirBytes() throws Exception {
        for (String name : List.of("dit_fmnist", "uvit_fmnist")) {
            Path file = Path.of("onnx-models", name + ".card.json");
            ModelCard card = ModelCard.read(file);
            assertFalse(card.textConditioned());
            assertEquals(10, card.classes());
            JsonNode written = card.toJson();
            assertEquals(1, written.get("version").asInt());
            assertEquals(card, ModelCard.fromJson(written), "a class card survives its own JSON");
            assertFalse(written.has("conditioning"), "version 1 layout: inputs.label, classes, null_label");
            assertEquals(JSON.readTree(Files.readAllBytes(file)).get("inputs"), written.get("inputs"));
        }
    }

    @Test
    void aTextCardIsReadWrittenAndReadAgain() throws Exception {
        ModelCard card = ModelCard.fromJson(textCard());
        assertTrue(card.textConditioned());
        Conditioning.TextTokens t = (Conditioning.TextTokens) card.conditioning();
        assertEquals(List.of("text", "text_mask"), t.inputs());
        assertEquals(12 * 64, t.textElements());
        assertEquals("enc.onnx", t.encoder().model());
        assertEquals(List.of("a bag"), t.prompts());
        assertEquals(card, ModelCard.fromJson(card.toJson()));
        assertEquals(2, card.toJson().get("version").asInt());
        IllegalStateException e = assertThrows(IllegalStateException.class, card::labelInput);
        assertTrue(e.getMessage().contains("text-conditioned"), e.getMessage());
    }

    @Test
    void refusesAnEncoderOutsideTheCardsFolderAndANullConditionItCannotMake() throws Exception {
        for (String bad : List.of("../enc.onnx", "/etc/passwd", "sub/enc.onnx", ".hidden")) {
            ObjectNode c = textCard();
            ((ObjectNode) c.get("conditioning").get("text_encoder")).put("model", bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelCard.fromJson(c));
            assertTrue(e.getMessage().contains("plain file name"), e.getMessage());
        }
        ObjectNode noEncoder = textCard();
        ((ObjectNode) noEncoder.get("conditioning")).remove("text_encoder");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelCard.fromJson(noEncoder));
        assertTrue(e.getMessage().contains("needs a text_encoder"), e.getMessage());
        ((ObjectNode) noEncoder.get("conditioning")).put("null_condition", "zeros");
        assertEquals(Conditioning.TextTokens.NULL_ZEROS,
                ((Conditioning.TextTokens) ModelCard.fromJson(noEncoder).conditioning()).nullKind());
        ObjectNode badKind = textCard();
        ((ObjectNode) badKind.get("conditioning")).put("kind", "audio");
        assertThrows(IllegalArgumentException.class, () -> ModelCard.fromJson(badKind));
        ObjectNode badToken = textCard();
        ((ObjectNode) badToken.get("conditioning").get("text_encoder").get("tokenizer")).put("unknown", 5);
        assertThrows(IllegalArgumentException.class, () -> ModelCard.fromJson(badToken));
    }
}
