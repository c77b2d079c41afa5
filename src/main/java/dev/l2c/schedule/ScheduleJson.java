package dev.l2c.schedule;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.OutputException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.io.StrictJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes schedule files: JSON, described for users in {@code schedules/FORMAT.md}.
 *
 * <pre>{@code
 * {"format": "l2c-schedule", "version": 1, "nfe": 20, "layers": 56, "pattern": "dit-ddim",
 *  "steps": [{"mode": "full"}, {"mode": "cache", "compute": [0, 5, 7]}, ...],
 *  "provenance": {"source": "router", "file": "DDIM20_router.pt", "sha256": "...", "threshold": 0.1},
 *  "scores": [null, [0.93, 0.02, ...], ...]}
 * }</pre>
 *
 * <ul>
 *   <li>{@code format} is always "l2c-schedule"; {@code version} is 1, the only version so far.</li>
 *   <li>{@code nfe}: model evaluations of the sampler; {@code steps} has exactly that many entries.</li>
 *   <li>{@code layers}: the model's cacheable layers L (layer 2i = attention of block i, 2i+1 its MLP).</li>
 *   <li>{@code pattern}: "dit-ddim", "uvit-dpm2s" or "free" (see {@link Schedule}).</li>
 *   <li>{@code steps[k]}: {@code {"mode": "full"}} computes every layer; {@code {"mode": "cache",
 *       "compute": [...]}} computes the listed layers (distinct, 0..L-1, any order) and reuses the
 *       rest from the most recent evaluation that computed them. Step 0 must be full.</li>
 *   <li>{@code provenance} (optional object): where the schedule came from; kept as it is.</li>
 *   <li>{@code scores} (optional): one entry per step, null or L numbers (a router's sigmoid outputs).</li>
 * </ul>
 *
 * Unknown fields are refused, so that a misspelt field is an error rather than silently ignored.
 * Every problem is reported as one line naming the file; writing goes through a temporary file in
 * the same folder and an atomic rename, so a failed write leaves no partial file behind.
 */
public final class ScheduleJson {
    public static final String FORMAT = "l2c-schedule";
    /** Version 1: reuse only. */
    public static final int VERSION_REUSE = 1;
    /** Version 2: cache steps may forecast layers from their last K computed values ({@code "forecast"}). */
    public static final int VERSION = 2;
    private static final Set<String> FIELDS =
            Set.of("format", "version", "nfe", "layers", "pattern", "steps", "provenance", "scores");

    // Floats read as BigDecimal so that scores convert to the float that was written, with one
    // rounding instead of two (decimal to double to float).
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .build();

    /** Reading: strict (one value, no duplicates, no trailing data), floats exact. */
    private static final JsonMapper READER = StrictJson.mapper(true);

    private ScheduleJson() {
    }

    /** Reads and validates a schedule file. */
    public static Schedule read(Path file) throws InvalidInputException {
        return new Parser(file).schedule(StrictJson.read(file, READER, "schedule"));
    }

    /** Parses and validates a schedule held in memory ({@code file} names it in messages). */
    public static Schedule parse(byte[] bytes, Path file) throws InvalidInputException {
        return new Parser(file).schedule(StrictJson.parse(bytes, file, READER, "schedule"));
    }

    /** Writes {@code schedule} to {@code file} atomically, replacing any file there. */
    public static void write(Schedule schedule, Path file) throws OutputException {
        AtomicOutput.writeFile(file, out -> write(schedule, out));
    }

    /** Writes {@code schedule} as JSON to {@code out}, which stays open. */
    public static void write(Schedule schedule, OutputStream out) throws IOException {
        try (JsonGenerator g = MAPPER.createGenerator(out)) {
            g.setPrettyPrinter(new ShallowPrettyPrinter());
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            // version 1 where it suffices, so that a reuse-only schedule stays readable by older l2c
            g.writeNumberField("version", schedule.hasForecasts() ? VERSION : VERSION_REUSE);
            g.writeNumberField("nfe", schedule.nfe());
            g.writeNumberField("layers", schedule.layers());
            g.writeStringField("pattern", schedule.pattern());
            g.writeArrayFieldStart("steps");
            for (ScheduleStep s : schedule.steps()) {
                g.writeStartObject();
                g.writeStringField("mode", s.full() ? "full" : "cache");
                if (!s.full()) {
                    int[] computed = s.computed();
                    g.writeFieldName("compute");
                    g.writeArray(computed, 0, computed.length);
                    if (s.hasForecasts()) {
                        writeForecasts(g, s);
                    }
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectField("provenance", schedule.provenance());
            List<float[]> scores = schedule.scores();
            if (!scores.isEmpty()) {
                g.writeArrayFieldStart("scores");
                for (float[] s : scores) {
                    if (s == null) {
                        g.writeNull();
                        continue;
                    }
                    g.writeStartArray();
                    for (float v : s) {
                        g.writeNumber(v);
                    }
                    g.writeEndArray();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    /** The step's forecasts, layers with the same weights grouped, groups in order of their first layer. */
    private static void writeForecasts(JsonGenerator g, ScheduleStep s) throws IOException {
        Map<Forecast, List<Integer>> groups = new LinkedHashMap<>();
        s.forecasts().forEach((layer, f) -> groups.computeIfAbsent(f, x -> new ArrayList<>()).add(layer));
        g.writeArrayFieldStart("forecast");
        for (Map.Entry<Forecast, List<Integer>> e : groups.entrySet()) {
            g.writeStartObject();
            g.writeArrayFieldStart("layers");
            for (int layer : e.getValue()) {
                g.writeNumber(layer);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("weights");
            for (double w : e.getKey().weights()) {
                g.writeNumber(w);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Turns a JSON tree into a Schedule, failing on the first problem with a message naming the file. */
    private static final class Parser {
        private final Path file;
        private int version;

        Parser(Path file) {
            this.file = file;
        }

        private InvalidInputException bad(String message) {
            return new InvalidInputException(file, message);
        }

        Schedule schedule(JsonNode root) throws InvalidInputException {
            if (!root.isObject()) {
                throw bad("expected a JSON object with \"format\": \"" + FORMAT + "\", found " + describe(root));
            }
            JsonNode format = root.get("format");
            if (format == null) {
                throw bad("no \"format\" field; an l2c schedule starts with {\"format\": \"" + FORMAT + "\", ...}");
            }
            if (!format.isTextual() || !format.asText().equals(FORMAT)) {
                throw bad("\"format\" is " + describe(format) + " but an l2c schedule has \"format\": \"" + FORMAT + "\"");
            }
            JsonNode version = root.get("version");
            if (version == null || !version.isIntegralNumber()) {
                throw bad("\"version\" must be an integer (this l2c reads versions " + VERSION_REUSE + " and " + VERSION
                        + "), found " + describe(version));
            }
            if (!version.canConvertToInt() || version.intValue() < VERSION_REUSE || version.intValue() > VERSION) {
                throw bad("unsupported version " + version.asText() + "; this l2c reads versions " + VERSION_REUSE + " and "
                        + VERSION + " (re-create the schedule with this l2c)");
            }
            this.version = version.intValue();
            for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!FIELDS.contains(name)) {
                    throw bad("unknown field \"" + name + "\" (a schedule has " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
                }
            }
            int nfe = positiveInt(root, "nfe");
            int layers = positiveInt(root, "layers");
            String size = Schedule.sizeProblem(nfe, layers);
            if (size != null) {
                throw bad("\"" + size.replace(" must", "\" must"));
            }
            JsonNode pattern = required(root, "pattern");
            if (!pattern.isTextual() || !Schedule.PATTERNS.contains(pattern.asText())) {
                throw bad("unknown pattern " + describe(pattern) + " (expected one of " + String.join(", ", Schedule.PATTERNS) + ")");
            }
            JsonNode stepsNode = required(root, "steps");
            if (!stepsNode.isArray()) {
                throw bad("\"steps\" must be an array, found " + describe(stepsNode));
            }
            if (stepsNode.size() != nfe) {
                throw bad("\"nfe\" is " + nfe + " but \"steps\" has " + stepsNode.size() + " entries; there is one step per model evaluation");
            }
            List<ScheduleStep> steps = new ArrayList<>(nfe);
            for (int k = 0; k < nfe; k++) {
                steps.add(step(stepsNode.get(k), k, layers));
            }
            Map<String, Object> provenance = new LinkedHashMap<>();
            JsonNode prov = root.get("provenance");
            if (prov != null && !prov.isNull()) {
                if (!prov.isObject()) {
                    throw bad("\"provenance\" must be an object, found " + describe(prov));
                }
                prov.properties().forEach(e -> provenance.put(e.getKey(), plain(e.getValue())));
            }
            List<float[]> scores = scores(root.get("scores"));
            String problem = Schedule.problem(layers, pattern.asText(), steps, scores);
            if (problem != null) {
                throw bad(problem);
            }
            return new Schedule(layers, pattern.asText(), steps, provenance, scores);
        }

        private ScheduleStep step(JsonNode node, int k, int layers) throws InvalidInputException {
            if (!node.isObject()) {
                throw bad("step " + k + " must be an object like {\"mode\": \"full\"}, found " + describe(node));
            }
            JsonNode mode = node.get("mode");
            if (mode == null) {
                throw bad("step " + k + " has no \"mode\" (expected \"full\" or \"cache\")");
            }
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (name.equals("forecast") && version < VERSION) {
                    throw bad("step " + k + " has \"forecast\", which needs \"version\": " + VERSION);
                }
                if (!name.equals("mode") && !name.equals("compute") && !name.equals("forecast")) {
                    throw bad("step " + k + " has an unknown field \"" + name + "\" (a step has \"mode\" and, for a cache step,"
                            + " \"compute\" and optionally \"forecast\")");
                }
            }
            String m = mode.isTextual() ? mode.asText() : "";
            switch (m) {
                case "full" -> {
                    if (node.has("compute")) {
                        throw bad("step " + k + " is full, so it computes every layer; remove its \"compute\" list or make it a cache step");
                    }
                    if (node.has("forecast")) {
                        throw bad("step " + k + " is full, so it forecasts nothing; remove its \"forecast\" list or make it a cache step");
                    }
                    return ScheduleStep.full(layers);
                }
                case "cache" -> {
                    JsonNode compute = node.get("compute");
                    if (compute == null || !compute.isArray()) {
                        throw bad("cache step " + k + " needs \"compute\": a list of the layers it computes (may be empty)");
                    }
                    int[] layerList = new int[compute.size()];
                    boolean[] seen = new boolean[layers];
                    for (int i = 0; i < layerList.length; i++) {
                        JsonNode v = compute.get(i);
                        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                            throw bad("step " + k + ": layer indices are integers, found " + describe(v));
                        }
                        int layer = v.intValue();
                        if (layer < 0 || layer >= layers) {
                            throw bad("step " + k + ": layer " + layer + " is out of range; the schedule has " + layers
                                    + " layers (0.." + (layers - 1) + ")");
                        }
                        if (seen[layer]) {
                            throw bad("step " + k + ": layer " + layer + " is listed twice in \"compute\"");
                        }
                        seen[layer] = true;
                        layerList[i] = layer;
                    }
                    ScheduleStep step = ScheduleStep.cache(layerList);
                    JsonNode forecast = node.get("forecast");
                    return forecast == null ? step : step.withForecasts(forecasts(forecast, k, layers, seen));
                }
                default -> throw bad("step " + k + " has unknown mode " + describe(mode) + " (expected \"full\" or \"cache\")");
            }
        }

        /** A cache step's {@code "forecast"} list: groups of layers not computed, each with its weights. */
        private Map<Integer, Forecast> forecasts(JsonNode node, int k, int layers, boolean[] computed)
                throws InvalidInputException {
            if (!node.isArray()) {
                throw bad("step " + k + ": \"forecast\" must be a list of {\"layers\": [...], \"weights\": [...]}, found "
                        + describe(node));
            }
            Map<Integer, Forecast> out = new TreeMap<>();
            for (int i = 0; i < node.size(); i++) {
                JsonNode group = node.get(i);
                String where = "step " + k + ": forecast " + i;
                if (!group.isObject() || !group.has("layers") || !group.has("weights") || group.size() != 2) {
                    throw bad(where + " must be {\"layers\": [...], \"weights\": [...]}, found " + describe(group));
                }
                JsonNode weightsNode = group.get("weights");
                if (!weightsNode.isArray()) {
                    throw bad(where + ": \"weights\" must be a list of numbers, found " + describe(weightsNode));
                }
                double[] weights = new double[weightsNode.size()];
                for (int w = 0; w < weights.length; w++) {
                    JsonNode v = weightsNode.get(w);
                    if (!v.isNumber()) {
                        throw bad(where + ": weights are numbers, found " + describe(v));
                    }
                    weights[w] = v.decimalValue().doubleValue();
                }
                JsonNode layersNode = group.get("layers");
                if (!layersNode.isArray() || layersNode.isEmpty()) {
                    throw bad(where + ": \"layers\" must be a non-empty list of layer indices, found " + describe(layersNode));
                }
                for (JsonNode v : layersNode) {
                    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                        throw bad(where + ": layer indices are integers, found " + describe(v));
                    }
                    int layer = v.intValue();
                    if (layer < 0 || layer >= layers) {
                        throw bad("step " + k + ": forecast of layer " + layer + " is out of range; the schedule has " + layers
                                + " layers (0.." + (layers - 1) + ")");
                    }
                    if (computed[layer]) {
                        throw bad("step " + k + ": layer " + layer + " is computed, so it cannot also be forecast");
                    }
                    String problem = Forecast.problem(weights);
                    if (problem != null) {
                        throw bad("step " + k + ": layer " + layer + ": " + problem);
                    }
                    if (out.put(layer, new Forecast(weights)) != null) {
                        throw bad("step " + k + ": layer " + layer + " has two forecasts");
                    }
                }
            }
            return out;
        }

        private List<float[]> scores(JsonNode node) throws InvalidInputException {
            if (node == null || node.isNull()) {
                return List.of();
            }
            if (!node.isArray()) {
                throw bad("\"scores\" must be an array with one entry per step, found " + describe(node));
            }
            List<float[]> out = new ArrayList<>(node.size());
            for (int k = 0; k < node.size(); k++) {
                JsonNode s = node.get(k);
                if (s.isNull()) {
                    out.add(null);
                    continue;
                }
                if (!s.isArray()) {
                    throw bad("scores of step " + k + " must be null or an array of numbers, found " + describe(s));
                }
                float[] values = new float[s.size()];
                for (int j = 0; j < values.length; j++) {
                    JsonNode v = s.get(j);
                    if (!v.isNumber()) {
                        throw bad("scores of step " + k + " must be numbers, found " + describe(v));
                    }
                    values[j] = v.decimalValue().floatValue();
                }
                out.add(values);
            }
            return out;
        }

        private JsonNode required(JsonNode root, String name) throws InvalidInputException {
            JsonNode v = root.get(name);
            if (v == null) {
                throw bad("no \"" + name + "\" field");
            }
            return v;
        }

        private int positiveInt(JsonNode root, String name) throws InvalidInputException {
            JsonNode v = required(root, name);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
                throw bad("\"" + name + "\" must be a positive integer, found " + describe(v));
            }
            return v.intValue();
        }
    }

    /** A JSON value as plain Java data, the kinds {@link Schedule} accepts as provenance. */
    private static Object plain(JsonNode v) {
        if (v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToInt() ? (Object) v.intValue() : v.canConvertToLong() ? (Object) v.longValue() : v.asText();
        }
        if (v.isNumber()) {
            return v.decimalValue().doubleValue();
        }
        if (v.isArray()) {
            List<Object> out = new ArrayList<>(v.size());
            v.forEach(e -> out.add(plain(e)));
            return out;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        v.properties().forEach(e -> out.put(e.getKey(), plain(e.getValue())));
        return out;
    }

    private static String describe(JsonNode v) {
        if (v == null) {
            return "nothing";
        }
        String text = v.toString();
        return text.length() > 40 ? text.substring(0, 37) + "..." : text;
    }

    /**
     * Puts the top-level fields and the elements of top-level arrays on lines of their own and
     * everything deeper on one line, so that a schedule reads as one line per step.
     */
    private static final class ShallowPrettyPrinter implements PrettyPrinter {
        private static final int LINE_DEPTH = 2;
        private int depth;

        private void newline(JsonGenerator g, int indent) throws IOException {
            g.writeRaw('\n');
            g.writeRaw("  ".repeat(indent));
        }

        private void separator(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            if (depth <= LINE_DEPTH) {
                newline(g, depth);
            } else {
                g.writeRaw(' ');
            }
        }

        private void before(JsonGenerator g) throws IOException {
            if (depth <= LINE_DEPTH) {
                newline(g, depth);
            }
        }

        private void end(JsonGenerator g, int entries, char close) throws IOException {
            if (depth <= LINE_DEPTH && entries > 0) {
                newline(g, depth - 1);
            }
            g.writeRaw(close);
            depth--;
        }

        @Override
        public void writeRootValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw('\n');
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            g.writeRaw('{');
            depth++;
        }

        @Override
        public void writeEndObject(JsonGenerator g, int nrOfEntries) throws IOException {
            end(g, nrOfEntries, '}');
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            separator(g);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            g.writeRaw('[');
            depth++;
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            end(g, nrOfValues, ']');
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            separator(g);
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            before(g);
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            before(g);
        }
    }
}
