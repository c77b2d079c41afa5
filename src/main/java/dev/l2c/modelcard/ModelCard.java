package dev.l2c.modelcard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.MismatchException;
import dev.l2c.error.UsageException;
import dev.l2c.io.StrictJson;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Value;
import dev.l2c.sampler.ClipRange;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.sampler.Samplers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The diffusion conventions of an exported model that its graph cannot tell: which input is the
 * noisy sample, the timestep (and its type), the class label; what the output predicts; the noise
 * schedule it was trained with; the null label for classifier-free guidance; the image geometry and
 * range; whether DDIM clips x0. Stored as JSON next to the model ({@code NAME.card.json}); see
 * onnx-models/README.md for the format.
 */
public record ModelCard(
        String name,
        String family,
        String sampleInput,
        String timestepInput,
        DataType timestepType,
        Conditioning conditioning,
        String output,
        String prediction,
        boolean learnedSigma,
        String betaSchedule,
        int trainSteps,
        double betaStart,
        double betaEnd,
        int channels,
        int height,
        int width,
        float rangeMin,
        float rangeMax,
        boolean clipX0,
        String defaultSampler,
        float defaultCfg) {

    public static final String FORMAT = "l2c-model-card";
    /** Version 1: class-label models ({@code inputs.label}, {@code classes}, {@code null_label}). */
    public static final int VERSION = 1;
    /** Version 2: any {@link Conditioning}, in a {@code conditioning} object (text-conditioned models). */
    public static final int VERSION_CONDITIONING = 2;
    private static final com.fasterxml.jackson.databind.json.JsonMapper JSON = StrictJson.mapper(false);

    /** The card file that belongs next to {@code model}: {@code dit_fmnist.onnx} → {@code dit_fmnist.card.json}. */
    public static Path besideModel(Path model) {
        String file = model.getFileName().toString();
        String base = file.endsWith(".onnx") ? file.substring(0, file.length() - 5) : file;
        return model.resolveSibling(base + ".card.json");
    }

    public static ModelCard read(Path file) throws InvalidInputException {
        JsonNode root;
        try {
            root = StrictJson.read(file, JSON, "model card");
        } catch (InvalidInputException e) {
            if (!Files.exists(file)) {
                throw new InvalidInputException(file, "no such model card (pass --card FILE, see onnx-models/README.md)");
            }
            throw e;
        }
        return checked(root, file);
    }

    /** {@link #read} for a card held in memory ({@code file} names it in messages). */
    public static ModelCard parse(byte[] bytes, Path file) throws InvalidInputException {
        return checked(StrictJson.parse(bytes, file, JSON, "model card"), file);
    }

    private static ModelCard checked(JsonNode root, Path file) throws InvalidInputException {
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(file, e.getMessage());
        }
    }


    /** Parses a card; IllegalArgumentException with a one-line reason when a field is missing or wrong. */
    public static ModelCard fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("a model card is a JSON object");
        }
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException("\"format\" must be \"" + FORMAT + "\"");
        }
        int version = root.path("version").asInt(-1);
        if (version != VERSION && version != VERSION_CONDITIONING) {
            throw new IllegalArgumentException("unsupported card version " + root.path("version") + " (this l2c reads versions "
                    + VERSION + " and " + VERSION_CONDITIONING + ")");
        }
        JsonNode in = require(root, "inputs");
        JsonNode sched = require(root, "noise_schedule");
        JsonNode img = require(root, "image");
        JsonNode range = img.path("range");
        DataType tType;
        try {
            tType = DataType.fromShortName(text(root, "timestep_type"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("timestep_type: " + e.getMessage());
        }
        if (tType != DataType.INT64 && tType != DataType.FLOAT && tType != DataType.INT32) {
            throw new IllegalArgumentException("timestep_type must be int64, int32 or float32");
        }
        String prediction = text(root, "prediction");
        if (!prediction.equals("epsilon")) {
            throw new IllegalArgumentException("prediction \"" + prediction + "\" is not supported (only epsilon)");
        }
        String schedule = text(sched, "type");
        if (!schedule.equals("linear") && !schedule.equals("scaled_linear")) {
            throw new IllegalArgumentException("noise_schedule.type must be linear or scaled_linear");
        }
        if (!range.isArray() || range.size() != 2) {
            throw new IllegalArgumentException("image.range must be [min, max]");
        }
        Conditioning conditioning;
        if (version == VERSION) {
            int classes = positive(root, "classes", 1_000_000);
            conditioning = new Conditioning.ClassLabel(text(in, "label"), classes, Conditioning.Json.nullLabel(root, classes));
        } else {
            conditioning = Conditioning.fromJson(require(root, "conditioning"));
        }
        int channels = positive(img, "channels", 4096);
        int height = positive(img, "height", 1 << 16);
        int width = positive(img, "width", 1 << 16);
        double rangeMin = finite(range.get(0), "image.range[0]");
        double rangeMax = finite(range.get(1), "image.range[1]");
        if (!(rangeMin < rangeMax)) {
            throw new IllegalArgumentException("image.range must be [min, max] with min < max, not " + range);
        }
        JsonNode steps = sched.get("steps");
        int trainSteps = steps == null ? 1000 : positive(sched, "steps", 1_000_000);
        if (trainSteps < 2) {
            throw new IllegalArgumentException("noise_schedule.steps must be at least 2, not " + trainSteps);
        }
        double betaStart = number(sched, "beta_start");
        double betaEnd = number(sched, "beta_end");
        for (double beta : new double[]{betaStart, betaEnd}) {
            if (!(beta > 0 && beta < 1)) {
                throw new IllegalArgumentException("noise_schedule betas must lie in (0, 1), not " + beta);
            }
        }
        JsonNode cfgNode = root.get("default_cfg");
        double defaultCfg = cfgNode == null ? 1.0 : finite(cfgNode, "default_cfg");
        return new ModelCard(
                root.path("name").asText(""),
                root.path("family").asText(""),
                text(in, "sample"), text(in, "timestep"), tType, conditioning,
                text(root, "output"), prediction, root.path("learned_sigma").asBoolean(false),
                schedule, trainSteps, betaStart, betaEnd, channels, height, width,
                (float) rangeMin, (float) rangeMax,
                root.path("clip_x0").asBoolean(true),
                root.path("default_sampler").asText("ddim"),
                (float) defaultCfg);
    }

    private static JsonNode require(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field \"" + field + "\"");
        }
        return v;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = require(n, field);
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a non-empty string");
        }
        return v.asText();
    }

    private static double number(JsonNode n, String field) {
        JsonNode v = require(n, field);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a number");
        }
        return finite(v, field);
    }

    private static double finite(JsonNode v, String field) {
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a finite number, not " + v);
        }
        return v.asDouble();
    }

    /** A whole number from 1 to {@code max}. */
    private static int positive(JsonNode n, String field, int max) {
        JsonNode v = require(n, field);
        if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > max) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a whole number from 1 to " + max
                    + ", not " + v);
        }
        return v.asInt();
    }

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", conditioning instanceof Conditioning.ClassLabel ? VERSION : VERSION_CONDITIONING);
        root.put("name", name);
        root.put("family", family);
        ObjectNode in = root.putObject("inputs");
        in.put("sample", sampleInput);
        in.put("timestep", timestepInput);
        if (conditioning instanceof Conditioning.ClassLabel l) {
            in.put("label", l.input());
        }
        root.put("output", output);
        root.put("timestep_type", timestepType.shortName);
        root.put("prediction", prediction);
        root.put("learned_sigma", learnedSigma);
        ObjectNode s = root.putObject("noise_schedule");
        s.put("type", betaSchedule);
        s.put("steps", trainSteps);
        s.put("beta_start", betaStart);
        s.put("beta_end", betaEnd);
        if (conditioning instanceof Conditioning.ClassLabel l) {
            root.put("classes", l.classes());
            root.put("null_label", l.nullLabel());
        } else {
            Conditioning.toJson(conditioning, root.putObject("conditioning"));
        }
        ObjectNode img = root.putObject("image");
        img.put("channels", channels);
        img.put("height", height);
        img.put("width", width);
        img.putArray("range").add(rangeMin).add(rangeMax);
        root.put("clip_x0", clipX0);
        root.put("default_sampler", defaultSampler);
        root.put("default_cfg", defaultCfg);
        return root;
    }

    /** The class-label conditioning; IllegalStateException naming the card's kind for a text-conditioned model. */
    public Conditioning.ClassLabel classLabel() {
        if (conditioning instanceof Conditioning.ClassLabel l) {
            return l;
        }
        throw new IllegalStateException(name + " is text-conditioned; this needs a class-conditional model");
    }

    /** Whether the model is conditioned on text embeddings rather than a class label. */
    public boolean textConditioned() {
        return conditioning instanceof Conditioning.TextTokens;
    }

    /** The label input of a class-conditional model. */
    public String labelInput() {
        return classLabel().input();
    }

    /** The number of classes of a class-conditional model. */
    public int classes() {
        return classLabel().classes();
    }

    /** The null label of a class-conditional model. */
    public long nullLabel() {
        return classLabel().nullLabel();
    }

    /** The noise schedule the model was trained with. */
    public NoiseSchedule noiseSchedule() throws UsageException {
        return NoiseSchedule.fromName(betaSchedule, trainSteps, betaStart, betaEnd);
    }

    /** The range samplers clip x0 to: the card's image range when {@code clip_x0}, else null. */
    public ClipRange clipRange() {
        return clipX0 ? new ClipRange(rangeMin, rangeMax) : null;
    }

    /**
     * The sampler this card's model is run with: the one called {@code name} (null: the card's default)
     * with {@code nfe} evaluations, clipping x0 to the card's range when the card says so and
     * {@code clip} allows it.
     */
    public Sampler sampler(String name, int nfe, boolean clip) throws UsageException {
        return Samplers.create(name != null ? name : defaultSampler, noiseSchedule(), nfe, clip ? clipRange() : null);
    }

    public int sampleElements() {
        return channels * height * width;
    }

    /** Checks that the graph has the inputs and output the card names, with compatible types. */
    public void checkFits(Graph graph, Path modelFile, Path cardFile) throws MismatchException {
        List<String> named = new ArrayList<>(List.of(sampleInput, timestepInput));
        named.addAll(conditioning.inputs());
        for (String input : named) {
            Value v = graph.value(input);
            if (v == null || !graph.inputs().contains(v)) {
                throw new MismatchException(cardFile, "names input '" + input + "', but " + modelFile.getFileName()
                        + " has inputs " + graph.inputs().stream().map(Value::name).toList());
            }
        }
        if (graph.outputs().stream().noneMatch(v -> v.name().equals(output))) {
            throw new MismatchException(cardFile, "names output '" + output + "', but " + modelFile.getFileName()
                    + " has outputs " + graph.outputs().stream().map(Value::name).toList());
        }
        Value t = graph.value(timestepInput);
        if (t.type() != null && t.type().elementType() != timestepType) {
            throw new MismatchException(cardFile, "says timestep_type " + timestepType.shortName + ", but input '"
                    + timestepInput + "' of " + modelFile.getFileName() + " is " + t.type().elementType().shortName);
        }
        // the image geometry, where the graph declares it: a card for another model fails here, not at the first run
        Value x = graph.value(sampleInput);
        if (x.type() != null && x.type().shape() != null && x.type().shape().rank() == 4) {
            long[] card = {channels, height, width};
            String[] names = {"channels", "height", "width"};
            for (int i = 0; i < 3; i++) {
                var d = x.type().shape().dim(i + 1);
                if (d.isKnown() && d.value() != card[i]) {
                    throw new MismatchException(cardFile, "says image." + names[i] + " " + card[i] + ", but input '"
                            + sampleInput + "' of " + modelFile.getFileName() + " is " + x.type().shape());
                }
            }
        }
    }
}
