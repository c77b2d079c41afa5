package dev.l2c.modelbuild;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Value;

import java.io.IOException;
import java.util.List;

/**
 * The DiT forward pass of demo_models.py ({@code DiT.forward} without caches) as an ONNX graph:
 * <pre>
 *   x → Conv patchify → tokens + pos_embed
 *   c = t_embedder(t) + y_embedder(y);  s = SiLU(c)
 *   each block: shift/scale/gate ×2 = chunk(adaLN_modulation(s), 6)
 *               x = x + gate_msa · attn(modulate(LN(x), shift_msa, scale_msa))
 *               x = x + gate_mlp · mlp(modulate(LN(x), shift_mlp, scale_mlp))
 *   final: modulate(LN(x), chunk(final_adaLN(s), 2)) → final_linear → unpatchify
 * </pre>
 * The gate multiply {@code Mul(Unsqueeze(gate), branch)} sits right before each residual Add, so the
 * detector caches the branch before its gate, as L2C does. Unlike DiT's adaLN-Zero initialisation,
 * the modulation and final layers get Xavier weights (not zeros): with zero gates every block would
 * be the identity and caching would change nothing.
 */
final class DitGraph {
    private DitGraph() {
    }

    static void build(DitConfig c, GraphAssembler a) throws IOException {
        int d = c.hidden();
        Value x = ModelBuilder.imageInput(a.graph(), "x", c.inChannels(), c.inputSize());
        Value t = ModelBuilder.batchInput(a.graph(), "t", DataType.INT64);
        Value y = ModelBuilder.batchInput(a.graph(), "y", DataType.INT64);

        Value tokens = a.patchEmbed("x_embedder", x, c.inChannels(), d, c.patch());
        Value pos = a.weight("pos_embed", new WeightInit.SinCos2d(d, c.grid()), 1, c.tokens(), d);
        Value h = a.op("", "Add", tokens, pos);

        int freq = DitConfig.FREQUENCY_EMBEDDING;
        Value tFreq = a.timestepEmbedding("t_embedder", t, DataType.INT64, freq);
        Value t1 = a.gemm("t_embedder.mlp.0", tFreq, freq, d, WeightInit.xavierUniform(freq, d));
        Value tEmb = a.gemm("t_embedder.mlp.2", a.silu("t_embedder.mlp.1", t1), d, d, WeightInit.xavierUniform(d, d));
        Value table = a.weight("y_embedder.weight", WeightInit.normal(0.02), c.classes() + 1L, d);
        Value yEmb = a.op("y_embedder", "Gather", table, y, Attribute.ofInt("axis", 0));
        Value cond = a.op("", "Add", tEmb, yEmb);
        // One SiLU(c) read by every modulation Linear, as the exporter leaves it after merging the per-block copies.
        Value condSilu = a.silu("adaLN_modulation.0", cond);

        for (int i = 0; i < c.depth(); i++) {
            String b = "blocks." + i;
            Value mod = a.gemm(b + ".adaLN_modulation.1", condSilu, d, 6 * d, WeightInit.xavierUniform(d, 6L * d));
            List<Value> chunks = chunk(a, b, mod, 6, d);
            Value attnIn = modulate(a, b, a.plainLayerNorm(b + ".norm1", h, d, 1e-6f), chunks.get(0), chunks.get(1));
            Value attn = a.attention(b + ".attn", attnIn, c.tokens(), d, c.heads(), true);
            h = a.op(b, "Add", h, a.op(b, "Mul", a.unsqueeze(b, chunks.get(2), 1), attn));
            Value mlpIn = modulate(a, b, a.plainLayerNorm(b + ".norm2", h, d, 1e-6f), chunks.get(3), chunks.get(4));
            Value mlp = a.mlp(b + ".mlp", mlpIn, d, c.mlpHidden(), GraphAssembler.Gelu.TANH);
            h = a.op(b, "Add", h, a.op(b, "Mul", a.unsqueeze(b, chunks.get(5), 1), mlp));
        }

        Value fin = a.gemm("final_adaLN.1", condSilu, d, 2 * d, WeightInit.xavierUniform(d, 2L * d));
        List<Value> shiftScale = chunk(a, "", fin, 2, d);
        Value last = modulate(a, "", a.plainLayerNorm("final_norm", h, d, 1e-6f), shiftScale.get(0), shiftScale.get(1));
        int patchOut = c.patch() * c.patch() * c.outChannels();
        Value pixels = a.linear("final_linear", last, d, patchOut, true);
        Value out = a.unpatchify(pixels, c.grid(), c.patch(), c.outChannels());
        ModelBuilder.nameOutput(a.graph(), out, c.outChannels(), c.inputSize());
    }

    /** torch.chunk(v, n, dim=1) of a [batch, n·width] vector, as n Slices. */
    private static List<Value> chunk(GraphAssembler a, String module, Value v, int n, int width) {
        Value[] parts = new Value[n];
        for (int k = 0; k < n; k++) {
            parts[k] = a.slice(module, v, 1, (long) k * width, (long) (k + 1) * width);
        }
        return List.of(parts);
    }

    /** x · (1 + scale.unsqueeze(1)) + shift.unsqueeze(1). */
    private static Value modulate(GraphAssembler a, String module, Value x, Value shift, Value scale) {
        Value onePlus = a.op(module, "Add", a.unsqueeze(module, scale, 1), a.scalar(module, 1f));
        return a.op(module, "Add", a.op(module, "Mul", x, onePlus), a.unsqueeze(module, shift, 1));
    }
}
