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
}
