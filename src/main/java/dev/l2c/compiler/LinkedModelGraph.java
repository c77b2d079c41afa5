package dev.l2c.compiler;

import dev.l2c.ToolVersion;
import dev.l2c.error.UnsupportedModelException;
import dev.l2c.ir.Attribute;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Shape;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorData;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.passes.RemoveUnusedNodesPass;
import dev.l2c.sampler.ClipRange;
import dev.l2c.sampler.SamplingPlan;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The whole sampling run as one ONNX graph: every step's pruned graph in sampling order, the cached
 * branch values flowing from the step that computes them to the steps that reuse them as ordinary
 * tensors, classifier-free guidance and the sampler's arithmetic as graph operations with each
 * step's coefficients as constants. One ONNX Runtime session runs it: weights are loaded (and
 * prepacked) once and one memory arena serves every step.
 *
 * <p>Interface: inputs {@value #NOISE} float32 [n, C, H, W] (x_T), {@value #LABELS} [n] (the source's
 * label type) and, when guided, {@value #GUIDANCE_SCALE} a float32 scalar; output {@value #SAMPLES}
 * float32 [n, C, H, W]. Per evaluation k, with z_0 = noise:
 * <pre>
 *   model batch   [z_k; z_k], labels [y; null]       (guided; unguided: z_k, y)
 *   ε_k           = ε_u + s·(ε_c − ε_u)              of the first C output channels
 *   x̂0_k          = Clip((z_k − σ_k·ε_k) / α_k)      in float64
 *   z_{k+1}       = Σ coefficient · (z_j or x̂0_j)    the plan's terms, in float64, rounded to float32
 * </pre>
 * The sampler's update runs in float64 with float64 constants, in the order of the step-by-step
 * runner ({@code SamplingPlan.run}), so the linked model computes the same bits as a stepwise package
 * from the same step graphs: a forecast amplifies any rounding difference of its history (an order-2
 * extrapolation from float32 updates moved the final samples by 1.5e-5). It costs nothing measurable:
 * the update is a few elementwise operations on [n, C, H, W].
 *
 * <p>Weights: the linked graph's initializers are the source model's tensors, one value each, read by
 * every step that uses them; nothing is copied. Nodes of a step whose inputs are all step-independent
 * (constants, weights, the labels: e.g. the label embedding) are created once and shared by every
 * step. Values are named {@code s<k>/<name in the step graph>}, so a node of the linked graph tells
 * which step it belongs to.
 */
public final class LinkedModelGraph {
    public static final String NOISE = "noise";
    public static final String LABELS = "labels";
    /** Prefix of the unconditional half's condition inputs of a text-conditioned linked model. */
    public static final String UNCONDITIONAL_PREFIX = "unconditional_";
    public static final String GUIDANCE_SCALE = "guidance_scale";
    public static final String SAMPLES = "samples";
    /**
     * Second output, float32 [nfe]: per step the sum of 0·ε, so 0 where the step's noise estimate is
     * finite and NaN where it holds a NaN or an infinity. The runner names the first failing step.
     */
    public static final String STEP_CHECK = "step_check";
    /** The symbol of the batch dimension of the linked model's inputs and output. */
    public static final String BATCH = "batch";
    /** The default-domain opset the sampler's operators need (Clip with min/max inputs, Slice with inputs). */
    static final long MIN_OPSET = 13;

    private final Graph g;
    private final ModelCard card;
    private final DataType labelType;
    /** Copies the steps' graphs in, sharing weights and step-independent nodes, wiring the caches. */
    private StepInliner steps;
    private int modelBatchFactor = 1;
    private TensorType sampleType;
    /** The same, float64: the sampler's arithmetic. */
    private TensorType sampleTypeF64;
    private Value zero;
    private Value axis0;
    private Value toEnd;

    private LinkedModelGraph(Graph g, ModelCard card, DataType labelType) {
        this.g = g;
        this.card = card;
        this.labelType = labelType;
    }

    /**
     * Builds the linked model.
     *
     * @param source      the source model (header, opset, initializers)
     * @param card        its card: input and output names, null label, channels
     * @param plan        the cache flow of the schedule
     * @param stepGraph   the pruned graph of step k (steps with the same signature may share one)
     * @param sampling    the sampler, one evaluation per step
     * @param guided      double the batch for classifier-free guidance (scale an input)
     */
    public static Model build(Model source, ModelCard card, CachePlan plan, IntFunction<CacheStepGraph> stepGraph,
                              SamplingPlan sampling, boolean guided) throws UnsupportedModelException {
        if (sampling.size() != plan.steps().size()) {
            throw new IllegalArgumentException("the sampler makes " + sampling.size() + " evaluations, the schedule "
                    + plan.steps().size());
        }
        if (source.defaultOpset() < MIN_OPSET) {
            throw new UnsupportedModelException(null, "linking needs opset " + MIN_OPSET + " or later (the model uses "
                    + source.defaultOpset() + "); re-export it with a newer opset");
        }
        DataType labelType = DataType.INT64;
        if (!card.textConditioned()) {
            Value sourceLabel = source.graph().value(card.labelInput());
            labelType = sourceLabel.type() != null ? sourceLabel.type().elementType() : DataType.INT64;
        }
        Graph g = new Graph("l2c_linked_model");
        LinkedModelGraph b = new LinkedModelGraph(g, card, labelType);
        Model m = new Model(g, source.irVersion(), source.opsetImports());
        m.setProducer(ToolVersion.PRODUCER, ToolVersion.version());
        b.link(source, plan, stepGraph, sampling, guided);
        new RemoveUnusedNodesPass().run(g);
        g.sortTopologically();
        return m;
    }

    /** The model batch's condition values by source input name: [c; unconditional] when guided. */
    private final Map<String, Value> modelConditions = new LinkedHashMap<>();

    /** The linked graph's condition inputs, named as the card names the source's (a class label: {@value #LABELS}). */
    public static List<String> conditionInputs(ModelCard card) {
        return card.textConditioned() ? card.conditioning().inputs() : List.of(LABELS);
    }

    /**
     * The linked graph's inputs of the unconditional half under guidance: none for a class label (the
     * card's null label is built in), {@value #UNCONDITIONAL_PREFIX} + name for text (a negative prompt's
     * embeddings, or the null condition's).
     */
    public static List<String> unconditionalInputs(ModelCard card) {
        return card.textConditioned() ? card.conditioning().inputs().stream().map(n -> UNCONDITIONAL_PREFIX + n).toList()
                : List.of();
    }

    /** Labels [n]; guided: [y; null_label] with the card's null label built in. */
    private void labelInputs(Model source, Dim n, boolean guided) {
        Value labels = g.addInput(LABELS, TensorType.of(labelType, Shape.of(n)));
        steps = new StepInliner(g, card, modelBatchFactor, source);
        steps.markStepIndependent(labels);
        // the model batch's labels, the same at every step
        Value modelLabels = labels;
        if (guided) {
            Value nulls = op("Expand", "labels_null", constant("null_label", labelType, card.nullLabel()),
                    op("Shape", "labels_shape", labels));
            nulls.setType(labels.type());
            modelLabels = op("Concat", "labels_doubled", List.of(labels, nulls), Attribute.ofInt("axis", 0));
            modelLabels.setType(TensorType.of(labelType, Shape.of(new Dim(2, BATCH))));
        }
        steps.markStepIndependent(modelLabels);
        modelConditions.put(card.labelInput(), modelLabels);
    }

    /** Each text condition input [n, …] as the source declares it; guided: joined with its unconditional input. */
    private void textConditionInputs(Model source, Dim n, boolean guided) {
        steps = new StepInliner(g, card, modelBatchFactor, source);
        for (String name : card.conditioning().inputs()) {
            TensorType declared = source.graph().value(name).type();
            Shape perSample = declared.shape();
            List<Dim> rest = new ArrayList<>();
            for (int i = 1; i < perSample.rank(); i++) {
                rest.add(perSample.dim(i));
            }
            List<Dim> dims = new ArrayList<>(List.of(n));
            dims.addAll(rest);
            Value c = g.addInput(name, TensorType.of(declared.elementType(), Shape.of(dims.toArray(Dim[]::new))));
            steps.markStepIndependent(c);
            Value model = c;
            if (guided) {
                Value u = g.addInput(UNCONDITIONAL_PREFIX + name, c.type());
                steps.markStepIndependent(u);
                model = op("Concat", name + "_doubled", List.of(c, u), Attribute.ofInt("axis", 0));
                List<Dim> doubled = new ArrayList<>(List.of(new Dim(2, BATCH)));
                doubled.addAll(rest);
                model.setType(TensorType.of(declared.elementType(), Shape.of(doubled.toArray(Dim[]::new))));
            }
            steps.markStepIndependent(model);
            modelConditions.put(name, model);
        }
    }

    private void link(Model source, CachePlan plan, IntFunction<CacheStepGraph> stepGraph, SamplingPlan sampling,
                      boolean guided) {
        Dim n = Dim.symbolic(BATCH);
        modelBatchFactor = guided ? 2 : 1;
        int c = card.channels();
        sampleType = TensorType.of(DataType.FLOAT, Shape.of(n, Dim.of(c), Dim.of(card.height()), Dim.of(card.width())));
        sampleTypeF64 = TensorType.of(DataType.DOUBLE, sampleType.shape());
        Value noise = g.addInput(NOISE, sampleType);
        if (card.textConditioned()) {
            textConditionInputs(source, n, guided);
        } else {
            labelInputs(source, n, guided);
        }
        Value scale = guided ? g.addInput(GUIDANCE_SCALE, TensorType.of(DataType.FLOAT, Shape.SCALAR)) : null;
        zero = ints("zero", 0);
        axis0 = ints("axis0", 0);
        toEnd = ints("to_end", Long.MAX_VALUE);
        Value modelBatchShape = card.textConditioned()
                ? op("Slice", "model_batch_shape", op("Shape", "model_condition_shape", modelConditions.values().iterator().next()),
                zero, ints("one_", 1), axis0)
                : op("Shape", "model_batch_shape", modelConditions.values().iterator().next());
        Value half = guided ? op("Slice", "batch_size", op("Shape", "noise_shape", noise), zero, ints("one", 1), axis0)
                : null;


        List<Value> inputs = new ArrayList<>();
        List<Value> inputsF64 = new ArrayList<>();
        List<Value> predictions = new ArrayList<>();
        List<Value> checks = new ArrayList<>();
        Value zeroF = scalar("zero_f", 0.0);
        inputs.add(noise);
        inputsF64.add(wide(op("Cast", "noise_f64", List.of(noise), Attribute.ofInt("to", DataType.DOUBLE.code))));
        for (int k = 0; k < plan.steps().size(); k++) {
            CachePlan.Step step = plan.step(k);
            SamplingPlan.Evaluation e = sampling.evaluation(k);
            String p = "s" + k + "/";
            Value z = inputs.get(k);
            Value modelX = guided ? op("Concat", p + "model_x", List.of(z, z), Attribute.ofInt("axis", 0)) : z;
            modelX.setType(TensorType.of(DataType.FLOAT, Shape.of(new Dim(modelBatchFactor, BATCH), Dim.of(c),
                    Dim.of(card.height()), Dim.of(card.width()))));
            Value t = op("Expand", p + "timestep", timestep(p, e.modelTime()), modelBatchShape);
            t.setType(TensorType.of(card.timestepType(), Shape.of(new Dim(modelBatchFactor, BATCH))));
            Value out = steps.inline(stepGraph.apply(k), step, p, modelX, t, modelConditions);
            Value eps = noiseOf(p, out, c, half, scale);
            // 0·ε sums to 0, or to NaN when ε holds a NaN or an infinity: two cheap nodes per step
            Value check = op("ReduceSum", p + "check", List.of(op("Mul", p + "eps_times_zero", eps, zeroF)),
                    Attribute.ofInt("keepdims", 1));
            check.setType(TensorType.of(DataType.FLOAT, Shape.of(1, 1, 1, 1)));
            checks.add(check);
            Value epsF64 = wide(op("Cast", p + "eps_f64", List.of(eps), Attribute.ofInt("to", DataType.DOUBLE.code)));
            Value x0 = wide(op("Div", p + "x0_unclipped", wide(op("Sub", p + "z_minus_sigma_eps", inputsF64.get(k),
                    wide(op("Mul", p + "sigma_eps", epsF64, scalarF64(p + "sigma", e.sigma()))))),
                    scalarF64(p + "alpha", e.alpha())));
            ClipRange clip = sampling.clip();
            if (clip != null) {
                x0 = wide(op("Clip", p + "x0", x0, scalarF64(p + "clip_min", clip.min()),
                        scalarF64(p + "clip_max", clip.max())));
            }
            predictions.add(x0);
            Value next = combine(p, e.next(), inputsF64, predictions, k + 1 == plan.steps().size());
            inputs.add(next);
            inputsF64.add(wide(op("Cast", p + "next_f64", List.of(next), Attribute.ofInt("to", DataType.DOUBLE.code))));
        }

        g.addOutput(inputs.get(inputs.size() - 1));
        Value all = op("Concat", "step_checks", checks, Attribute.ofInt("axis", 0));
        all.setType(TensorType.of(DataType.FLOAT, Shape.of(checks.size(), 1, 1, 1)));
        Value taken = g.value(STEP_CHECK);
        if (taken != null) {
            g.renameValue(taken, g.freshName(STEP_CHECK + "_source"));
        }
        Value stepCheck = g.addNode("Reshape", List.of(all, ints("flat", checks.size())), List.of(STEP_CHECK)).output(0);
        stepCheck.setType(TensorType.of(DataType.FLOAT, Shape.of(checks.size())));
        g.addOutput(stepCheck);
    }

    /** ε from the model output: the first C channels, and for guidance the combination of the two halves. */
    private Value noiseOf(String p, Value out, int channels, Value half, Value scale) {
        Value eps = out;
        if (card.learnedSigma()) {
            eps = op("Slice", p + "eps_channels", out, zero, ints(p + "noise_channels", channels), ints(p + "axis1", 1));
            eps.setType(TensorType.of(DataType.FLOAT, Shape.of(new Dim(modelBatchFactor, BATCH), Dim.of(channels),
                    Dim.of(card.height()), Dim.of(card.width()))));
        }
        if (scale == null) {
            return eps;
        }
        Value cond = sample(op("Slice", p + "eps_c", eps, zero, half, axis0));
        Value uncond = sample(op("Slice", p + "eps_u", eps, half, toEnd, axis0));
        // float arithmetic as the runner's: ε_u + s·(ε_c − ε_u)
        return sample(op("Add", p + "eps", uncond, sample(op("Mul", p + "guided_difference", scale,
                sample(op("Sub", p + "eps_difference", cond, uncond))))));
    }

    /**
     * z_{k+1} = Σ coefficient · term over float64 inputs and predictions, rounded to float32. Zero
     * coefficients are left out and unit ones are not multiplied: both change no bit of the sum.
     */
    private Value combine(String p, List<SamplingPlan.Term> terms, List<Value> inputsF64, List<Value> predictions,
                          boolean last) {
        Value sumF64 = null;
        int i = 0;
        for (SamplingPlan.Term t : terms) {
            if (t.coefficient() == 0.0) {
                continue;
            }
            Value v = t.source() == SamplingPlan.Source.INPUT ? inputsF64.get(t.evaluation()) : predictions.get(t.evaluation());
            Value term = t.coefficient() == 1.0 ? v
                    : wide(op("Mul", p + "next_term" + i, v, scalarF64(p + "next_coefficient" + i, t.coefficient())));
            sumF64 = sumF64 == null ? term : wide(op("Add", p + "next_sum" + i, sumF64, term));
            i++;
        }
        if (sumF64 == null) {
            throw new IllegalStateException("step " + p + " has no update term");
        }
        Value sum = sample(op("Cast", p + "next", List.of(sumF64), Attribute.ofInt("to", DataType.FLOAT.code)));
        if (last) {
            // the run's output gets its interface name (a source value of that name is renamed away)
            Value taken = g.value(SAMPLES);
            if (taken != null) {
                g.renameValue(taken, g.freshName(SAMPLES + "_source"));
            }
            return sample(g.addNode("Identity", List.of(sum), List.of(SAMPLES)).output(0));
        }
        return sum;
    }

    /** Declares {@code v} a batch of samples, [n, C, H, W] float32, and returns it. */
    private Value sample(Value v) {
        v.setType(sampleType);
        return v;
    }

    /** Declares {@code v} a batch of samples in float64 (the sampler's arithmetic) and returns it. */
    private Value wide(Value v) {
        v.setType(sampleTypeF64);
        return v;
    }

    private Value op(String opType, String output, Value... inputs) {
        return op(opType, output, List.of(inputs));
    }

    private Value op(String opType, String output, List<Value> inputs, Attribute... attributes) {
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            attrs.put(a.name(), a);
        }
        String name = g.freshName(output);
        return g.addNode(opType, "", new ArrayList<>(inputs), List.of(name), attrs, name).output(0);
    }

    /** A float32 scalar constant (small: stays embedded in the model file). */
    private Value scalar(String name, double value) {
        return g.addInitializer(g.freshName(name), Tensor.ofFloats(name, new long[0], (float) value));
    }

    /** A float64 scalar constant: the sampler's coefficients as the step-by-step runner uses them. */
    private Value scalarF64(String name, double value) {
        String fresh = g.freshName(name);
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value);
        b.flip();
        return g.addInitializer(fresh, new Tensor(fresh, DataType.DOUBLE, new long[0], TensorData.of(b)));
    }

    private Value ints(String name, long... values) {
        String fresh = g.freshName(name);
        return g.addInitializer(fresh, Tensor.ofLongs(fresh, new long[]{values.length}, values));
    }

    /** A scalar of {@code type} holding {@code value}. */
    private Value constant(String name, DataType type, long value) {
        String fresh = g.freshName(name);
        ByteBuffer b = ByteBuffer.allocate((int) type.byteSize(1)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case INT64 -> b.putLong(value);
            case INT32 -> b.putInt((int) value);
            case FLOAT -> b.putFloat(value);
            default -> throw new IllegalArgumentException("labels of type " + type.shortName + " are not supported");
        }
        b.flip();
        return g.addInitializer(fresh, new Tensor(fresh, type, new long[0], TensorData.of(b)));
    }

    /** The timestep the step graph is fed, as the runner feeds it: integer timesteps rounded (half up). */
    private Value timestep(String p, double modelTime) {
        DataType type = card.timestepType();
        if (type == DataType.FLOAT) {
            return scalar(p + "t", modelTime);
        }
        return constant(p + "t", type, Math.round(modelTime));
    }
}
