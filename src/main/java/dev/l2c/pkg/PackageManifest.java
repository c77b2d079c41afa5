package dev.l2c.pkg;

import dev.l2c.ir.DataType;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.sampler.ClipRange;
import dev.l2c.sampler.SamplingPlan;

import java.util.List;
import java.util.Map;

/**
 * Everything a package's {@code manifest.json} says, typed: what was compiled (source model, card,
 * layers, schedule), how to run it (model interface, guidance, the sampler as per-step coefficients,
 * which cache tensor goes where and when it can be freed), what it costs, and the checksum of every
 * file. It describes a package completely enough that a runner in any language can run it without
 * l2c's code (graph-compiler/README.md, "Writing your own runner"). Immutable; written and read by
 * {@link ManifestJson}.
 *
 * @param version      package format version ({@link ManifestJson#VERSION})
 * @param createdBy    "l2c VERSION"
 * @param kind         a sequence of step graphs, or one linked model of the whole run
 * @param sourceModel  the ONNX file the package was compiled from
 * @param card         the model card: diffusion conventions of the model
 * @param layers       the cacheable layers, in L2C order
 * @param schedule     the schedule compiled (its file is in the package)
 * @param sampler      the sampler the steps' coefficients come from
 * @param model        the step graphs' inputs and output (what a runner feeds and reads)
 * @param guidance     classifier-free guidance as the run applies it
 * @param weights      the shared external-data file
 * @param graphs       the distinct step graphs (stepwise packages; empty for linked ones)
 * @param linkedModel  the one model of a linked package, or null
 * @param steps        one entry per model evaluation, in order
 * @param totals       sums over the steps
 * @param files        SHA-256 of every file in the package except the manifest, by file name
 */
public record PackageManifest(int version, String createdBy, Kind kind, SourceModel sourceModel, ModelCard card,
                              Layers layers, ScheduleInfo schedule, SamplerInfo sampler, ModelInterface model,
                              GuidanceInfo guidance, WeightsInfo weights, List<StepGraph> graphs,
                              LinkedModel linkedModel, List<Step> steps, Totals totals, Map<String, String> files) {

    public PackageManifest {
        graphs = List.copyOf(graphs);
        steps = List.copyOf(steps);
        files = Map.copyOf(files);
    }

    /** What the package's ONNX files are. */
    public enum Kind {
        /** One graph per distinct step, cache tensors passed between them by the runner. */
        STEPWISE("stepwise"),
        /** One model that performs the whole sampling run: noise and labels in, samples out. */
        LINKED("linked");

        public final String jsonName;

        Kind(String jsonName) {
            this.jsonName = jsonName;
        }
    }

    /** The ONNX file compiled: its name, SHA-256, producer and default opset. */
    public record SourceModel(String file, String sha256, String producer, long opset) {
    }

    /** The cacheable layers (as `l2c inspect --json` lists them) and one full evaluation's cost. */
    public record Layers(List<Layer> layers, String source, long macsFullPerSample) {
        public Layers {
            layers = List.copyOf(layers);
        }

        public int size() {
            return layers.size();
        }
    }

    /**
     * One cacheable layer: L2C number, block, "attention" or "mlp", the cached tensor's name, element
     * type and shape (symbolic dimensions as strings), and the multiply-accumulates reusing it saves.
     */
    public record Layer(int index, int block, String kind, String tensor, String dtype, List<String> shape,
                        long macsPerSample, String gate) {
        public Layer {
            shape = List.copyOf(shape);
        }

        /** Bytes of the cached tensor for one sample of the model batch (symbolic dimensions taken as 1). */
        public long bytesPerSample() {
            long n = 1;
            for (String d : shape) {
                if (d.chars().allMatch(Character::isDigit) && !d.isEmpty()) {
                    n = Math.multiplyExact(n, Long.parseLong(d));
                } else if (d.contains("*")) {
                    String factor = d.substring(0, d.indexOf('*'));
                    if (factor.chars().allMatch(Character::isDigit) && !factor.isEmpty()) {
                        n = Math.multiplyExact(n, Long.parseLong(factor));
                    }
                }
            }
            int bits = dtype.equals("float16") || dtype.equals("bfloat16") ? 16 : dtype.equals("float64") ? 64 : 32;
            return n * bits / 8;
        }
    }

    /** The schedule compiled: its file in the package, evaluations, layers and step pattern. */
    public record ScheduleInfo(String file, int nfe, int layers, String pattern) {
    }

    /** The sampler: its name, step pattern, evaluations and the range x̂0 is clipped to (null: none). */
    public record SamplerInfo(String name, String pattern, int nfe, ClipRange clip) {
    }

    /** One named model input and its element type. */
    public record TensorName(String name, DataType dtype) {
    }

    /**
     * The step graphs' interface: the noisy sample [n, C, H, W], the timestep [n] and the class label
     * [n]; the output [n, outputChannels, H, W], whose first {@code noiseChannels} channels are ε.
     */
    public record ModelInterface(TensorName sample, TensorName timestep, List<TensorName> conditions, String output,
                                 long outputChannels, int noiseChannels) {
        public ModelInterface {
            conditions = List.copyOf(conditions);
        }

        /** The label input of a class-conditional model (its one condition input). */
        public TensorName label() {
            return conditions.get(0);
        }
    }

    /**
     * Classifier-free guidance: with a scale s ≠ 1 the model runs on the doubled batch [z; z] with
     * labels [y; nullLabel] (conditional half first) and ε = ε_u + s·(ε_c − ε_u); with s = 1 it runs on
     * [z] with labels [y] and ε is its output.
     */
    public record GuidanceInfo(long nullLabel, float defaultScale) {
        /** The {@code nullLabel} of a text-conditioned model, whose null condition the card declares. */
        public static final long NOT_A_LABEL = -1;
    }

    /** The external-data file all graphs share. {@code mode}: "copied", or "linked" (a hard link to the source's). */
    public record WeightsInfo(String file, long bytes, int alignment, String mode, int embeddedBelowBytes) {
    }

    /** One distinct step graph: its file, the cache tensors it reads and writes, its size and cost. */
    public record StepGraph(String file, List<String> cacheInputs, List<String> cacheOutputs, int nodes,
                            long macsPerSample) {
        public StepGraph {
            cacheInputs = List.copyOf(cacheInputs);
            cacheOutputs = List.copyOf(cacheOutputs);
        }
    }

    /**
     * The model of a linked package: inputs {@code noise} [n, C, H, W] float32 and {@code labels} [n]
     * (the card's label type), {@code guidanceScale} a float32 scalar input with the card's default
     * (null when the model was linked without guidance), output {@code samples} [n, C, H, W], and
     * {@code stepCheck} [nfe]: 0 where a step's noise estimate was finite, NaN where it was not.
     */
    public record LinkedModel(String file, String noise, List<String> conditions, List<String> unconditional,
                              String guidanceScale, String samples, String stepCheck, int nodes) {
        public LinkedModel {
            conditions = List.copyOf(conditions);
            unconditional = List.copyOf(unconditional);
        }

        /** The label input of a class-conditional model's linked graph. */
        public String labels() {
            return conditions.get(0);
        }

        public boolean guided() {
            return guidanceScale != null;
        }
    }

    /**
     * A cache tensor a step reads: its layer, its input name, the step that produced it, its place in
     * the layer's history (0: the most recent computed value) and the weight it has in the step's
     * forecast of the layer (plain reuse: history 0, weight 1). The weights are constants of the step
     * graph; the manifest states them so a reader can check and explain the package.
     */
    public record CacheInput(int layer, String name, int fromStep, int history, double weight) {
        /** Plain reuse of the value {@code fromStep} computed. */
        public CacheInput(int layer, String name, int fromStep) {
            this(layer, name, fromStep, 0, 1.0);
        }
    }

    /** A cache tensor a step writes, and the last step that reads it. */
    public record CacheOutput(int layer, String name, int lastReadStep) {
    }

    /** A cache tensor whose last reader is this step: free it once the step has run. */
    public record CacheRelease(int layer, int fromStep) {
    }

    /**
     * One model evaluation.
     *
     * @param step        its index
     * @param update      the sampler at this step: model time, α and σ of the data prediction, and the
     *                    terms of the next model input ({@link SamplingPlan})
     * @param timestep    the value fed to the timestep input, in its type (integer timesteps rounded)
     * @param graph       the step graph it runs (stepwise), or null (linked)
     * @param full        every layer computed
     * @param layersComputed how many layers it computes
     * @param cacheInputs  the cache tensors it reads
     * @param cacheOutputs the cache tensors it writes for later steps
     * @param freeAfter   the cache tensors no later step reads
     * @param macsPerSample multiply-accumulates of this evaluation per sample
     * @param liveCacheBytesPerSample cache bytes resident while it runs, per sample
     */
    public record Step(int step, SamplingPlan.Evaluation update, double timestep, String graph, boolean full,
                       int layersComputed, List<CacheInput> cacheInputs, List<CacheOutput> cacheOutputs,
                       List<CacheRelease> freeAfter, long macsPerSample, long liveCacheBytesPerSample) {
        public Step {
            cacheInputs = List.copyOf(cacheInputs);
            cacheOutputs = List.copyOf(cacheOutputs);
            freeAfter = List.copyOf(freeAfter);
        }

        public double modelTime() {
            return update.modelTime();
        }
    }

    /** Sums over all steps. */
    public record Totals(long macsPerSample, long macsFullPerSample, long layerEvaluations, long layerEvaluationsFull,
                         long peakCacheBytesPerSample) {
        /** Full MACs over scheduled MACs: the speedup if time were proportional to MACs. */
        public double idealSpeedup() {
            return (double) macsFullPerSample / macsPerSample;
        }
    }

    public boolean isLinked() {
        return kind == Kind.LINKED;
    }

    /** Whether the package samples with guidance scale 1 only: linked with --no-guidance. */
    public boolean unguidedOnly() {
        return isLinked() && !linkedModel.guided();
    }

    /**
     * The guidance scale of a run: {@code requested} (a finite number), else the card's default, or 1 for
     * a package linked with --no-guidance, whose one graph has no guidance; another scale is refused there.
     */
    public float guidanceScale(Float requested, java.nio.file.Path folder) throws dev.l2c.error.UsageException {
        if (!unguidedOnly()) {
            return requested != null ? requested : card.defaultCfg();
        }
        if (requested != null && requested != 1f) {
            throw new dev.l2c.error.UsageException("--cfg " + requested + ": " + folder + " was linked with --no-guidance"
                    + " and samples with scale 1 only; leave --cfg out, or compile it again with --link alone for guidance");
        }
        return 1f;
    }

    /** The sampler's plan, rebuilt from the steps. */
    public SamplingPlan samplingPlan() {
        return new SamplingPlan(sampler.name(), steps.stream().map(Step::update).toList(), sampler.clip());
    }

    /** Per model evaluation, whether it is a full step. */
    public boolean[] fullSteps() {
        boolean[] full = new boolean[steps.size()];
        for (int k = 0; k < full.length; k++) {
            full[k] = steps.get(k).full();
        }
        return full;
    }

    /** The ONNX files the runner opens: the step graphs, or the linked model. */
    public List<String> onnxFiles() {
        return isLinked() ? List.of(linkedModel.file()) : graphs.stream().map(StepGraph::file).toList();
    }

    public double idealSpeedup() {
        return totals.idealSpeedup();
    }
}
