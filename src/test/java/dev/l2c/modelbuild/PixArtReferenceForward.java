package dev.l2c.modelbuild;

import dev.l2c.ir.Graph;
import dev.l2c.ir.Value;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * PixArt-α's forward pass (diffusers' {@code PixArtTransformer2DModel}, {@code ada_norm_single}
 * blocks) in plain Java: double precision, one sample at a time, loops instead of tensors, reading
 * the weights of a built graph by their parameter names. Written from the PyTorch modules, sharing
 * no code with the graph builder (nor with {@link ReferenceForward}, whose helpers are its own), so
 * where the two agree the ONNX graph computes what the modules compute.
 *
 * <p>Weight layouts: token-wise Linear weights {@code NAME.weight.T} are [in, out]; Linear weights on
 * the timestep vector {@code NAME.weight} are PyTorch's [out, in]; the patch convolution [out, in, p, p].
 */
final class PixArtReferenceForward {
    private final Map<String, float[]> weights = new HashMap<>();

    PixArtReferenceForward(Graph graph) {
        for (Value v : graph.initializers()) {
            weights.put(v.name(), v.initializer().toFloats());
        }
    }

    private float[] w(String name) {
        float[] a = weights.get(name);
        if (a == null) {
            throw new AssertionError("the graph has no weight named " + name);
        }
        return a;
    }

    /**
     * The model on a batch: x [B, C, S, S], t [B], text [B, M, W], mask [B, M]; returns [B, outC, S, S].
     */
    float[] forward(PixArtConfig c, float[] x, long[] t, float[] text, float[] mask) {
        int s = c.inputSize();
        int perIn = c.inChannels() * s * s;
        int perOut = c.outChannels() * s * s;
        int m = c.textTokens();
        int width = c.textWidth();
        float[] out = new float[t.length * perOut];
        for (int b = 0; b < t.length; b++) {
            double[][] tokens = new double[m][width];
            double[] keep = new double[m];
            for (int j = 0; j < m; j++) {
                keep[j] = mask[b * m + j];
                for (int k = 0; k < width; k++) {
                    tokens[j][k] = text[(b * m + j) * width + k];
                }
            }
            double[] o = one(c, slice(x, b * perIn, perIn), t[b], tokens, keep);
            for (int i = 0; i < perOut; i++) {
                out[b * perOut + i] = (float) o[i];
            }
        }
        return out;
    }

    private double[] one(PixArtConfig c, double[] img, long t, double[][] text, double[] keep) {
        int d = c.hidden();
        double[][] h = patchEmbed(img, c.inChannels(), c.inputSize(), c.patch(), d);
        float[] pos = w("pos_embed");
        for (int n = 0; n < h.length; n++) {
            for (int k = 0; k < d; k++) {
                h[n][k] += pos[n * d + k];
            }
        }
        double[] tEmb = gemm("t_embedder.mlp.2", silu(gemm("t_embedder.mlp.0", timestepEmbedding(t, 256), 256, d)), d, d);
        double[] t6 = gemm("t_block.1", silu(tEmb), d, 6 * d);
        double[][] y = linear("y_embedder.y_proj.fc2", geluTanh(linear("y_embedder.y_proj.fc1", text, c.textWidth(), d)),
                d, d);
        double[] bias = new double[keep.length];
        for (int j = 0; j < keep.length; j++) {
            bias[j] = (1 - keep[j]) * -10000.0;
        }
        for (int i = 0; i < c.depth(); i++) {
            String b = "blocks." + i;
            float[] table = w(b + ".scale_shift_table");
            double[][] ch = new double[6][d];
            for (int r = 0; r < 6; r++) {
                for (int k = 0; k < d; k++) {
                    ch[r][k] = table[r * d + k] + t6[r * d + k];
                }
            }
            double[][] norm = modulate(layerNorm(h), ch[0], ch[1]);
            double[][] qkv = linear(b + ".attn.qkv", norm, d, 3 * d);
            double[][] q = columns(qkv, 0, d);
            double[][] k = columns(qkv, d, d);
            double[][] v = columns(qkv, 2 * d, d);
            double[][] attn = linear(b + ".attn.proj", attention(q, k, v, c.heads(), null), d, d);
            h = add(h, ch[2], attn);
            double[][] cq = linear(b + ".cross_attn.q", h, d, d);
            double[][] ck = linear(b + ".cross_attn.k", y, d, d);
            double[][] cv = linear(b + ".cross_attn.v", y, d, d);
            double[][] cross = linear(b + ".cross_attn.proj", attention(cq, ck, cv, c.heads(), bias), d, d);
            h = add(h, null, cross);
            double[][] mlp = linear(b + ".mlp.fc2", geluTanh(linear(b + ".mlp.fc1", modulate(layerNorm(h), ch[3], ch[4]),
                    d, c.mlpHidden())), c.mlpHidden(), d);
            h = add(h, ch[5], mlp);
        }
        float[] fin = w("final_layer.scale_shift_table");
        double[] shift = new double[d];
        double[] scale = new double[d];
        for (int k = 0; k < d; k++) {
            shift[k] = fin[k] + tEmb[k];
            scale[k] = fin[d + k] + tEmb[k];
        }
        int patchOut = c.patch() * c.patch() * c.outChannels();
        double[][] px = linear("final_layer.linear", modulate(layerNorm(h), shift, scale), d, patchOut);
        return unpatchify(px, c.grid(), c.patch(), c.outChannels());
    }

    /** Multi-head softmax(q·kᵀ/√d + bias)·v; q [N, D], k and v [M, D], bias [M] or null. */
    private static double[][] attention(double[][] q, double[][] k, double[][] v, int heads, double[] bias) {
        int n = q.length;
        int m = k.length;
        int d = q[0].length;
        int hd = d / heads;
        double scale = 1 / Math.sqrt(hd);
        double[][] out = new double[n][d];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < n; i++) {
                double[] p = new double[m];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < m; j++) {
                    double dot = 0;
                    for (int e = 0; e < hd; e++) {
                        dot += q[i][h * hd + e] * k[j][h * hd + e];
                    }
                    p[j] = dot * scale + (bias == null ? 0 : bias[j]);
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < m; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                for (int e = 0; e < hd; e++) {
                    double acc = 0;
                    for (int j = 0; j < m; j++) {
                        acc += p[j] / sum * v[j][h * hd + e];
                    }
                    out[i][h * hd + e] = acc;
                }
            }
        }
        return out;
    }

    private double[][] patchEmbed(double[] img, int channels, int size, int p, int d) {
        float[] wt = w("x_embedder.weight");
        float[] bias = w("x_embedder.bias");
        int g = size / p;
        double[][] tokens = new double[g * g][d];
        for (int i = 0; i < g; i++) {
            for (int j = 0; j < g; j++) {
                for (int o = 0; o < d; o++) {
                    double acc = bias[o];
                    for (int ch = 0; ch < channels; ch++) {
                        for (int u = 0; u < p; u++) {
                            for (int v = 0; v < p; v++) {
                                acc += wt[((o * channels + ch) * p + u) * p + v] * img[(ch * size + i * p + u) * size + j * p + v];
                            }
                        }
                    }
                    tokens[i * g + j][o] = acc;
                }
            }
        }
        return tokens;
    }

    /** x.reshape(g, g, p, p, C) → einsum hwpqc->chpwq → (C, g·p, g·p). */
    private static double[] unpatchify(double[][] tokens, int g, int p, int channels) {
        int size = g * p;
        double[] out = new double[channels * size * size];
        for (int i = 0; i < g; i++) {
            for (int j = 0; j < g; j++) {
                for (int u = 0; u < p; u++) {
                    for (int v = 0; v < p; v++) {
                        for (int ch = 0; ch < channels; ch++) {
                            out[(ch * size + i * p + u) * size + j * p + v] = tokens[i * g + j][(u * p + v) * channels + ch];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** [cos(t·f), sin(t·f)], f_k = exp(-ln(10000)·k/half), f and t·f in float32 as PyTorch computes them. */
    private static double[] timestepEmbedding(double t, int dim) {
        int half = dim / 2;
        double[] e = new double[dim];
        float negLog = (float) -Math.log(10000);
        for (int k = 0; k < half; k++) {
            float f = (float) Math.exp((negLog * k) / half);
            float arg = (float) t * f;
            e[k] = Math.cos(arg);
            e[half + k] = Math.sin(arg);
        }
        return e;
    }

    /** Linear on a vector, W [out, in]. */
    private double[] gemm(String module, double[] x, int in, int out) {
        float[] wt = w(module + ".weight");
        float[] bias = w(module + ".bias");
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double acc = bias[o];
            for (int i = 0; i < in; i++) {
                acc += wt[o * in + i] * x[i];
            }
            y[o] = acc;
        }
        return y;
    }

    /** Linear with bias on tokens, W stored [in, out]. */
    private double[][] linear(String module, double[][] x, int in, int out) {
        float[] wt = w(module + ".weight.T");
        float[] b = w(module + ".bias");
        double[][] y = new double[x.length][out];
        for (int n = 0; n < x.length; n++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int i = 0; i < in; i++) {
                    acc += x[n][i] * wt[i * out + o];
                }
                y[n][o] = acc;
            }
        }
        return y;
    }

    private static double[] silu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] / (1 + Math.exp(-x[i]));
        }
        return y;
    }

    private static double[][] geluTanh(double[][] x) {
        double[][] y = new double[x.length][];
        for (int n = 0; n < x.length; n++) {
            y[n] = new double[x[n].length];
            for (int k = 0; k < x[n].length; k++) {
                double v = x[n][k];
                y[n][k] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            }
        }
        return y;
    }

    /** LayerNorm over the last axis without affine parameters, eps 1e-6. */
    private static double[][] layerNorm(double[][] x) {
        double[][] y = new double[x.length][];
        for (int n = 0; n < x.length; n++) {
            int d = x[n].length;
            double mean = Arrays.stream(x[n]).sum() / d;
            double var = 0;
            for (double v : x[n]) {
                var += (v - mean) * (v - mean);
            }
            var /= d;
            y[n] = new double[d];
            for (int k = 0; k < d; k++) {
                y[n][k] = (x[n][k] - mean) / Math.sqrt(var + 1e-6);
            }
        }
        return y;
    }

    private static double[][] modulate(double[][] x, double[] shift, double[] scale) {
        double[][] o = new double[x.length][x[0].length];
        for (int n = 0; n < x.length; n++) {
            for (int k = 0; k < x[0].length; k++) {
                o[n][k] = x[n][k] * (1 + scale[k]) + shift[k];
            }
        }
        return o;
    }

    /** x + gate · branch (gate null: ungated). */
    private static double[][] add(double[][] x, double[] gate, double[][] branch) {
        double[][] o = new double[x.length][x[0].length];
        for (int n = 0; n < x.length; n++) {
            for (int k = 0; k < x[0].length; k++) {
                o[n][k] = x[n][k] + (gate == null ? 1 : gate[k]) * branch[n][k];
            }
        }
        return o;
    }

    private static double[][] columns(double[][] x, int from, int n) {
        double[][] o = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            o[i] = Arrays.copyOfRange(x[i], from, from + n);
        }
        return o;
    }

    private static double[] slice(float[] a, int from, int n) {
        double[] o = new double[n];
        for (int i = 0; i < n; i++) {
            o[i] = a[from + i];
        }
        return o;
    }
}
