package dev.l2c.modelbuild;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Value;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The U-ViT forward pass of demo_models.py ({@code UViT.forward} without caches) as an ONNX graph:
 * <pre>
 *   tokens = [label_emb(y), time token, Conv patchify(x)] + pos_embed
 *   in-blocks (kept as skips), mid block, out-blocks: x = skip_linear(concat(x, skips.pop()))
 *   each block: x = x + attn(LN(x));  x = x + mlp(LN(x))
 *   LN → decoder_pred → drop the two extra tokens → unpatchify → [3×3 conv]
 * </pre>
 * The time token is {@code time_embed(sinusoidal(t, hidden))} with a Linear-SiLU-Linear MLP, or the
 * sinusoidal embedding itself when the config has no time MLP (U-ViT-H/2).
 */
final class UvitGraph {
    private UvitGraph() {
    }

    static void build(UvitConfig c, GraphAssembler a) throws IOException {
        int d = c.hidden();
        Value x = ModelBuilder.imageInput(a.graph(), "x", c.inChannels(), c.img());
        Value t = ModelBuilder.batchInput(a.graph(), "t", DataType.FLOAT);
        Value y = ModelBuilder.batchInput(a.graph(), "y", DataType.INT64);

        Value patches = a.patchEmbed("patch_embed", x, c.inChannels(), d, c.patch());
        Value time = a.timestepEmbedding("", t, DataType.FLOAT, d);
        if (c.timeTokenMlp()) {
            Value h1 = a.gemm("time_embed.0", time, d, 4 * d, WeightInit.xavierUniform(d, 4L * d));
            time = a.gemm("time_embed.2", a.silu("time_embed.1", h1), 4 * d, d, WeightInit.xavierUniform(4L * d, d));
        }
        Value table = a.weight("label_emb.weight", WeightInit.normal(0.02), c.classes() + 1L, d);
        Value label = a.op("label_emb", "Gather", table, y, Attribute.ofInt("axis", 0));
        Value tokens = a.op("", "Concat", List.of(a.unsqueeze("", label, 1), a.unsqueeze("", time, 1), patches),
                Attribute.ofInt("axis", 1));
        Value h = a.op("", "Add", tokens, a.weight("pos_embed", WeightInit.normal(0.02), 1, c.tokens(), d));

        Deque<Value> skips = new ArrayDeque<>();
        for (int i = 0; i < c.depth(); i++) {
            String module;
            if (i < c.inBlocks()) {
                module = "in_blocks." + i;
            } else if (i == c.inBlocks()) {
                module = "mid_block";
            } else {
                module = "out_blocks." + (i - c.inBlocks() - 1);
                Value both = a.op(module, "Concat", List.of(h, skips.pop()), Attribute.ofInt("axis", -1));
                h = a.linear(module + ".skip_linear", both, 2 * d, d, true);
            }
            h = block(c, a, module, h);
            if (i < c.inBlocks()) {
                skips.push(h);
            }
        }

        Value normed = a.affineLayerNorm("norm", h, d, 1e-5f);
        int patchDim = c.patch() * c.patch() * c.inChannels();
        Value decoded = a.linear("decoder_pred", normed, d, patchDim, true);
        Value patchOnly = a.slice("", decoded, 1, UvitConfig.EXTRA_TOKENS, Long.MAX_VALUE);
        Value out = a.unpatchify(patchOnly, c.grid(), c.patch(), c.inChannels());
        if (c.finalConv()) {
            int ch = c.inChannels();
            Value w = a.weight("final_layer.weight", WeightInit.xavierUniform(ch * 9L, ch * 9L), ch, ch, 3, 3);
            Value b = a.weight("final_layer.bias", WeightInit.normal(0.02), ch);
            out = a.op("final_layer", "Conv", List.of(out, w, b), Attribute.ofInts("dilations", 1, 1),
                    Attribute.ofInt("group", 1), Attribute.ofInts("kernel_shape", 3, 3),
                    Attribute.ofInts("pads", 1, 1, 1, 1), Attribute.ofInts("strides", 1, 1));
        }
        ModelBuilder.nameOutput(a.graph(), out, c.inChannels(), c.img());
    }

    /** Pre-norm block: x + attn(norm1(x)), then + mlp(norm2(x)). */
    private static Value block(UvitConfig c, GraphAssembler a, String module, Value h) throws IOException {
        int d = c.hidden();
        Value attn = a.attention(module + ".attn", a.affineLayerNorm(module + ".norm1", h, d, 1e-5f), c.tokens(), d,
                c.heads(), c.qkvBias());
        h = a.op(module, "Add", h, attn);
        Value mlp = a.mlp(module + ".mlp", a.affineLayerNorm(module + ".norm2", h, d, 1e-5f), d, c.mlpHidden(),
                GraphAssembler.Gelu.ERF);
        return a.op(module, "Add", h, mlp);
    }
}
