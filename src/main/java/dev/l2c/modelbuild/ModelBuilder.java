package dev.l2c.modelbuild;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.ToolVersion;
import dev.l2c.error.L2cException;
import dev.l2c.error.OutputException;
import dev.l2c.io.AtomicOutput;
import dev.l2c.io.Progress;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.ExternalTensorData;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.Shape;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Writes a DiT, U-ViT or PixArt-α of any size with seeded random weights as a model folder the other
 * commands accept: {@value #MODEL_FILE} (the graph, opset 17, inputs {@code x}, {@code t}, {@code y}
 * — for PixArt-α {@code x}, {@code t}, {@code text}, {@code text_mask} — and output {@code out} with a
 * symbolic batch, like the demo exports), {@value #WEIGHTS_FILE} (every weight as ONNX external
 * data, each tensor 4096-aligned) and {@value #CARD_FILE} (its model card).
 *
 * <p>Weights are generated straight into the external-data file while the graph is assembled, one
 * chunk of at most {@value StreamingWeightsWriter#CHUNK_BYTES} bytes at a time, so memory does not
 * grow with the model: a 2.7 GB DiT-XL/2 is built with a heap of a few megabytes of weights. The
 * graph file holds structure and small constants only.
 */
public final class ModelBuilder {
    public static final String MODEL_FILE = "model.onnx";
    public static final String WEIGHTS_FILE = "model.weights";
    public static final String CARD_FILE = "model.card.json";
    /** Opset of the graphs written; the demo models were exported with 17. */
    public static final long OPSET = 17;
    /** The symbolic batch dimension of inputs and output. */
    public static final String BATCH = "batch";
    /** Models with more weight bytes than this show a progress bar (on a terminal). */
    static final long PROGRESS_THRESHOLD_BYTES = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelBuilder() {
    }

    /**
     * Builds the model into the folder {@code target}, atomically: it appears complete or not at all.
     *
     * @param name         the model's name in its card
     * @param replace      replace an existing folder instead of refusing
     * @param showProgress show a progress bar for large models (only on a terminal, see {@link Progress})
     * @throws OutputException when the folder exists (and {@code replace} is false) or cannot be written
     */
    public static BuiltModel write(ArchitectureConfig config, long seed, String name, Path target, boolean replace,
                                   boolean showProgress) throws L2cException {
        BuiltModel[] built = new BuiltModel[1];
        long t0 = System.nanoTime();
        boolean bar = showProgress && config.parameterCount() * Float.BYTES >= PROGRESS_THRESHOLD_BYTES;
        try (Progress progress = Progress.start("build " + config.family() + " (MiB)", progressUnits(config), bar)) {
            AtomicOutput.writeFolder(target, replace, new AtomicOutput.Replaceable(CARD_FILE, "a model folder built by"
                    + " l2c build-model", java.util.List.of()), folder -> built[0] = writeInto(config, seed, name, folder,
                    progress));
        }
        BuiltModel b = built[0];
        return new BuiltModel(target, b.name(), config, seed, b.parameters(), b.weightTensors(), b.weightFileBytes(),
                b.graphFileBytes(), b.nodes(), b.largestBufferBytes(), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Builds the model into an existing, empty {@code folder}, not atomically ({@link #write} wraps this).
     *
     * @param progress counts MiB of weights written
     */
    public static BuiltModel writeInto(ArchitectureConfig config, long seed, String name, Path folder, Progress progress)
            throws IOException {
        long t0 = System.nanoTime();
        Path weightsFile = folder.resolve(WEIGHTS_FILE);
        Graph graph = new Graph(name);
        StreamingWeightsWriter writer;
        MebibyteSteps steps = new MebibyteSteps(progress, progressUnits(config));
        try (StreamingWeightsWriter w = new StreamingWeightsWriter(weightsFile, seed, steps)) {
            writer = w;
            GraphAssembler assembler = new GraphAssembler(graph, w);
            if (config instanceof DitConfig dit) {
                DitGraph.build(dit, assembler);
            } else if (config instanceof UvitConfig uvit) {
                UvitGraph.build(uvit, assembler);
            } else if (config instanceof PixArtConfig pixart) {
                PixArtGraph.build(pixart, assembler);
            } else {
                throw new IllegalStateException("unknown architecture " + config);
            }
        }
        steps.stepTo(Long.MAX_VALUE); // the last, partial MiB
        if (writer.parameters() != config.parameterCount()) {
            throw new IllegalStateException("built " + writer.parameters() + " parameters but " + config.describe()
                    + " has " + config.parameterCount());
        }
        Model model = new Model(graph, 8, Map.of("", OPSET));
        model.setProducer(ToolVersion.PRODUCER, ToolVersion.version());
        Path modelFile = folder.resolve(MODEL_FILE);
        OnnxWriter.TensorPlacement external = tensor -> tensor.data() instanceof ExternalTensorData e
                ? new OnnxWriter.ExternalRef(WEIGHTS_FILE, e.offset(), e.byteSize()) : null;
        try (FileChannel channel = FileChannel.open(modelFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream out = Channels.newOutputStream(channel);
            OnnxWriter.write(model, external, out);
            out.flush();
            channel.force(true);
        }
        Files.write(folder.resolve(CARD_FILE), JSON.writeValueAsBytes(cardJson(config, seed, name)),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new BuiltModel(folder, name, config, seed, writer.parameters(), writer.tensorCount(), writer.size(),
                Files.size(modelFile), graph.nodeCount(), writer.largestBufferBytes(), (System.nanoTime() - t0) / 1e9);
    }

    /** A name for the card when the user gives none: {@code dit_random_s0}. */
    public static String defaultName(ArchitectureConfig config, long seed) {
        return config.family() + "_random_s" + seed;
    }

    /** Counts MiB of weights written as progress steps, each with the time since the previous one. */
    private static final class MebibyteSteps implements LongConsumer {
        private final Progress progress;
        private final long total;
        private long reported;
        private long last = System.nanoTime();

        MebibyteSteps(Progress progress, long total) {
            this.progress = progress;
            this.total = total;
        }

        @Override
        public void accept(long bytes) {
            stepTo(bytes / StreamingWeightsWriter.CHUNK_BYTES);
        }

        /** Steps up to {@code units}, never past the total (alignment padding is not in it). */
        void stepTo(long units) {
            while (reported < Math.min(units, total)) {
                long now = System.nanoTime();
                progress.step(now - last);
                last = now;
                reported++;
            }
        }
    }

    static long progressUnits(ArchitectureConfig config) {
        long bytes = config.parameterCount() * Float.BYTES;
        return (bytes + StreamingWeightsWriter.CHUNK_BYTES - 1) / StreamingWeightsWriter.CHUNK_BYTES;
    }

    /** The card, with a description and the build's provenance (fields the card reader ignores). */
    private static ObjectNode cardJson(ArchitectureConfig config, long seed, String name) {
        ObjectNode plain = config.card(name).toJson();
        ObjectNode root = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = plain.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            root.set(e.getKey(), e.getValue());
            if (e.getKey().equals("family")) {
                root.put("description", config.describe() + ", " + config.parameterCount()
                        + " parameters, SEEDED RANDOM weights (seed " + seed + "), not trained: for structure, "
                        + "speed and memory measurements, not for sample quality.");
            }
        }
        ObjectNode built = root.putObject("built_by");
        built.put("tool", ToolVersion.nameAndVersion() + " build-model");
        built.put("seed", seed);
        built.set("config", JSON.valueToTree(config));
        return root;
    }

    static Value imageInput(Graph g, String name, int channels, int size) {
        return g.addInput(name, TensorType.of(DataType.FLOAT,
                Shape.of(Dim.symbolic(BATCH), Dim.of(channels), Dim.of(size), Dim.of(size))));
    }

    static Value batchInput(Graph g, String name, DataType type) {
        return g.addInput(name, TensorType.of(type, Shape.of(Dim.symbolic(BATCH))));
    }

    /** Names the final value {@code out}, declares its type and makes it the graph output. */
    static void nameOutput(Graph g, Value out, int channels, int size) {
        g.renameValue(out, "out");
        out.setType(TensorType.of(DataType.FLOAT,
                Shape.of(Dim.symbolic(BATCH), Dim.of(channels), Dim.of(size), Dim.of(size))));
        g.addOutput(out);
    }
}
