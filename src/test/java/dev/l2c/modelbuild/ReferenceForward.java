package dev.l2c.modelbuild;

import dev.l2c.ir.Graph;
import dev.l2c.ir.Value;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The forward passes of demo_models.py's DiT and UViT in plain Java (double precision, one sample
 * at a time, loops instead of tensors), written from the PyTorch modules and reading the weights a
 * built graph holds by their parameter names. It shares no code with the graph builder: where the
 * two agree, the ONNX graph computes what the PyTorch modules compute.
 *
 * <p>Weight layouts: token-wise Linear weights {@code NAME.weight.T} are [in, out]; conditioning
 * Linear weights {@code NAME.weight} are PyTorch's [out, in]; convolutions [out, in, kh, kw].
 */
final class ReferenceForward {
    private final Map<String, float[]> weights = new HashMap<>();

    ReferenceForward(Graph graph) {
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

    // ---------------------------------------------------------------- DiT

    /** DiT.forward(x, t, y) for a batch; returns [batch, outC, S, S]. */
    float[] dit(DitConfig c, float[] x, long[] t, long[] y) {
        int s = c.inputSize();
        int perIn = c.inChannels() * s * s;
        int perOut = c.outChannels() * s * s;
        float[] out = new float[t.length * perOut];
        for (int b = 0; b < t.length; b++) {
            double[] img = slice(x, b * perIn, perIn);
            double[] o = ditOne(c, img, t[b], y[b]);
            for (int i = 0; i < perOut; i++) {
                out[b * perOut + i] = (float) o[i];
            }
        }
        return out;
    }

    private double[] ditOne(DitConfig c, double[] img, long t, long y) {
        int d = c.hidden();
        double[][] h = patchEmbed("x_embedder", img, c.inChannels(), c.inputSize(), c.patch(), d);
        float[] pos = w("pos_embed");
        for (int n = 0; n < h.length; n++) {
            for (int k = 0; k < d; k++) {
                h[n][k] += pos[n * d + k];
            }
        }
        double[] tEmb = gemm("t_embedder.mlp.2", silu(gemm("t_embedder.mlp.0", timestepEmbedding(t, 256), 256, d)), d, d);
        double[] cond = new double[d];
        float[] table = w("y_embedder.weight");
        for (int k = 0; k < d; k++) {
            cond[k] = tEmb[k] + table[(int) y * d + k];
        }
        double[] cs = silu(cond);
        for (int i = 0; i < c.depth(); i++) {
            String b = "blocks." + i;
            double[] mod = gemm(b + ".adaLN_modulation.1", cs, d, 6 * d);
            double[][] ch = new double[6][];
            for (int k = 0; k < 6; k++) {
                ch[k] = java.util.Arrays.copyOfRange(mod, k * d, (k + 1) * d);
            }
            double[][] a = attention(b + ".attn", modulate(layerNorm(h, null, null, 1e-6), ch[0], ch[1]), c.heads(), true);
            h = addGated(h, ch[2], a);
            double[][] m = mlp(b + ".mlp", modulate(layerNorm(h, null, null, 1e-6), ch[3], ch[4]), true);
            h = addGated(h, ch[5], m);
        }
        double[] fin = gemm("final_adaLN.1", cs, d, 2 * d);
        double[] shift = java.util.Arrays.copyOfRange(fin, 0, d);
        double[] scale = java.util.Arrays.copyOfRange(fin, d, 2 * d);
        int patchOut = c.patch() * c.patch() * c.outChannels();
        double[][] px = linear("final_linear", modulate(layerNorm(h, null, null, 1e-6), shift, scale), d, patchOut, true);
        return unpatchify(px, c.grid(), c.patch(), c.outChannels());
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

    private static double[][] addGated(double[][] x, double[] gate, double[][] branch) {
        double[][] o = new double[x.length][x[0].length];
        for (int n = 0; n < x.length; n++) {
            for (int k = 0; k < x[0].length; k++) {
                o[n][k] = x[n][k] + (gate == null ? 1 : gate[k]) * branch[n][k];
            }
        }
        return o;
    }

    // ---------------------------------------------------------------- U-ViT

    /** UViT.forward(x, t, y) for a batch; returns [batch, C, S, S]. */
    float[] uvit(UvitConfig c, float[] x, float[] t, long[] y) {
        int s = c.img();
        int per = c.inChannels() * s * s;
        float[] out = new float[t.length * per];
        for (int b = 0; b < t.length; b++) {
            double[] o = uvitOne(c, slice(x, b * per, per), t[b], y[b]);
            for (int i = 0; i < per; i++) {
                out[b * per + i] = (float) o[i];
            }
        }
        return out;
    }

    private double[] uvitOne(UvitConfig c, double[] img, float t, long y) {
        int d = c.hidden();
        double[][] patches = patchEmbed("patch_embed", img, c.inChannels(), c.img(), c.patch(), d);
        double[] time = timestepEmbedding(t, d);
        if (c.timeTokenMlp()) {
            time = gemm("time_embed.2", silu(gemm("time_embed.0", time, d, 4 * d)), 4 * d, d);
        }
        double[][] h = new double[c.tokens()][d];
        float[] table = w("label_emb.weight");
        float[] pos = w("pos_embed");
        for (int k = 0; k < d; k++) {
            h[0][k] = table[(int) y * d + k];
            h[1][k] = time[k];
        }
        for (int n = 0; n < patches.length; n++) {
            h[n + 2] = patches[n];
        }
        for (int n = 0; n < h.length; n++) {
            for (int k = 0; k < d; k++) {
                h[n][k] += pos[n * d + k];
            }
        }
        Deque<double[][]> skips = new ArrayDeque<>();
        int in = c.depth() / 2;
        for (int i = 0; i < c.depth(); i++) {
            String m = i < in ? "in_blocks." + i : i == in ? "mid_block" : "out_blocks." + (i - in - 1);
            if (i > in) {
                double[][] skip = skips.pop();
                double[][] both = new double[h.length][2 * d];
                for (int n = 0; n < h.length; n++) {
                    System.arraycopy(h[n], 0, both[n], 0, d);
                    System.arraycopy(skip[n], 0, both[n], d, d);
                }
                h = linear(m + ".skip_linear", both, 2 * d, d, true);
            }
            double[][] a = attention(m + ".attn", layerNorm(h, w(m + ".norm1.weight"), w(m + ".norm1.bias"), 1e-5),
                    c.heads(), c.qkvBias());
            h = addGated(h, null, a);
            double[][] f = mlp(m + ".mlp", layerNorm(h, w(m + ".norm2.weight"), w(m + ".norm2.bias"), 1e-5), false);
            h = addGated(h, null, f);
            if (i < in) {
                skips.push(h);
            }
        }
        int patchDim = c.patch() * c.patch() * c.inChannels();
        double[][] dec = linear("decoder_pred", layerNorm(h, w("norm.weight"), w("norm.bias"), 1e-5), d, patchDim, true);
        double[][] patchOnly = java.util.Arrays.copyOfRange(dec, 2, dec.length);
        double[] out = unpatchify(patchOnly, c.grid(), c.patch(), c.inChannels());
        return c.finalConv() ? conv3x3("final_layer", out, c.inChannels(), c.img()) : out;
    }

    // ---------------------------------------------------------------- modules

    /** Conv2d(C, D, p, stride p) then flatten(2).transpose(1, 2): tokens in row-major patch order. */
    private double[][] patchEmbed(String module, double[] img, int channels, int size, int p, int d) {
        float[] wt = w(module + ".weight");
        float[] bias = w(module + ".bias");
        int g = size / p;
        double[][] tokens = new double[g * g][d];
        for (int i = 0; i < g; i++) {
            for (int j = 0; j < g; j++) {
                for (int o = 0; o < d; o++) {
                    double acc = bias[o];
                    for (int ch = 0; ch < channels; ch++) {
                        for (int u = 0; u < p; u++) {
                            for (int v = 0; v < p; v++) {
                                acc += wt[((o * channels + ch) * p + u) * p + v]
                                        * img[(ch * size + i * p + u) * size + j * p + v];
                            }
                        }
                    }
                    tokens[i * g + j][o] = acc;
                }
            }
        }
        return tokens;
    }

    /** x.reshape(g, g, p, p, C), einsum hwpqc->chpwq, reshape (C, g·p, g·p). */
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

    private double[] conv3x3(String module, double[] img, int channels, int size) {
        float[] wt = w(module + ".weight");
        float[] bias = w(module + ".bias");
        double[] out = new double[img.length];
        for (int o = 0; o < channels; o++) {
            for (int r = 0; r < size; r++) {
                for (int col = 0; col < size; col++) {
                    double acc = bias[o];
                    for (int ch = 0; ch < channels; ch++) {
                        for (int u = 0; u < 3; u++) {
                            for (int v = 0; v < 3; v++) {
                                int rr = r + u - 1;
                                int cc = col + v - 1;
                                if (rr >= 0 && rr < size && cc >= 0 && cc < size) {
                                    acc += wt[((o * channels + ch) * 3 + u) * 3 + v] * img[(ch * size + rr) * size + cc];
                                }
                            }
                        }
                    }
                    out[(o * size + r) * size + col] = acc;
                }
            }
        }
        return out;
    }

    /**
     * timestep_embedding: [cos(t·f), sin(t·f)], f_k = exp(-ln(10000)·k/half). PyTorch computes f and
     * t·f in float32, so this does too; cos and sin in double.
     */
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

    /** A Linear on a vector, PyTorch layout W [out, in]. */
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

    /** A Linear on tokens, weight stored [in, out]. */
    private double[][] linear(String module, double[][] x, int in, int out, boolean bias) {
        float[] wt = w(module + ".weight.T");
        float[] b = bias ? w(module + ".bias") : null;
        double[][] y = new double[x.length][out];
        for (int n = 0; n < x.length; n++) {
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[o];
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

    /** LayerNorm over the last axis; null scale/shift for elementwise_affine=False. */
    private static double[][] layerNorm(double[][] x, float[] scale, float[] shift, double eps) {
        double[][] y = new double[x.length][];
        for (int n = 0; n < x.length; n++) {
            int d = x[n].length;
            double mean = 0;
            for (double v : x[n]) {
                mean += v;
            }
            mean /= d;
            double var = 0;
            for (double v : x[n]) {
                var += (v - mean) * (v - mean);
            }
            var /= d;
            y[n] = new double[d];
            for (int k = 0; k < d; k++) {
                double z = (x[n][k] - mean) / Math.sqrt(var + eps);
                y[n][k] = scale == null ? z : z * scale[k] + shift[k];
            }
        }
        return y;
    }

    /** Attention: qkv → per head softmax(q·kᵀ/√d)·v → proj. */
    private double[][] attention(String module, double[][] x, int heads, boolean qkvBias) {
        int n = x.length;
        int d = x[0].length;
        int hd = d / heads;
        double[][] qkv = linear(module + ".qkv", x, d, 3 * d, qkvBias);
        double[][] merged = new double[n][d];
        double scale = 1 / Math.sqrt(hd);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < n; i++) {
                double[] scores = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int k = 0; k < hd; k++) {
                        s += qkv[i][h * hd + k] * qkv[j][d + h * hd + k];
                    }
                    scores[j] = s * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int k = 0; k < hd; k++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) {
                        acc += scores[j] / sum * qkv[j][2 * d + h * hd + k];
                    }
                    merged[i][h * hd + k] = acc;
                }
            }
        }
        return linear(module + ".proj", merged, d, d, true);
    }

    /** fc1 → GELU (tanh approximation or exact) → fc2. */
    private double[][] mlp(String module, double[][] x, boolean tanhGelu) {
        int d = x[0].length;
        int hidden = w(module + ".fc1.bias").length;
        double[][] h = linear(module + ".fc1", x, d, hidden, true);
        for (double[] row : h) {
            for (int k = 0; k < row.length; k++) {
                double v = row[k];
                row[k] = tanhGelu
                        ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
                        : 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            }
        }
        return linear(module + ".fc2", h, hidden, d, true);
    }

    /** erf by its Maclaurin series (|x| < 3) or the asymptotic continued fraction; error below 1e-12. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax;
            double sum = ax;
            double x2 = ax * ax;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
            double f = ax;
            for (int k = 60; k >= 1; k--) {
                f = ax + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    private static double[] slice(float[] a, int from, int n) {
        double[] o = new double[n];
        for (int i = 0; i < n; i++) {
            o[i] = a[from + i];
        }
        return o;
    }
}
