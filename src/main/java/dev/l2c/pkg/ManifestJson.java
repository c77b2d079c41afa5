package dev.l2c.pkg;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.error.InvalidInputException;
import dev.l2c.io.StrictJson;
import dev.l2c.ir.DataType;
import dev.l2c.modelcard.Conditioning;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.sampler.ClipRange;
import dev.l2c.sampler.SamplingPlan;
import dev.l2c.schedule.Forecast;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The JSON form of {@link PackageManifest} ({@code manifest.json}), field by field as
 * graph-compiler/README.md documents it. Reading checks the format and version, every field's
 * presence and type, and the manifest's own consistency (steps numbered in order, caches read only
 * from earlier steps, every file a plain name inside the package); each problem is one line naming
 * the manifest file and the field.
 */
public final class ManifestJson {
    public static final String FORMAT = "l2c-package";
    /**
     * 4: the manifest ends with its own digest ({@link ManifestDigest}), which covers the whole package.
     * 3: cache inputs carry {@code history} and {@code weight} (forecasts over a layer's last K computed
     * values). 2: typed cache outputs, sampler coefficients per step, model interface and guidance,
     * linked packages; still read (every cache input is then plain reuse).
     */
    public static final int VERSION = 4;
    /** Packages of text-conditioned models: condition inputs as lists, the card's null condition. */
    public static final int VERSION_CONDITIONING = 5;
    /** The oldest version this l2c reads. */
    public static final int OLDEST_READ = 2;
    /** The first version whose manifests carry {@link ManifestDigest#FIELD}. */
    public static final int FIRST_WITH_DIGEST = 4;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private static final JsonMapper READER = StrictJson.mapper(false);

    private ManifestJson() {
    }

    // ---------------------------------------------------------------- writing

    /** The manifest as UTF-8 JSON bytes. */
    public static byte[] toBytes(PackageManifest m) {
        try {
            ObjectNode root = toJson(m);
            if (m.version() < FIRST_WITH_DIGEST) {
                return JSON.writeValueAsBytes(root);
            }
            root.put(ManifestDigest.FIELD, ManifestDigest.ZEROS);
            return ManifestDigest.seal(JSON.writeValueAsBytes(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest does not serialize", e);
        }
    }

    public static ObjectNode toJson(PackageManifest m) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", m.version());
        root.put("created_by", m.createdBy());
        root.put("kind", m.kind().jsonName);
        ObjectNode src = root.putObject("source_model");
        src.put("file", m.sourceModel().file());
        src.put("sha256", m.sourceModel().sha256());
        src.put("producer", m.sourceModel().producer());
        src.put("opset", m.sourceModel().opset());
        root.set("card", m.card().toJson());
        root.set("layer_map", layers(m.layers()));
        ObjectNode sch = root.putObject("schedule");
        sch.put("file", m.schedule().file());
        sch.put("nfe", m.schedule().nfe());
        sch.put("layers", m.schedule().layers());
        sch.put("pattern", m.schedule().pattern());
        ObjectNode s = root.putObject("sampler");
        s.put("name", m.sampler().name());
        s.put("pattern", m.sampler().pattern());
        s.put("nfe", m.sampler().nfe());
        if (m.sampler().clip() == null) {
            s.putNull("clip_x0");
        } else {
            s.putArray("clip_x0").add(m.sampler().clip().min()).add(m.sampler().clip().max());
        }
        s.put("data_prediction", "x0[k] = clip((z[k] - sigma * eps[k]) / alpha, clip_x0)");
        s.put("update", "z[k+1] = sum of coefficient * (z[step] if from == \"input\" else x0[step]) over next_input;"
                + " z[0] = the initial noise; the samples are z[nfe]");
        ArrayNode times = s.putArray("model_times");
        for (PackageManifest.Step st : m.steps()) {
            times.add(st.modelTime());
        }
        root.set("model", model(m.model()));
        ObjectNode g = root.putObject("guidance");
        if (m.card().textConditioned()) {
            g.put("null_condition", ((Conditioning.TextTokens) m.card().conditioning()).nullKind());
            g.put("default_scale", m.guidance().defaultScale());
            g.put("layout", "scale != 1: the model runs on [z; z] with conditions [c; unconditional (a negative prompt's"
                    + " embeddings, else null_condition)], conditional half first; scale == 1: on [z] with [c]");
        } else {
            g.put("null_label", m.guidance().nullLabel());
            g.put("default_scale", m.guidance().defaultScale());
            g.put("layout", "scale != 1: the model runs on [z; z] with labels [y; null_label], conditional half first;"
                    + " scale == 1: on [z] with labels [y]");
        }
        g.put("formula", "eps = eps_u + scale * (eps_c - eps_u), in float32");
        ObjectNode w = root.putObject("weights");
        w.put("file", m.weights().file());
        w.put("bytes", m.weights().bytes());
        w.put("alignment", m.weights().alignment());
        w.put("mode", m.weights().mode());
        w.put("embedded_below_bytes", m.weights().embeddedBelowBytes());
        ArrayNode graphs = root.putArray("graphs");
        for (PackageManifest.StepGraph sg : m.graphs()) {
            ObjectNode o = graphs.addObject();
            o.put("file", sg.file());
            strings(o.putArray("cache_inputs"), sg.cacheInputs());
            strings(o.putArray("cache_outputs"), sg.cacheOutputs());
            o.put("nodes", sg.nodes());
            o.put("macs_per_sample", sg.macsPerSample());
        }
        if (m.linkedModel() != null) {
            PackageManifest.LinkedModel l = m.linkedModel();
            ObjectNode o = root.putObject("linked_model");
            o.put("file", l.file());
            ObjectNode in = o.putObject("inputs");
            in.put("noise", l.noise());
            if (m.card().textConditioned()) {
                strings(in.putArray("conditions"), l.conditions());
                strings(in.putArray("unconditional"), l.unconditional());
            } else {
                in.put("labels", l.labels());
            }
            if (l.guidanceScale() != null) {
                in.put("guidance_scale", l.guidanceScale());
            } else {
                in.putNull("guidance_scale");
            }
            o.put("output", l.samples());
            o.put("step_check", l.stepCheck());
            o.put("nodes", l.nodes());
        }
        boolean integerTime = m.model().timestep().dtype() != DataType.FLOAT;
        ArrayNode steps = root.putArray("steps");
        for (PackageManifest.Step st : m.steps()) {
            steps.add(step(st, integerTime));
        }
        ObjectNode t = root.putObject("totals");
        PackageManifest.Totals tot = m.totals();
        t.put("macs_per_sample", tot.macsPerSample());
        t.put("macs_full_per_sample", tot.macsFullPerSample());
        t.put("ideal_speedup", tot.idealSpeedup());
        t.put("layer_evaluations", tot.layerEvaluations());
        t.put("layer_evaluations_full", tot.layerEvaluationsFull());
        t.put("peak_cache_bytes_per_sample", tot.peakCacheBytesPerSample());
        ObjectNode files = root.putObject("files");
        new TreeMap<>(m.files()).forEach(files::put);
        return root;
    }

    private static ObjectNode layers(PackageManifest.Layers layers) {
        // the layer-map format (graph-compiler/README.md), so the section is also a valid --layer-map file
        ObjectNode o = JSON.createObjectNode();
        o.put("format", "l2c-layer-map");
        o.put("version", 1);
        o.put("source", layers.source());
        o.put("macs_full_per_sample", layers.macsFullPerSample());
        ArrayNode arr = o.putArray("layers");
        for (PackageManifest.Layer l : layers.layers()) {
            ObjectNode e = arr.addObject();
            e.put("index", l.index());
            e.put("block", l.block());
            e.put("kind", l.kind());
            e.put("tensor", l.tensor());
            e.put("dtype", l.dtype());
            ArrayNode shape = e.putArray("shape");
            for (String d : l.shape()) {
                if (d.chars().allMatch(Character::isDigit)) {
                    shape.add(Long.parseLong(d));
                } else {
                    shape.add(d);
                }
            }
            e.put("macs", l.macsPerSample());
            if (l.gate() != null) {
                e.put("gate", l.gate());
            }
        }
        return o;
    }

    private static ObjectNode model(PackageManifest.ModelInterface mi) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode in = o.putObject("inputs");
        tensorName(in.putObject("sample"), mi.sample());
        tensorName(in.putObject("timestep"), mi.timestep());
        if (mi.conditions().size() == 1 && mi.conditions().get(0).dtype() != DataType.FLOAT) {
            tensorName(in.putObject("label"), mi.label());
        } else {
            ArrayNode cs = in.putArray("conditions");
            mi.conditions().forEach(c -> tensorName(cs.addObject(), c));
        }
        ObjectNode out = o.putObject("output");
        out.put("name", mi.output());
        out.put("dtype", DataType.FLOAT.shortName);
        out.put("channels", mi.outputChannels());
        out.put("noise_channels", mi.noiseChannels());
        return o;
    }

    private static void tensorName(ObjectNode o, PackageManifest.TensorName t) {
        o.put("name", t.name());
        o.put("dtype", t.dtype().shortName);
    }

    private static ObjectNode step(PackageManifest.Step st, boolean integerTime) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", st.step());
        o.put("model_time", st.modelTime());
        if (integerTime) {
            o.put("timestep", (long) st.timestep());
        } else {
            o.put("timestep", st.timestep());
        }
        o.put("alpha", st.update().alpha());
        o.put("sigma", st.update().sigma());
        ArrayNode next = o.putArray("next_input");
        for (SamplingPlan.Term t : st.update().next()) {
            next.addObject().put("from", t.source().jsonName).put("step", t.evaluation()).put("coefficient", t.coefficient());
        }
        if (st.graph() != null) {
            o.put("graph", st.graph());
        }
        o.put("mode", st.full() ? "full" : "cache");
        o.put("layers_computed", st.layersComputed());
        ArrayNode ins = o.putArray("cache_inputs");
        for (PackageManifest.CacheInput i : st.cacheInputs()) {
            ins.addObject().put("layer", i.layer()).put("name", i.name()).put("from_step", i.fromStep())
                    .put("history", i.history()).put("weight", i.weight());
        }
        ArrayNode outs = o.putArray("cache_outputs");
        for (PackageManifest.CacheOutput c : st.cacheOutputs()) {
            outs.addObject().put("layer", c.layer()).put("name", c.name()).put("last_read_step", c.lastReadStep());
        }
        ArrayNode free = o.putArray("free_after");
        for (PackageManifest.CacheRelease r : st.freeAfter()) {
            free.addObject().put("layer", r.layer()).put("from_step", r.fromStep());
        }
        o.put("macs_per_sample", st.macsPerSample());
        o.put("live_cache_bytes_per_sample", st.liveCacheBytesPerSample());
        return o;
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    // ---------------------------------------------------------------- reading

    /** Reads and checks {@code file}; every problem is an InvalidInputException naming the file and the field. */
    public static PackageManifest read(Path file) throws InvalidInputException {
        if (!Files.exists(file)) {
            throw new InvalidInputException(file.getParent(), "not an l2c package (no " + PackageFiles.MANIFEST + ")");
        }
        return parse(StrictJson.readBytes(file, "manifest"), file);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Parses and checks a manifest held in memory ({@code file} names it in messages). */
    public static PackageManifest parse(byte[] bytes, Path file) throws InvalidInputException {
        JsonNode root = StrictJson.parse(bytes, file, READER, "manifest");
        PackageManifest m = new Reader(file).manifest(root);
        if (m.version() >= FIRST_WITH_DIGEST) {
            JsonNode d = root.get(ManifestDigest.FIELD);
            if (d == null || !d.isTextual() || !d.asText().matches("[0-9a-f]{64}")) {
                throw new InvalidInputException(file, "manifest field " + ManifestDigest.FIELD
                        + ": missing or not a SHA-256 in hex (version " + m.version() + " manifests carry their digest)");
            }
            ManifestDigest.check(bytes, d.asText(), file);
        }
        return m;
    }

    /** Field-by-field reading with the path of the field in every message. */
    private static final class Reader {
        private final Path file;
        /** The version of the manifest being read (fields added later are absent from older ones). */
        private int version;

        Reader(Path file) {
            this.file = file;
        }

        private InvalidInputException bad(String field, String problem) {
            return new InvalidInputException(file, "manifest field " + field + ": " + problem);
        }

        private JsonNode req(JsonNode n, String path, String field) throws InvalidInputException {
            JsonNode v = n == null ? null : n.get(field);
            if (v == null || v.isNull()) {
                throw bad(path + field, "missing");
            }
            return v;
        }

        private JsonNode object(JsonNode n, String path, String field) throws InvalidInputException {
            JsonNode v = req(n, path, field);
            if (!v.isObject()) {
                throw bad(path + field, "must be an object");
            }
            return v;
        }

        private JsonNode array(JsonNode n, String path, String field) throws InvalidInputException {
            JsonNode v = req(n, path, field);
            if (!v.isArray()) {
                throw bad(path + field, "must be an array");
            }
            return v;
        }

        private String text(JsonNode n, String path, String field) throws InvalidInputException {
            JsonNode v = req(n, path, field);
            if (!v.isTextual()) {
                throw bad(path + field, "must be a string");
            }
            return v.asText();
        }

        private String optionalText(JsonNode n, String path, String field) throws InvalidInputException {
            JsonNode v = n.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                throw bad(path + field, "must be a string or null");
            }
            return v.asText();
        }

        private String fileName(JsonNode n, String path, String field) throws InvalidInputException {
            String name = text(n, path, field);
            if (!PackageFiles.isPlainName(name)) {
                throw bad(path + field, "'" + name + "' is not a plain file name inside the package");
            }
            return name;
        }

        private long integer(JsonNode n, String path, String field, long min, long max) throws InvalidInputException {
            JsonNode v = req(n, path, field);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw bad(path + field, "must be an integer");
            }
            long x = v.asLong();
            if (x < min || x > max) {
                throw bad(path + field, x + " is outside " + min + ".." + max);
            }
            return x;
        }

        private int count(JsonNode n, String path, String field, int max) throws InvalidInputException {
            return (int) integer(n, path, field, 0, max);
        }

        private double number(JsonNode n, String path, String field) throws InvalidInputException {
            JsonNode v = req(n, path, field);
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                throw bad(path + field, "must be a finite number");
            }
            return v.asDouble();
        }

        PackageManifest manifest(JsonNode root) throws InvalidInputException {
            if (root == null || !root.isObject()) {
                throw new InvalidInputException(file, "not an l2c package manifest (expected a JSON object)");
            }
            if (!FORMAT.equals(root.path("format").asText())) {
                throw new InvalidInputException(file, "not an l2c package manifest (\"format\" must be \"" + FORMAT + "\")");
            }
            version = root.path("version").asInt(-1);
            if (!root.path("version").isIntegralNumber() || version < OLDEST_READ || version > VERSION_CONDITIONING) {
                throw new InvalidInputException(file, "package version " + root.path("version")
                        + " is not supported (this l2c reads versions " + OLDEST_READ + " to " + VERSION_CONDITIONING
                        + "; recompile the package)");
            }
            String kindName = text(root, "", "kind");
            PackageManifest.Kind kind = null;
            for (PackageManifest.Kind k : PackageManifest.Kind.values()) {
                if (k.jsonName.equals(kindName)) {
                    kind = k;
                }
            }
            if (kind == null) {
                throw bad("kind", "'" + kindName + "' is neither stepwise nor linked");
            }
            JsonNode src = object(root, "", "source_model");
            PackageManifest.SourceModel source = new PackageManifest.SourceModel(text(src, "source_model.", "file"),
                    text(src, "source_model.", "sha256"), text(src, "source_model.", "producer"),
                    integer(src, "source_model.", "opset", 0, Integer.MAX_VALUE));
            ModelCard card;
            try {
                card = ModelCard.fromJson(object(root, "", "card"));
            } catch (IllegalArgumentException e) {
                throw bad("card", e.getMessage());
            }
            PackageManifest.Layers layers = layers(object(root, "", "layer_map"));
            JsonNode sch = object(root, "", "schedule");
            PackageManifest.ScheduleInfo schedule = new PackageManifest.ScheduleInfo(fileName(sch, "schedule.", "file"),
                    count(sch, "schedule.", "nfe", 100_000), count(sch, "schedule.", "layers", 100_000),
                    text(sch, "schedule.", "pattern"));
            if (schedule.layers() != layers.size()) {
                throw bad("schedule.layers", schedule.layers() + " layers, but layer_map lists " + layers.size());
            }
            JsonNode s = object(root, "", "sampler");
            PackageManifest.SamplerInfo sampler = new PackageManifest.SamplerInfo(text(s, "sampler.", "name"),
                    text(s, "sampler.", "pattern"), count(s, "sampler.", "nfe", 100_000), clip(s));
            PackageManifest.ModelInterface model = model(object(root, "", "model"));
            JsonNode g = object(root, "", "guidance");
            PackageManifest.GuidanceInfo guidance = new PackageManifest.GuidanceInfo(card.textConditioned()
                    ? PackageManifest.GuidanceInfo.NOT_A_LABEL : integer(g, "guidance.", "null_label", Long.MIN_VALUE, Long.MAX_VALUE),
                    (float) number(g, "guidance.", "default_scale"));
            if (card.textConditioned() && !text(g, "guidance.", "null_condition").equals(
                    ((Conditioning.TextTokens) card.conditioning()).nullKind())) {
                throw bad("guidance.null_condition", "differs from the card's conditioning.null_condition");
            }
            JsonNode w = object(root, "", "weights");
            PackageManifest.WeightsInfo weights = new PackageManifest.WeightsInfo(fileName(w, "weights.", "file"),
                    integer(w, "weights.", "bytes", 0, Long.MAX_VALUE), count(w, "weights.", "alignment", 1 << 30),
                    text(w, "weights.", "mode"), count(w, "weights.", "embedded_below_bytes", Integer.MAX_VALUE));
            List<PackageManifest.StepGraph> graphs = new ArrayList<>();
            JsonNode ga = array(root, "", "graphs");
            for (int i = 0; i < ga.size(); i++) {
                String p = "graphs[" + i + "].";
                JsonNode e = ga.get(i);
                graphs.add(new PackageManifest.StepGraph(fileName(e, p, "file"), strings(e, p, "cache_inputs"),
                        strings(e, p, "cache_outputs"), count(e, p, "nodes", Integer.MAX_VALUE),
                        integer(e, p, "macs_per_sample", 0, Long.MAX_VALUE)));
            }
            PackageManifest.LinkedModel linked = null;
            if (kind == PackageManifest.Kind.LINKED) {
                JsonNode l = object(root, "", "linked_model");
                JsonNode in = object(l, "linked_model.", "inputs");
                boolean text = card.textConditioned();
                linked = new PackageManifest.LinkedModel(fileName(l, "linked_model.", "file"),
                        text(in, "linked_model.inputs.", "noise"),
                        text ? strings(in, "linked_model.inputs.", "conditions") : List.of(text(in, "linked_model.inputs.", "labels")),
                        text ? strings(in, "linked_model.inputs.", "unconditional") : List.of(),
                        optionalText(in, "linked_model.inputs.", "guidance_scale"), text(l, "linked_model.", "output"),
                        text(l, "linked_model.", "step_check"), count(l, "linked_model.", "nodes", Integer.MAX_VALUE));
                if (!graphs.isEmpty()) {
                    throw bad("graphs", "a linked package has no step graphs");
                }
            } else if (graphs.isEmpty()) {
                throw bad("graphs", "a stepwise package lists at least one graph");
            }
            Set<String> graphFiles = new HashSet<>();
            graphs.forEach(x -> graphFiles.add(x.file()));
            List<PackageManifest.Step> steps = new ArrayList<>();
            JsonNode sa = array(root, "", "steps");
            if (sa.isEmpty()) {
                throw bad("steps", "the manifest lists no steps");
            }
            if (sa.size() != sampler.nfe()) {
                throw bad("steps", sa.size() + " steps, but sampler.nfe is " + sampler.nfe());
            }
            for (int k = 0; k < sa.size(); k++) {
                steps.add(step(sa.get(k), k, kind, graphFiles, layers.size()));
            }
            JsonNode t = object(root, "", "totals");
            PackageManifest.Totals totals = new PackageManifest.Totals(
                    integer(t, "totals.", "macs_per_sample", 1, Long.MAX_VALUE),
                    integer(t, "totals.", "macs_full_per_sample", 1, Long.MAX_VALUE),
                    integer(t, "totals.", "layer_evaluations", 0, Long.MAX_VALUE),
                    integer(t, "totals.", "layer_evaluations_full", 0, Long.MAX_VALUE),
                    integer(t, "totals.", "peak_cache_bytes_per_sample", 0, Long.MAX_VALUE));
            Map<String, String> files = new LinkedHashMap<>();
            JsonNode f = object(root, "", "files");
            for (var it = f.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!PackageFiles.isPlainName(e.getKey())) {
                    throw bad("files", "'" + e.getKey() + "' is not a plain file name inside the package");
                }
                if (!e.getValue().isTextual() || !e.getValue().asText().matches("[0-9a-f]{64}")) {
                    throw bad("files." + e.getKey(), "must be a SHA-256 in hex");
                }
                files.put(e.getKey(), e.getValue().asText());
            }
            List<String> onnx = kind == PackageManifest.Kind.LINKED ? List.of(linked.file())
                    : graphs.stream().map(PackageManifest.StepGraph::file).toList();
            for (String name : onnx) {
                if (!files.containsKey(name)) {
                    throw bad("files", "graph '" + name + "' has no checksum");
                }
            }
            for (String name : List.of(weights.file(), schedule.file())) {
                if (!files.containsKey(name)) {
                    throw bad("files", "'" + name + "' has no checksum");
                }
            }
            return new PackageManifest(version, text(root, "", "created_by"), kind, source, card, layers, schedule,
                    sampler, model, guidance, weights, graphs, linked, steps, totals, files);
        }

        private ClipRange clip(JsonNode s) throws InvalidInputException {
            JsonNode c = s.get("clip_x0");
            if (c == null || c.isNull()) {
                return null;
            }
            if (!c.isArray() || c.size() != 2 || !c.get(0).isNumber() || !c.get(1).isNumber()) {
                throw bad("sampler.clip_x0", "must be [min, max] or null");
            }
            try {
                return new ClipRange(c.get(0).asDouble(), c.get(1).asDouble());
            } catch (IllegalArgumentException e) {
                throw bad("sampler.clip_x0", e.getMessage());
            }
        }

        private PackageManifest.Layers layers(JsonNode lm) throws InvalidInputException {
            JsonNode arr = array(lm, "layer_map.", "layers");
            List<PackageManifest.Layer> layers = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) {
                String p = "layer_map.layers[" + i + "].";
                JsonNode l = arr.get(i);
                if (integer(l, p, "index", 0, Integer.MAX_VALUE) != i) {
                    throw bad(p + "index", "must be " + i);
                }
                List<String> shape = new ArrayList<>();
                for (JsonNode d : array(l, p, "shape")) {
                    shape.add(d.asText());
                }
                layers.add(new PackageManifest.Layer(i, count(l, p, "block", Integer.MAX_VALUE), text(l, p, "kind"),
                        text(l, p, "tensor"), text(l, p, "dtype"), shape, integer(l, p, "macs", 0, Long.MAX_VALUE),
                        optionalText(l, p, "gate")));
            }
            return new PackageManifest.Layers(layers, text(lm, "layer_map.", "source"),
                    integer(lm, "layer_map.", "macs_full_per_sample", 1, Long.MAX_VALUE));
        }

        private PackageManifest.ModelInterface model(JsonNode m) throws InvalidInputException {
            JsonNode in = object(m, "model.", "inputs");
            JsonNode out = object(m, "model.", "output");
            List<PackageManifest.TensorName> conditions = new ArrayList<>();
            if (in.has("conditions")) {
                JsonNode cs = array(in, "model.inputs.", "conditions");
                for (int i = 0; i < cs.size(); i++) {
                    String p = "model.inputs.conditions[" + i + "].";
                    try {
                        conditions.add(new PackageManifest.TensorName(text(cs.get(i), p, "name"),
                                DataType.fromShortName(text(cs.get(i), p, "dtype"))));
                    } catch (IllegalArgumentException e) {
                        throw bad(p + "dtype", e.getMessage());
                    }
                }
            } else {
                conditions.add(tensorName(in, "model.inputs.", "label"));
            }
            return new PackageManifest.ModelInterface(tensorName(in, "model.inputs.", "sample"),
                    tensorName(in, "model.inputs.", "timestep"), conditions,
                    text(out, "model.output.", "name"), integer(out, "model.output.", "channels", 1, 1 << 20),
                    count(out, "model.output.", "noise_channels", 1 << 20));
        }

        private PackageManifest.TensorName tensorName(JsonNode in, String path, String field) throws InvalidInputException {
            JsonNode o = object(in, path, field);
            String p = path + field + ".";
            try {
                return new PackageManifest.TensorName(text(o, p, "name"), DataType.fromShortName(text(o, p, "dtype")));
            } catch (IllegalArgumentException e) {
                throw bad(p + "dtype", e.getMessage());
            }
        }

        private List<String> strings(JsonNode n, String path, String field) throws InvalidInputException {
            List<String> out = new ArrayList<>();
            JsonNode a = array(n, path, field);
            for (int i = 0; i < a.size(); i++) {
                if (!a.get(i).isTextual()) {
                    throw bad(path + field + "[" + i + "]", "must be a string");
                }
                out.add(a.get(i).asText());
            }
            return out;
        }

        private PackageManifest.Step step(JsonNode s, int k, PackageManifest.Kind kind, Set<String> graphFiles,
                                          int layers) throws InvalidInputException {
            String p = "steps[" + k + "].";
            if (integer(s, p, "step", 0, Integer.MAX_VALUE) != k) {
                throw bad(p + "step", "steps must be numbered 0, 1, 2, ... (this entry says " + s.get("step") + ")");
            }
            List<SamplingPlan.Term> next = new ArrayList<>();
            JsonNode na = array(s, p, "next_input");
            for (int i = 0; i < na.size(); i++) {
                String q = p + "next_input[" + i + "].";
                JsonNode t = na.get(i);
                String from = text(t, q, "from");
                SamplingPlan.Source source = from.equals("input") ? SamplingPlan.Source.INPUT
                        : from.equals("x0") ? SamplingPlan.Source.X0 : null;
                if (source == null) {
                    throw bad(q + "from", "'" + from + "' is neither input nor x0");
                }
                next.add(new SamplingPlan.Term(source, (int) integer(t, q, "step", 0, k), number(t, q, "coefficient")));
            }
            double alpha = number(s, p, "alpha");
            if (!(alpha > 0)) {
                throw bad(p + "alpha", "must be positive");
            }
            SamplingPlan.Evaluation update = new SamplingPlan.Evaluation(number(s, p, "model_time"), alpha,
                    number(s, p, "sigma"), next);
            String graph = null;
            if (kind == PackageManifest.Kind.STEPWISE) {
                graph = fileName(s, p, "graph");
                if (!graphFiles.contains(graph)) {
                    throw bad(p + "graph", "names '" + graph + "', which \"graphs\" does not list");
                }
            }
            String mode = text(s, p, "mode");
            if (!mode.equals("full") && !mode.equals("cache")) {
                throw bad(p + "mode", "must be full or cache");
            }
            List<PackageManifest.CacheInput> ins = new ArrayList<>();
            JsonNode ia = array(s, p, "cache_inputs");
            for (int i = 0; i < ia.size(); i++) {
                String q = p + "cache_inputs[" + i + "].";
                JsonNode c = ia.get(i);
                int layer = (int) integer(c, q, "layer", 0, layers - 1);
                int history = version >= 3 ? (int) integer(c, q, "history", 0, Forecast.MAX_HISTORY - 1) : 0;
                double weight = version >= 3 ? number(c, q, "weight") : 1.0;
                cacheName(c, q, layer, history);
                int from = (int) integer(c, q, "from_step", 0, Integer.MAX_VALUE);
                if (from >= k) {
                    throw bad(q + "from_step", "step " + k + " reads layer " + layer + " from step " + from
                            + ", which is not an earlier step");
                }
                ins.add(new PackageManifest.CacheInput(layer, CacheNames.of(layer, history), from, history, weight));
            }
            List<PackageManifest.CacheOutput> outs = new ArrayList<>();
            JsonNode oa = array(s, p, "cache_outputs");
            for (int i = 0; i < oa.size(); i++) {
                String q = p + "cache_outputs[" + i + "].";
                JsonNode c = oa.get(i);
                int layer = (int) integer(c, q, "layer", 0, layers - 1);
                cacheName(c, q, layer, 0);
                int last = (int) integer(c, q, "last_read_step", 0, Integer.MAX_VALUE);
                if (last <= k) {
                    throw bad(q + "last_read_step", "a cache written at step " + k + " must be read by a later step");
                }
                outs.add(new PackageManifest.CacheOutput(layer, CacheNames.of(layer), last));
            }
            List<PackageManifest.CacheRelease> free = new ArrayList<>();
            JsonNode fa = array(s, p, "free_after");
            for (int i = 0; i < fa.size(); i++) {
                String q = p + "free_after[" + i + "].";
                JsonNode c = fa.get(i);
                free.add(new PackageManifest.CacheRelease((int) integer(c, q, "layer", 0, layers - 1),
                        (int) integer(c, q, "from_step", 0, k - 1)));
            }
            return new PackageManifest.Step(k, update, number(s, p, "timestep"), graph, mode.equals("full"),
                    count(s, p, "layers_computed", layers), ins, outs, free,
                    integer(s, p, "macs_per_sample", 0, Long.MAX_VALUE),
                    integer(s, p, "live_cache_bytes_per_sample", 0, Long.MAX_VALUE));
        }

        /** A cache entry's tensor name must be the one the compiler gives that layer and history position. */
        private void cacheName(JsonNode c, String path, int layer, int history) throws InvalidInputException {
            String name = text(c, path, "name");
            String expected = CacheNames.of(layer, history);
            if (!name.equals(expected)) {
                throw bad(path + "name", "'" + name + "' is not the cache tensor of layer " + layer
                        + (history == 0 ? "" : " at history " + history) + " (" + expected + ")");
            }
        }
    }
}
