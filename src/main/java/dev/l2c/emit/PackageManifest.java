package dev.l2c.emit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.l2c.error.InvalidInputException;
import dev.l2c.model.ModelCard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled package as the runner sees it: its manifest, checked against the files beside it. Every
 * file named by the manifest must be a plain file name inside the package folder (no paths, no
 * {@code ..}); graph and schedule files are checked against their SHA-256, the weights file against its
 * size ({@link #verifyWeights()} hashes it too, which reads every weight byte).
 */
public final class PackageManifest {
    public static final String FORMAT = "l2c-package";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A cache tensor a step reads: its layer, its tensor name, and the step that produced it. */
    public record CacheInput(int layer, String name, int fromStep) {
    }

    /** A cache tensor a step writes, and the last step that reads it. */
    public record CacheOutput(int layer, String name, int lastReadStep) {
    }

    /** One model evaluation of the package. */
    public record Step(int step, double modelTime, String graph, boolean full, int layersComputed,
                       List<CacheInput> cacheInputs, List<CacheOutput> cacheOutputs, long macsPerSample,
                       long liveCacheBytesPerSample) {
    }

    private final Path folder;
    private final JsonNode root;
    private final ModelCard card;
    private final List<Step> steps;
    private final List<String> graphFiles;

    private PackageManifest(Path folder, JsonNode root, ModelCard card, List<Step> steps, List<String> graphFiles) {
        this.folder = folder;
        this.root = root;
        this.card = card;
        this.steps = List.copyOf(steps);
        this.graphFiles = List.copyOf(graphFiles);
    }

    /** Whether {@code path} looks like a package folder (has a manifest). */
    public static boolean isPackage(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(ScheduleCompiler.MANIFEST));
    }

    public static PackageManifest read(Path folder) throws InvalidInputException {
        Path file = folder.resolve(ScheduleCompiler.MANIFEST);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidInputException(folder, "not an l2c package (no " + ScheduleCompiler.MANIFEST + ")");
        } catch (IOException e) {
            throw new InvalidInputException(file, "not a JSON manifest: " + e.getMessage().split("\n")[0]);
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new InvalidInputException(file, "not an l2c package manifest (\"format\" must be \"" + FORMAT + "\")");
        }
        if (root.path("version").asInt(-1) != VERSION) {
            throw new InvalidInputException(file, "package version " + root.path("version")
                    + " is not supported (this l2c reads version " + VERSION + "; recompile the package)");
        }
        ModelCard card;
        try {
            card = ModelCard.fromJson(root.get("card"));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(file, "model card: " + e.getMessage());
        }
        List<String> graphFiles = new ArrayList<>();
        for (JsonNode g : root.path("graphs")) {
            graphFiles.add(safeName(file, g.path("file").asText()));
        }
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : root.path("steps")) {
            List<CacheInput> ins = new ArrayList<>();
            for (JsonNode i : s.path("cache_inputs")) {
                ins.add(new CacheInput(i.path("layer").asInt(), i.path("name").asText(), i.path("from_step").asInt()));
            }
            List<CacheOutput> outs = new ArrayList<>();
            for (JsonNode o : s.path("cache_outputs")) {
                outs.add(new CacheOutput(o.path("layer").asInt(), o.path("name").asText(), o.path("last_read_step").asInt()));
            }
            String graph = safeName(file, s.path("graph").asText());
            if (!graphFiles.contains(graph)) {
                throw new InvalidInputException(file, "step " + s.path("step") + " names graph '" + graph
                        + "', which the manifest does not list");
            }
            steps.add(new Step(s.path("step").asInt(), s.path("model_time").asDouble(), graph,
                    "full".equals(s.path("mode").asText()), s.path("layers_computed").asInt(), ins, outs,
                    s.path("macs_per_sample").asLong(), s.path("live_cache_bytes_per_sample").asLong()));
        }
        if (steps.isEmpty()) {
            throw new InvalidInputException(file, "the manifest lists no steps");
        }
        for (int k = 0; k < steps.size(); k++) {
            if (steps.get(k).step() != k) {
                throw new InvalidInputException(file, "steps must be numbered 0, 1, 2, ... (entry " + k + " says "
                        + steps.get(k).step() + ")");
            }
        }
        PackageManifest m = new PackageManifest(folder, root, card, steps, graphFiles);
        m.verifyFiles();
        return m;
    }

    /** A file name inside the package: no folders, no "..", nothing absolute. */
    private static String safeName(Path manifest, String name) throws InvalidInputException {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
            throw new InvalidInputException(manifest, "file name '" + name + "' is not a plain name inside the package");
        }
        return name;
    }

    private void verifyFiles() throws InvalidInputException {
        Path manifest = folder.resolve(ScheduleCompiler.MANIFEST);
        JsonNode files = root.path("files");
        var it = files.fields();
        while (it.hasNext()) {
            var e = it.next();
            String name = safeName(manifest, e.getKey());
            Path f = folder.resolve(name);
            if (!Files.isRegularFile(f)) {
                throw new InvalidInputException(folder, "package file '" + name + "' is missing");
            }
            if (name.equals(weightsFile())) {
                try {
                    long size = Files.size(f);
                    long expected = root.path("weights").path("bytes").asLong(-1);
                    if (expected >= 0 && size != expected) {
                        throw new InvalidInputException(f, "has " + size + " bytes but the manifest says " + expected
                                + " (truncated or replaced; recompile the package)");
                    }
                } catch (IOException ex) {
                    throw new InvalidInputException(f, "cannot read: " + ex.getMessage());
                }
                continue;
            }
            checkSha(f, e.getValue().asText());
        }
        for (String g : graphFiles) {
            if (!files.has(g)) {
                throw new InvalidInputException(manifest, "graph '" + g + "' has no checksum in \"files\"");
            }
        }
    }

    private static void checkSha(Path f, String expected) throws InvalidInputException {
        try {
            String actual = ScheduleCompiler.sha256(f);
            if (!actual.equals(expected)) {
                throw new InvalidInputException(f, "SHA-256 does not match the manifest (the file was changed or "
                        + "damaged; recompile the package)");
            }
        } catch (IOException ex) {
            throw new InvalidInputException(f, "cannot read: " + ex.getMessage());
        }
    }

    /** Hashes the weights file and compares with the manifest (reads every byte). */
    public void verifyWeights() throws InvalidInputException {
        checkSha(folder.resolve(weightsFile()), root.path("files").path(weightsFile()).asText());
    }

    public String weightsFile() {
        return root.path("weights").path("file").asText(ScheduleCompiler.WEIGHTS);
    }

    public Path folder() {
        return folder;
    }

    public JsonNode json() {
        return root;
    }

    public ModelCard card() {
        return card;
    }

    /** Per model evaluation, whether it is a full step. */
    public boolean[] fullSteps() {
        boolean[] full = new boolean[steps.size()];
        for (int k = 0; k < full.length; k++) {
            full[k] = steps.get(k).full();
        }
        return full;
    }

    public List<Step> steps() {
        return steps;
    }

    public List<String> graphFiles() {
        return graphFiles;
    }

    public String samplerName() {
        return root.path("sampler").path("name").asText();
    }

    public int layers() {
        return root.path("schedule").path("layers").asInt();
    }

    public double idealSpeedup() {
        return root.path("totals").path("ideal_speedup").asDouble();
    }
}
