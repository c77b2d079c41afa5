package dev.l2c.modelbuild;

import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;

import java.io.IOException;
import java.util.List;

/**
 * The PixArt-α forward pass (diffusers' {@code PixArtTransformer2DModel} with
 * {@code BasicTransformerBlock}s of {@code norm_type="ada_norm_single"}) as an ONNX graph:
 * <pre>
 *   x → Conv patchify → tokens + pos_embed
 *   t_emb = t_embedder(t);  t6 = t_block(t_emb) = Linear(SiLU(t_emb)) → [B, 6, hidden]
 *   y = y_embedder(text) = Linear → GELU(tanh) → Linear;  bias = (1 − text_mask)·(−10000) → [B, 1, 1, M]
 *   each block: shift/scale/gate ×2 = chunk(scale_shift_table[None] + t6, 6, dim=1)
 *               x = x + gate_msa · attn(LN(x)·(1 + scale_msa) + shift_msa)
 *               x = x + cross_attn(x, y, bias)                       (not normalised, not gated)
 *               x = x + gate_mlp · mlp(LN(x)·(1 + scale_mlp) + shift_mlp)
 *   final: shift, scale = chunk(final scale_shift_table[None] + t_emb[:, None], 2, dim=1)
 *          linear(LN(x)·(1 + scale) + shift) → unpatchify
 * </pre>
 * Modules keep the original PixArt-α names ({@code t_block}, {@code y_embedder.y_proj},
 * {@code blocks.i.scale_shift_table}, {@code final_layer}), with the self-attention spelled as DiT's
 * ({@code attn.qkv}, {@code attn.proj}) and the cross-attention's projections {@code cross_attn.q},
 * {@code .k}, {@code .v}, {@code .proj}. Each gate multiply {@code Mul(gate, branch)} sits right before
 * its residual Add and the cross-attention's output projection feeds its Add directly, so the layer
 * detector finds three layers per block and caches the gated branches before their gates. As in
 * {@link DitGraph}, nothing is zero-initialised: the scale-shift tables are N(0, 1/hidden) as PixArt
 * draws them, the linears Xavier, so every branch changes the stream and caching matters.
 */
final class PixArtGraph {
    /** The graph input of the text token embeddings [B, tokens, width]. */
    static final String TEXT_INPUT = "text";
    /** The graph input of the text mask [B, tokens] (1 for a real token, 0 for padding). */
    static final String MASK_INPUT = "text_mask";
    /** What a padding token adds to the cross-attention scores, as diffusers' PixArt masks them. */
    static final float MASKED_SCORE = -10000f;

    private PixArtGraph() {
    }

    static void build(PixArtConfig c, GraphAssembler a) throws IOException {
        int d = c.hidden();
        int m = c.textTokens();
        int chunks = PixArtConfig.MODULATION_CHUNKS;
        Value x = ModelBuilder.imageInput(a.graph(), "x", c.inChannels(), c.inputSize());
        Value t = ModelBuilder.batchInput(a.graph(), "t", DataType.INT64);
        Value text = a.graph().addInput(TEXT_INPUT, TensorType.of(DataType.FLOAT,
                Shape.of(Dim.symbolic(ModelBuilder.BATCH), Dim.of(m), Dim.of(c.textWidth()))));
        Value mask = a.graph().addInput(MASK_INPUT, TensorType.of(DataType.FLOAT,
                Shape.of(Dim.symbolic(ModelBuilder.BATCH), Dim.of(m))));

        Value tokens = a.patchEmbed("x_embedder", x, c.inChannels(), d, c.patch());
        Value pos = a.weight("pos_embed", new WeightInit.SinCos2d(d, c.grid()), 1, c.tokens(), d);
        Value h = a.op("", "Add", tokens, pos);

        int freq = PixArtConfig.FREQUENCY_EMBEDDING;
        Value tFreq = a.timestepEmbedding("t_embedder", t, DataType.INT64, freq);
        Value t1 = a.gemm("t_embedder.mlp.0", tFreq, freq, d, WeightInit.xavierUniform(freq, d));
        Value tEmb = a.gemm("t_embedder.mlp.2", a.silu("t_embedder.mlp.1", t1), d, d, WeightInit.xavierUniform(d, d));
        // adaLN-single: one modulation for all blocks, [B, 6·hidden] viewed as [B, 6, hidden]
        Value t6 = a.gemm("t_block.1", a.silu("t_block.0", tEmb), d, chunks * d,
                WeightInit.xavierUniform(d, (long) chunks * d));
        Value t6Rows = a.reshape("", t6, 0, chunks, d);

        Value y1 = a.linear("y_embedder.y_proj.fc1", text, c.textWidth(), d, true);
        Value y = a.linear("y_embedder.y_proj.fc2", a.geluTanh("y_embedder.y_proj.act", y1), d, d, true);
        Value padding = a.op("", "Sub", a.scalar("", 1f), mask);
        Value maskBias = a.op("", "Unsqueeze", a.op("", "Mul", padding, a.scalar("", MASKED_SCORE)), a.ints("", 1, 2));

        WeightInit tableInit = WeightInit.normal(1 / Math.sqrt(d));
        for (int i = 0; i < c.depth(); i++) {
            String b = "blocks." + i;
            Value table = a.weight(b + ".scale_shift_table", tableInit, chunks, d);
            Value mod = a.op(b, "Add", a.unsqueeze(b, table, 0), t6Rows);
            List<Value> ch = chunk(a, b, mod, chunks);
            Value attnIn = modulate(a, b, a.plainLayerNorm(b + ".norm1", h, d, 1e-6f), ch.get(0), ch.get(1));
            Value attn = a.attention(b + ".attn", attnIn, c.tokens(), d, c.heads(), true);
            h = a.op(b, "Add", h, a.op(b, "Mul", ch.get(2), attn));
            Value cross = a.crossAttention(b + ".cross_attn", h, y, c.tokens(), m, d, c.heads(), maskBias);
            h = a.op(b, "Add", h, cross);
            Value mlpIn = modulate(a, b, a.plainLayerNorm(b + ".norm2", h, d, 1e-6f), ch.get(3), ch.get(4));
            Value mlp = a.mlp(b + ".mlp", mlpIn, d, c.mlpHidden(), GraphAssembler.Gelu.TANH);
            h = a.op(b, "Add", h, a.op(b, "Mul", ch.get(5), mlp));
        }

        Value finTable = a.weight("final_layer.scale_shift_table", tableInit, 2, d);
        Value fin = a.op("final_layer", "Add", a.unsqueeze("final_layer", finTable, 0),
                a.unsqueeze("final_layer", tEmb, 1));
        List<Value> shiftScale = chunk(a, "final_layer", fin, 2);
        Value last = modulate(a, "final_layer", a.plainLayerNorm("final_layer.norm_final", h, d, 1e-6f),
                shiftScale.get(0), shiftScale.get(1));
        int patchOut = c.patch() * c.patch() * c.outChannels();
        Value pixels = a.linear("final_layer.linear", last, d, patchOut, true);
        Value out = a.unpatchify(pixels, c.grid(), c.patch(), c.outChannels());
        ModelBuilder.nameOutput(a.graph(), out, c.outChannels(), c.inputSize());
    }

    /** torch.chunk(v, n, dim=1) of [batch, n, width]: n Slices [batch, 1, width]. */
    private static List<Value> chunk(GraphAssembler a, String module, Value v, int n) {
        Value[] parts = new Value[n];
        for (int k = 0; k < n; k++) {
            parts[k] = a.slice(module, v, 1, k, k + 1);
        }
        return List.of(parts);
    }

    /** x · (1 + scale) + shift, with shift and scale [batch, 1, width] broadcast over the tokens. */
    private static Value modulate(GraphAssembler a, String module, Value x, Value shift, Value scale) {
        Value onePlus = a.op(module, "Add", scale, a.scalar(module, 1f));
        return a.op(module, "Add", a.op(module, "Mul", x, onePlus), shift);
    }
}
