package dev.l2c.testing;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Model;
import dev.l2c.ir.Value;

/**
 * Tiny transformers with the two residual structures the detector must recognise, small enough to
 * reason about node by node.
 */
public final class TinyModels {
    public static final int WIDTH = 8;
    public static final int TOKENS = 4;

    private TinyModels() {
    }

    /**
     * A DiT-like stack: tokens x [batch, 4, 8], a conditioning vector c [batch, 8]; each block adds
     * gate·attention(LN(x)) and gate·MLP(LN(x)), the gates computed from c alone (adaLN-Zero).
     */
    public static Model gatedTransformer(int blocks) {
        GraphBuilder b = new GraphBuilder("gated", 7);
        Value x = b.input("x", DataType.FLOAT, "batch", TOKENS, WIDTH);
        Value c = b.input("c", DataType.FLOAT, "batch", WIDTH);
        Value cond = b.op("Unsqueeze", c, b.ints("axes1", 1));
        for (int i = 0; i < blocks; i++) {
            Value gateA = b.op("Sigmoid", b.op("MatMul", cond, b.weight("ga" + i, 0.3f, WIDTH, WIDTH)));
            Value attn = b.named("attn_out_" + i, b.attention(b.layerNorm(x, WIDTH), WIDTH));
            x = b.op("Add", x, b.op("Mul", gateA, attn));
            Value gateM = b.op("Sigmoid", b.op("MatMul", cond, b.weight("gm" + i, 0.3f, WIDTH, WIDTH)));
            Value mlp = b.named("mlp_out_" + i, b.mlp(b.layerNorm(x, WIDTH), WIDTH));
            x = b.op("Add", b.op("Mul", mlp, gateM), x);
        }
        b.output(b.named("out", b.op("MatMul", b.layerNorm(x, WIDTH), b.weight("head", 0.3f, WIDTH, WIDTH))));
        return b.model();
    }

    /** A U-ViT-like stack without gates: x + attention(LN(x)), x + MLP(LN(x)). */
    public static Model plainTransformer(int blocks) {
        GraphBuilder b = new GraphBuilder("plain", 11);
        Value x = b.input("x", DataType.FLOAT, "batch", TOKENS, WIDTH);
        for (int i = 0; i < blocks; i++) {
            x = b.op("Add", x, b.named("attn_out_" + i, b.attention(b.layerNorm(x, WIDTH), WIDTH)));
            x = b.op("Add", x, b.named("mlp_out_" + i, b.mlp(b.layerNorm(x, WIDTH), WIDTH)));
        }
        b.output(b.named("out", b.op("MatMul", x, b.weight("head", 0.3f, WIDTH, WIDTH))));
        return b.model();
    }

    /**
     * A tiny class-conditional ε-prediction DiT with the demo models' interface, for learner and CLI
     * tests: x [batch, 1, 4, 8] (four tokens of width 8), t int64 [batch], y int64 [batch] (10 classes
     * and the null class 10), output "out" [batch, 1, 4, 8]. The conditioning is sin(t·f) plus a label
     * embedding; each block adds gate·attention and gate·MLP with adaLN-Zero-style gates from the
     * conditioning alone, so it has 2·blocks cacheable layers. Use with {@link #TINY_DIT_CARD}.
     */
    public static Model tinyDiffusionDit(int blocks) {
        GraphBuilder b = new GraphBuilder("tiny_dit", 5);
        Value xIn = b.input("x", DataType.FLOAT, "batch", 1, TOKENS, WIDTH);
        Value t = b.input("t", DataType.INT64, "batch");
        Value y = b.input("y", DataType.INT64, "batch");
        Value x = b.op("Reshape", xIn, b.ints("tokens_shape", 0, TOKENS, WIDTH));
        Value tf = b.opWith("Cast", java.util.Map.of("to", dev.l2c.ir.Attribute.ofInt("to", 1)), t);
        Value temb = b.op("Sin", b.op("MatMul", b.op("Unsqueeze", tf, b.ints("axes_t", 1)), b.weight("freq", 0.004f, 1, WIDTH)));
        Value yemb = b.op("Gather", b.weight("label_table", 0.5f, 11, WIDTH), y);
        Value cond = b.op("Unsqueeze", b.op("Add", temb, yemb), b.ints("axes_c", 1));
        for (int i = 0; i < blocks; i++) {
            Value gateA = b.op("Sigmoid", b.op("MatMul", cond, b.weight("ga" + i, 0.5f, WIDTH, WIDTH)));
            Value shiftA = b.op("MatMul", cond, b.weight("sa" + i, 0.5f, WIDTH, WIDTH));
            Value attn = b.named("attn_out_" + i, b.attention(b.op("Add", b.layerNorm(x, WIDTH), shiftA), WIDTH));
            x = b.op("Add", x, b.op("Mul", gateA, attn));
            Value gateM = b.op("Sigmoid", b.op("MatMul", cond, b.weight("gm" + i, 0.5f, WIDTH, WIDTH)));
            Value shiftM = b.op("MatMul", cond, b.weight("sm" + i, 0.5f, WIDTH, WIDTH));
            Value mlp = b.named("mlp_out_" + i, b.mlp(b.op("Add", b.layerNorm(x, WIDTH), shiftM), WIDTH));
            x = b.op("Add", b.op("Mul", mlp, gateM), x);
        }
        Value head = b.op("MatMul", b.layerNorm(x, WIDTH), b.weight("head", 0.3f, WIDTH, WIDTH));
        b.output(b.named("out", b.op("Reshape", head, b.ints("image_shape", 0, 1, TOKENS, WIDTH))));
        return b.model();
    }

    /** The model card of {@link #tinyDiffusionDit}: DDIM, linear betas, CFG 1.5, clipping on. */
    public static final String TINY_DIT_CARD = """
            {"format": "l2c-model-card", "version": 1, "name": "tiny_dit", "family": "dit",
             "inputs": {"sample": "x", "timestep": "t", "label": "y"}, "output": "out",
             "timestep_type": "int64", "prediction": "epsilon", "learned_sigma": false,
             "noise_schedule": {"type": "linear", "steps": 1000, "beta_start": 0.0001, "beta_end": 0.02},
             "classes": 10, "null_label": 10,
             "image": {"channels": 1, "height": 4, "width": 8, "range": [-1.0, 1.0]},
             "clip_x0": true, "default_sampler": "ddim", "default_cfg": 1.5}
            """;

    /** Writes {@link #tinyDiffusionDit} and its card into {@code dir}; returns the model file. */
    public static java.nio.file.Path writeTinyDiffusionDit(java.nio.file.Path dir, int blocks) throws java.io.IOException {
        java.nio.file.Path model = dir.resolve("tiny_dit.onnx");
        OrtTesting.write(tinyDiffusionDit(blocks), model);
        java.nio.file.Files.writeString(dir.resolve("tiny_dit.card.json"), TINY_DIT_CARD);
        return model;
    }
}
