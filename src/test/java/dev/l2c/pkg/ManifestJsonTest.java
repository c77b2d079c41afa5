package dev.l2c.pkg;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.error.InvalidInputException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.ReferenceSchedules;
import dev.l2c.testing.ManifestEdits;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifest written for a real package reads back to the same record, and a manifest that
 * contradicts itself or its package is refused with one line naming the file and the field.
 */
class ManifestJsonTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Path pkg;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void compile() throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        pkg = tmp.resolve("pkg");
        ScheduleCompiler.compile(m, ReferenceSchedules.referenceAlternating(6, 24), Path.of("reference.json"),
                m.card().sampler("ddim", 6, true), pkg);
    }

    @Test
    void writingWhatWasReadGivesTheSameBytes() throws Exception {
        PackageManifest m = ManifestJson.read(pkg.resolve(PackageFiles.MANIFEST));
        assertArrayEquals(Files.readAllBytes(pkg.resolve(PackageFiles.MANIFEST)), ManifestJson.toBytes(m));
        assertEquals(PackageManifest.Kind.STEPWISE, m.kind());
        assertEquals(6, m.steps().size());
        assertEquals(m.steps().stream().mapToLong(PackageManifest.Step::macsPerSample).sum(), m.totals().macsPerSample(),
                "the totals are the sum of the steps");
        // every cache written is freed exactly once, after its last reader
        for (PackageManifest.Step s : m.steps()) {
            for (PackageManifest.CacheOutput o : s.cacheOutputs()) {
                PackageManifest.Step last = m.steps().get(o.lastReadStep());
                assertTrue(last.freeAfter().contains(new PackageManifest.CacheRelease(o.layer(), s.step())),
                        "layer " + o.layer() + " of step " + s.step() + " is freed after step " + o.lastReadStep());
            }
        }
    }

    @Test
    void eachGraphListsTheCachesItsStepsReadAndWrite() throws Exception {
        // read as plain JSON, so that a writer that dropped or mixed up a field is caught here
        JsonNode root = JSON.readTree(pkg.resolve(PackageFiles.MANIFEST).toFile());
        PackageManifest m = ManifestJson.read(pkg.resolve(PackageFiles.MANIFEST));
        assertEquals(m.graphs().size(), root.path("graphs").size());
        int used = 0;
        for (JsonNode g : root.path("graphs")) {
            String file = g.path("file").asText();
            java.util.List<String> ins = new java.util.ArrayList<>();
            g.path("cache_inputs").forEach(x -> ins.add(x.asText()));
            java.util.List<String> outs = new java.util.ArrayList<>();
            g.path("cache_outputs").forEach(x -> outs.add(x.asText()));
            for (PackageManifest.Step st : m.steps()) {
                if (!file.equals(st.graph())) {
                    continue;
                }
                used++;
                assertEquals(st.cacheInputs().stream().map(PackageManifest.CacheInput::name).toList(), ins,
                        file + " reads what step " + st.step() + " passes");
                assertTrue(outs.containsAll(st.cacheOutputs().stream().map(PackageManifest.CacheOutput::name).toList()),
                        file + " writes what step " + st.step() + " keeps");
            }
            assertTrue(g.path("nodes").asInt() > 0 && g.path("macs_per_sample").asLong() > 0, g.toString());
        }
        assertEquals(m.steps().size(), used, "every step runs one of the listed graphs");
        JsonNode w = root.path("weights");
        assertEquals(PackageFiles.WEIGHTS, w.path("file").asText());
        assertEquals(Files.size(pkg.resolve(PackageFiles.WEIGHTS)), w.path("bytes").asLong());
        assertEquals(4096, w.path("alignment").asInt());
        assertTrue(root.path("linked_model").isMissingNode(), "a stepwise package has no linked model");
        JsonNode step1 = root.path("steps").get(1);
        assertEquals(m.steps().get(1).timestep(), step1.path("timestep").asDouble());
        assertTrue(step1.path("timestep").isIntegralNumber(), "the DiT's int64 timestep is written as an integer");
    }

    /** A copy of the package whose manifest was changed by {@code edit}. */
    static Path tampered(String name, Consumer<ObjectNode> edit) throws Exception {
        return tampered(pkg, name, edit);
    }

    static Path tampered(Path source, String name, Consumer<ObjectNode> edit) throws Exception {
        Path copy = tmp.resolve(name);
        Files.createDirectories(copy);
        try (var files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        ObjectNode root = (ObjectNode) JSON.readTree(copy.resolve(PackageFiles.MANIFEST).toFile());
        edit.accept(root);
        Files.write(copy.resolve(PackageFiles.MANIFEST), ManifestEdits.resealed(root));
        return copy;
    }

    /** A copy of the package whose manifest was edited without resealing it. */
    static Path editedUnsealed(String name, Consumer<ObjectNode> edit) throws Exception {
        Path copy = tampered(name, r -> { });
        ObjectNode root = (ObjectNode) JSON.readTree(copy.resolve(PackageFiles.MANIFEST).toFile());
        edit.accept(root);
        Files.write(copy.resolve(PackageFiles.MANIFEST), JSON.writeValueAsBytes(root));
        return copy;
    }

    static String refusal(Path folder) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CompiledPackage.open(folder));
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(folder.toString()), "names the package: " + e.getMessage());
        return e.getMessage();
    }

    static ObjectNode step(ObjectNode root, int k) {
        return (ObjectNode) root.path("steps").get(k);
    }

    @Test
    void aStepReadingFromALaterStepIsRefused() throws Exception {
        String msg = refusal(tampered("later", r -> ((ObjectNode) step(r, 1).path("cache_inputs").get(0)).put("from_step", 3)));
        assertTrue(msg.contains("steps[1].cache_inputs[0].from_step") && msg.contains("not an earlier step"), msg);
    }

    @Test
    void aForecastPackageDescribesEachHistoryInputAndRoundTrips() throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        Path forecast = tmp.resolve("forecast");
        ScheduleCompiler.compile(m, BaselineSchedules.taylorSeer(8, 24, "dit-ddim", 3, 2, 1), Path.of("taylorseer.json"),
                m.card().sampler("ddim", 8, true), forecast);
        PackageManifest man = ManifestJson.read(forecast.resolve(PackageFiles.MANIFEST));
        assertArrayEquals(Files.readAllBytes(forecast.resolve(PackageFiles.MANIFEST)), ManifestJson.toBytes(man));
        assertEquals(ManifestJson.VERSION, man.version());
        // step 7: two refreshes before it after step 6 (0, 3, 6): order 2 from steps 6, 3 and 0
        List<PackageManifest.CacheInput> layer5 = man.steps().get(7).cacheInputs().stream().filter(c -> c.layer() == 5).toList();
        assertEquals(List.of(6, 3, 0), layer5.stream().map(PackageManifest.CacheInput::fromStep).toList());
        assertEquals(List.of("cache_layer_5", "cache_layer_5_h1", "cache_layer_5_h2"),
                layer5.stream().map(PackageManifest.CacheInput::name).toList());
        double[] w = BaselineSchedules.taylorSeer(8, 24, "dit-ddim", 3, 2, 1).step(7).forecast(5).weights();
        assertEquals(w[2], layer5.get(2).weight(), 0.0);
        // step 0's value lives until step 7 reads it, so a layer has up to three live values, plus the one step 6 writes
        for (PackageManifest.Step st : man.steps()) {
            assertTrue(st.liveCacheBytesPerSample() <= 3L * 24 * 196 * 128 * 4 + 24L * 196 * 128 * 4, "step " + st.step());
        }
        String msg = refusal(tampered(forecast, "h-name", r -> ((ObjectNode) step(r, 7).path("cache_inputs").get(1))
                .put("name", "cache_layer_0")));
        assertTrue(msg.contains("is not the cache tensor of layer 0 at history 1 (cache_layer_0_h1)"), msg);
    }

    @Test
    void aTamperedCacheNameIsRefused() throws Exception {
        String msg = refusal(tampered("name", r -> ((ObjectNode) step(r, 1).path("cache_inputs").get(0)).put("name", "x")));
        assertTrue(msg.contains("is not the cache tensor of layer"), msg);
    }

    @Test
    void aFileNameOutsideThePackageIsRefused() throws Exception {
        String msg = refusal(tampered("escape", r -> ((ObjectNode) r.path("graphs").get(0)).put("file", "../graph_00.onnx")));
        // a NUL anywhere, even first, is no plain file name
        String nul = refusal(tampered("nul", r -> ((ObjectNode) r.path("graphs").get(0)).put("file", "\u0000graph_00.onnx")));
        assertTrue(nul.contains("graph"), nul);
        assertTrue(msg.contains("is not a plain file name inside the package"), msg);
    }

    @Test
    void stepsOutOfOrderAndAWrongCountAreRefused() throws Exception {
        assertTrue(refusal(tampered("order", r -> step(r, 2).put("step", 4))).contains("numbered 0, 1, 2"));
        assertTrue(refusal(tampered("count", r -> ((ArrayNode) r.path("steps")).remove(5))).contains("sampler.nfe is 6"));
    }

    @Test
    void anotherVersionAMissingFieldAndTrailingDataAreRefused() throws Exception {
        assertTrue(refusal(tampered("version", r -> r.put("version", 1))).contains("recompile the package"));
        assertTrue(refusal(tampered("missing", r -> step(r, 0).remove("alpha"))).contains("steps[0].alpha: missing"));
        Path trailing = tampered("trailing", r -> { });
        Files.writeString(trailing.resolve(PackageFiles.MANIFEST), "{} {}", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        assertTrue(refusal(trailing).contains("not valid JSON"));
    }

    @Test
    void aChangedGraphOrTruncatedWeightsAreRefused() throws Exception {
        Path changed = tampered("changed", r -> { });
        Files.write(changed.resolve("graph_00.onnx"), new byte[]{1}, java.nio.file.StandardOpenOption.APPEND);
        assertTrue(refusal(changed).contains("SHA-256 does not match"));
        Path truncated = tampered("truncated", r -> { });
        try (var ch = java.nio.channels.FileChannel.open(truncated.resolve(PackageFiles.WEIGHTS),
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(4096);
        }
        assertTrue(refusal(truncated).contains("truncated or replaced"));
    }

    @Test
    void theManifestCarriesItsDigestAndAnyUnsealedEditIsRefused() throws Exception {
        byte[] written = Files.readAllBytes(pkg.resolve(PackageFiles.MANIFEST));
        String text = new String(written, StandardCharsets.UTF_8);
        assertTrue(text.contains("\"" + ManifestDigest.FIELD + "\""), "version 4 manifests end with their digest");
        assertEquals(4, ManifestJson.parse(written, pkg.resolve(PackageFiles.MANIFEST)).version());
        // fields no derivation can check: the card's description of the model and the layer map's costs
        String card = refusal(editedUnsealed("unsealed-card", r -> ((ObjectNode) r.path("card")).put("name", "other")));
        assertTrue(card.contains(ManifestDigest.FIELD) && card.contains("edited or damaged"), card);
        String macs = refusal(editedUnsealed("unsealed-macs", r -> ((ObjectNode) r.path("totals"))
                .put("peak_cache_bytes_per_sample", 1)));
        assertTrue(macs.contains(ManifestDigest.FIELD), macs);
        // one byte of whitespace is an edit too: the digest is over the bytes as written
        Path spaced = tampered("spaced", r -> { });
        Files.write(spaced.resolve(PackageFiles.MANIFEST), (new String(Files.readAllBytes(
                spaced.resolve(PackageFiles.MANIFEST)), StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8));
        assertTrue(refusal(spaced).contains(ManifestDigest.FIELD));
        // removing the digest from a version 4 manifest is refused, not read as an older package
        String removed = refusal(editedUnsealed("no-digest", r -> r.remove(ManifestDigest.FIELD)));
        assertTrue(removed.contains("missing or not a SHA-256"), removed);
    }

    @Test
    void aVersion3PackageOpensButCannotBeVerified() throws Exception {
        Path old = editedUnsealed("version3", r -> {
            r.remove(ManifestDigest.FIELD);
            r.put("version", 3);
        });
        CompiledPackage opened = CompiledPackage.open(old);
        InvalidInputException e = assertThrows(InvalidInputException.class, opened::verify);
        assertTrue(e.getMessage().contains("carries no manifest digest") && e.getMessage().contains("recompile"),
                e.getMessage());
    }

    @Test
    void verifyFindsAFlippedBitInTheWeightsThatOpeningDoesNotHash() throws Exception {
        Path flipped = tampered("flipped", r -> { });
        byte[] bytes = Files.readAllBytes(flipped.resolve(PackageFiles.WEIGHTS));
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(flipped.resolve(PackageFiles.WEIGHTS), bytes);
        CompiledPackage opened = CompiledPackage.open(flipped); // size matches: opening is cheap and does not hash
        InvalidInputException e = assertThrows(InvalidInputException.class, opened::verify);
        assertTrue(e.getMessage().contains(PackageFiles.WEIGHTS) && e.getMessage().contains("SHA-256"), e.getMessage());
    }

    @Test
    void packageFilesThatAreSymbolicLinksAreRefused() throws Exception {
        // the same bytes through a link: the content matches, but it could be changed from outside the package
        Path linked = tampered("linked-weights", r -> { });
        Path outside = tmp.resolve("weights-elsewhere.bin");
        Files.move(linked.resolve(PackageFiles.WEIGHTS), outside);
        Files.createSymbolicLink(linked.resolve(PackageFiles.WEIGHTS), outside);
        String weights = refusal(linked);
        assertTrue(weights.contains("'" + PackageFiles.WEIGHTS + "' is a symbolic link") && weights.contains(outside.toString()),
                weights);
        Path linkedManifest = tampered("linked-manifest", r -> { });
        Path manifestElsewhere = tmp.resolve("manifest-elsewhere.json");
        Files.move(linkedManifest.resolve(PackageFiles.MANIFEST), manifestElsewhere);
        Files.createSymbolicLink(linkedManifest.resolve(PackageFiles.MANIFEST), manifestElsewhere);
        assertTrue(refusal(linkedManifest).contains("'" + PackageFiles.MANIFEST + "' is a symbolic link"));
    }
}
