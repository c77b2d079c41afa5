package dev.l2c.modelbuild;

import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Node;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.Value;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adds the operators of a diffusion transformer to a {@link Graph} the way PyTorch's TorchScript
 * exporter (opset 17) spells the modules of demo_models.py, so that the layer detector, the MAC
 * counter and the compiler see builder graphs exactly as they see the exported ones: a token-wise
 * Linear is {@code Add(bias, MatMul(x, Wᵀ))}, a Linear on the conditioning vector a {@code Gemm}
 * with {@code transB=1}, SiLU is {@code x·Sigmoid(x)}, attention is reshape → transpose → split →
 * scaled {@code MatMul} → {@code Softmax} → {@code MatMul} → projection.
 *
 * <p>Names follow the exporter too: a node in module {@code blocks.0.attn.qkv} is
 * {@code /blocks.0/attn/qkv/MatMul} and its output {@code /blocks.0/attn/qkv/MatMul_output_0}; weights
 * keep the PyTorch parameter names ({@code blocks.0.attn.qkv.bias}). Token-wise Linear weights are
 * stored transposed, [in, out], as MatMul reads them (the exporter does the same and calls them
 * {@code onnx::MatMul_N}); their names end in {@code .weight.T}.
 *
 * <p>Weights are generated into the {@link StreamingWeightsWriter} as they are added; small constants
 * (shapes, axes, scalars, LayerNorm's fixed unit scale) are {@code Constant} nodes, as exported.
 */
final class GraphAssembler {
    private final Graph graph;
    private final StreamingWeightsWriter weights;
    private final Map<String, Integer> nodeNames = new HashMap<>();

    GraphAssembler(Graph graph, StreamingWeightsWriter weights) {
        this.graph = graph;
        this.weights = weights;
    }

    Graph graph() {
        return graph;
    }

    /** The node-name scope of a module path: {@code blocks.0.attn.qkv} → {@code /blocks.0/attn/qkv}. */
    static String scope(String module) {
        if (module.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String part : module.split("\\.")) {
            boolean index = !part.isEmpty() && part.chars().allMatch(Character::isDigit);
            sb.append(index ? "." : "/").append(part);
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- nodes and constants

    /** Adds a node with {@code outputs} outputs in {@code module}, named like the exporter names them. */
    List<Value> node(String module, String opType, int outputs, List<Value> inputs, Attribute... attributes) {
        String base = scope(module) + "/" + opType;
        int seen = nodeNames.merge(base, 1, Integer::sum) - 1;
        String nodeName = seen == 0 ? base : base + "_" + seen;
        List<String> outNames = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outNames.add(graph.freshName(nodeName + "_output_" + i));
        }
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            attrs.put(a.name(), a);
        }
        Node n = graph.addNode(opType, "", inputs, outNames, attrs, nodeName);
        return n.outputs();
    }

    Value op(String module, String opType, List<Value> inputs, Attribute... attributes) {
        return node(module, opType, 1, inputs, attributes).get(0);
    }

    Value op(String module, String opType, Value input, Attribute... attributes) {
        return op(module, opType, List.of(input), attributes);
    }

    Value op(String module, String opType, Value a, Value b, Attribute... attributes) {
        return op(module, opType, List.of(a, b), attributes);
    }

    private Value constant(String module, Tensor value) {
        return op(module, "Constant", List.of(), Attribute.ofTensor("value", value));
    }

    /** A 1-D int64 constant (shapes, axes, slice bounds). */
    Value ints(String module, long... values) {
        return constant(module, Tensor.ofLongs("value", new long[]{values.length}, values));
    }

    /** A float32 scalar constant. */
    Value scalar(String module, float value) {
        return constant(module, Tensor.ofFloats("value", new long[0], value));
    }

    Value floats(String module, long[] dims, float... values) {
        return constant(module, Tensor.ofFloats("value", dims, values));
    }

    /** A weight tensor generated into the external-data file. */
    Value weight(String name, WeightInit init, long... dims) throws IOException {
        return graph.addInitializer(name, weights.write(name, dims, init));
    }

    // ---------------------------------------------------------------- layers

    /** nn.Linear on tokens [..., in]: Add(bias, MatMul(x, Wᵀ)); Wᵀ is [in, out], Xavier-uniform, bias N(0, 0.02²). */
    Value linear(String module, Value x, int in, int out, boolean bias) throws IOException {
        Value w = weight(module + ".weight.T", WeightInit.xavierUniform(in, out), in, out);
        Value y = op(module, "MatMul", x, w);
        if (!bias) {
            return y;
        }
        return op(module, "Add", weight(module + ".bias", WeightInit.normal(0.02), out), y);
    }

    /** nn.Linear on a [batch, in] vector, as the exporter writes it: Gemm(c, W[out, in], b, transB=1). */
    Value gemm(String module, Value c, int in, int out, WeightInit weightInit) throws IOException {
        Value w = weight(module + ".weight", weightInit, out, in);
        Value b = weight(module + ".bias", WeightInit.normal(0.02), out);
        return op(module, "Gemm", List.of(c, w, b), Attribute.ofFloat("alpha", 1f), Attribute.ofFloat("beta", 1f),
                Attribute.ofInt("transB", 1));
    }

    /** SiLU as exported: x · Sigmoid(x). */
    Value silu(String module, Value x) {
        return op(module, "Mul", x, op(module, "Sigmoid", x));
    }

    Value layerNorm(String module, Value x, Value scale, Value bias, float epsilon) {
        return op(module, "LayerNormalization", List.of(x, scale, bias), Attribute.ofInt("axis", -1),
                Attribute.ofFloat("epsilon", epsilon));
    }

    /** nn.LayerNorm with learned scale (≈1) and shift (≈0). */
    Value affineLayerNorm(String module, Value x, int width, float epsilon) throws IOException {
        Value scale = weight(module + ".weight", new WeightInit.Normal(1, 0.02), width);
        Value bias = weight(module + ".bias", WeightInit.normal(0.02), width);
        return layerNorm(module, x, scale, bias, epsilon);
    }

    /** nn.LayerNorm(elementwise_affine=False): the exporter passes constant unit scale and zero shift. */
    Value plainLayerNorm(String module, Value x, int width, float epsilon) {
        float[] ones = new float[width];
        Arrays.fill(ones, 1f);
        Value scale = floats(module, new long[]{width}, ones);
        Value bias = floats(module, new long[]{width}, new float[width]);
        return layerNorm(module, x, scale, bias, epsilon);
    }

    Value unsqueeze(String module, Value x, long axis) {
        return op(module, "Unsqueeze", x, ints(module, axis));
    }

    /** x[..., start:end, ...] along one axis. */
    Value slice(String module, Value x, long axis, long start, long end) {
        return op(module, "Slice", List.of(x, ints(module, start), ints(module, end), ints(module, axis)));
    }

    Value reshape(String module, Value x, long... shape) {
        return op(module, "Reshape", x, ints(module, shape));
    }

    Value transpose(String module, Value x, long... perm) {
        return op(module, "Transpose", x, Attribute.ofInts("perm", perm));
    }

    /**
     * The demo's Attention on tokens x [batch, tokens, hidden]: qkv projection, per-head
     * softmax(q·kᵀ/√d)·v with the scale split as √(1/√d) on q and on kᵀ (how PyTorch's
     * scaled_dot_product_attention is exported), heads merged, output projection.
     */
    Value attention(String module, Value x, int tokens, int hidden, int heads, boolean qkvBias) throws IOException {
        int headDim = hidden / heads;
        Value qkv = linear(module + ".qkv", x, hidden, 3 * hidden, qkvBias);
        Value split5 = reshape(module, qkv, 0, tokens, 3, heads, headDim);          // [B, N, 3, H, d]
        Value perHead = transpose(module, split5, 2, 0, 3, 1, 4);                   // [3, B, H, N, d]
        List<Value> parts = node(module, "Split", 3, List.of(perHead, ints(module, 1, 1, 1)), Attribute.ofInt("axis", 0));
        Value q = op(module, "Squeeze", parts.get(0), ints(module, 0));
        Value k = op(module, "Squeeze", parts.get(1), ints(module, 0));
        Value v = op(module, "Squeeze", parts.get(2), ints(module, 0));
        Value kT = transpose(module, k, 0, 1, 3, 2);
        float rootScale = (float) Math.sqrt(1.0 / Math.sqrt(headDim));
        Value qs = op(module, "Mul", q, scalar(module, rootScale));
        Value ks = op(module, "Mul", kT, scalar(module, rootScale));
        Value scores = op(module, "MatMul", qs, ks);                                // [B, H, N, N]
        Value probs = op(module, "Softmax", scores, Attribute.ofInt("axis", -1));
        Value mixed = op(module, "MatMul", probs, v);                               // [B, H, N, d]
        Value merged = reshape(module, transpose(module, mixed, 0, 2, 1, 3), 0, tokens, hidden);
        return linear(module + ".proj", merged, hidden, hidden, true);
    }

    /**
     * Cross-attention of tokens x [batch, tokens, hidden] to a context [batch, contextTokens, hidden]
     * (PixArt-α's text tokens after the caption projection): queries from x, keys and values from the
     * context, each by its own Linear with bias ({@code .q}, {@code .k}, {@code .v}), per-head
     * softmax(q·kᵀ/√d + bias)·v with the scale split over q and kᵀ as in {@link #attention}, heads
     * merged, output projection {@code .proj}, whose Add is the returned value.
     *
     * @param scoreBias added to the scores [batch, heads, tokens, contextTokens] before the softmax (an
     *                  attention mask broadcast as [batch, 1, 1, contextTokens]), or null for none
     */
    Value crossAttention(String module, Value x, Value context, int tokens, int contextTokens, int hidden, int heads,
                         Value scoreBias) throws IOException {
        int headDim = hidden / heads;
        Value q = linear(module + ".q", x, hidden, hidden, true);
        Value k = linear(module + ".k", context, hidden, hidden, true);
        Value v = linear(module + ".v", context, hidden, hidden, true);
        Value qh = transpose(module, reshape(module, q, 0, tokens, heads, headDim), 0, 2, 1, 3);          // [B, H, N, d]
        Value kT = transpose(module, reshape(module, k, 0, contextTokens, heads, headDim), 0, 2, 3, 1);   // [B, H, d, M]
        Value vh = transpose(module, reshape(module, v, 0, contextTokens, heads, headDim), 0, 2, 1, 3);   // [B, H, M, d]
        float rootScale = (float) Math.sqrt(1.0 / Math.sqrt(headDim));
        Value qs = op(module, "Mul", qh, scalar(module, rootScale));
        Value ks = op(module, "Mul", kT, scalar(module, rootScale));
        Value scores = op(module, "MatMul", qs, ks);                                 // [B, H, N, M]
        if (scoreBias != null) {
            scores = op(module, "Add", scores, scoreBias);
        }
        Value probs = op(module, "Softmax", scores, Attribute.ofInt("axis", -1));
        Value mixed = op(module, "MatMul", probs, vh);                               // [B, H, N, d]
        Value merged = reshape(module, transpose(module, mixed, 0, 2, 1, 3), 0, tokens, hidden);
        return linear(module + ".proj", merged, hidden, hidden, true);
    }

    /** Which GELU the MLP uses: DiT's tanh approximation, or U-ViT's exact erf form. */
    enum Gelu { TANH, ERF }

    /** The demo's Mlp: fc1 → GELU → fc2. */
    Value mlp(String module, Value x, int hidden, int mlpHidden, Gelu gelu) throws IOException {
        Value h = linear(module + ".fc1", x, hidden, mlpHidden, true);
        Value a = gelu == Gelu.TANH ? geluTanh(module + ".act", h) : geluErf(module + ".act", h);
        return linear(module + ".fc2", a, mlpHidden, hidden, true);
    }

    /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), spelled as the exporter spells it. */
    Value geluTanh(String module, Value x) {
        Value x3 = op(module, "Mul", x, op(module, "Mul", x, x));
        Value inner = op(module, "Add", x, op(module, "Mul", scalar(module, 0.044715f), x3));
        Value t = op(module, "Tanh", op(module, "Mul", scalar(module, (float) Math.sqrt(2 / Math.PI)), inner));
        Value onePlus = op(module, "Add", scalar(module, 1f), t);
        return op(module, "Mul", scalar(module, 0.5f), op(module, "Mul", x, onePlus));
    }

    /** 0.5·x·(1 + erf(x/√2)). */
    Value geluErf(String module, Value x) {
        Value e = op(module, "Erf", op(module, "Div", x, scalar(module, (float) Math.sqrt(2))));
        Value onePlus = op(module, "Add", e, scalar(module, 1f));
        return op(module, "Mul", op(module, "Mul", x, onePlus), scalar(module, 0.5f));
    }

    /**
     * Patch embedding: a strided Conv (Xavier on the flattened kernel, as DiT initialises it), then
     * flatten(2).transpose(1, 2) to tokens [batch, grid², hidden].
     */
    Value patchEmbed(String module, Value x, int inChannels, int hidden, int patch) throws IOException {
        long fanIn = (long) inChannels * patch * patch;
        Value w = weight(module + ".weight", WeightInit.xavierUniform(fanIn, hidden), hidden, inChannels, patch, patch);
        Value b = weight(module + ".bias", WeightInit.normal(0.02), hidden);
        Value conv = op(module, "Conv", List.of(x, w, b), Attribute.ofInts("dilations", 1, 1), Attribute.ofInt("group", 1),
                Attribute.ofInts("kernel_shape", patch, patch), Attribute.ofInts("pads", 0, 0, 0, 0),
                Attribute.ofInts("strides", patch, patch));
        Value flat = reshape("", conv, 0, hidden, -1);
        return transpose("", flat, 0, 2, 1);
    }

    /**
     * The sinusoidal timestep embedding [batch, dim]: {@code [cos(t·f), sin(t·f)]} with
     * {@code f_k = exp(-ln(10000)·k/(dim/2))} computed in float32 as PyTorch does.
     */
    Value timestepEmbedding(String module, Value t, DataType tType, int dim) {
        int half = dim / 2;
        float[] freqs = new float[half];
        float negLog = (float) -Math.log(10000);
        for (int k = 0; k < half; k++) {
            freqs[k] = (float) Math.exp((negLog * k) / half);
        }
        Value column = unsqueeze(module, t, 1);
        Value asFloat = tType == DataType.FLOAT ? column
                : op(module, "Cast", column, Attribute.ofInt("to", DataType.FLOAT.code));
        Value args = op(module, "Mul", asFloat, floats(module, new long[]{1, half}, freqs));
        return op(module, "Concat", List.of(op(module, "Cos", args), op(module, "Sin", args)), Attribute.ofInt("axis", -1));
    }

    /**
     * Unpatchify tokens [batch, grid², patch²·channels] to [batch, channels, grid·patch, grid·patch]:
     * reshape to (n, h, w, p, q, c), einsum {@code nhwpqc->nchpwq}, reshape.
     */
    Value unpatchify(Value tokens, int grid, int patch, int channels) {
        Value six = reshape("", tokens, 0, grid, grid, patch, patch, channels);
        Value moved = op("", "Einsum", six, Attribute.ofString("equation", "nhwpqc->nchpwq"));
        return reshape("", moved, 0, channels, (long) grid * patch, (long) grid * patch);
    }
}
