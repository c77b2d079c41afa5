package dev.l2c.compiler;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.l2c.cli.Main;
import dev.l2c.error.InvalidInputException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.schedule.BaselineSchedules;
import dev.l2c.schedule.Schedule;
import dev.l2c.testing.ManifestEdits;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every manifest field the runner takes on trust and that can be derived is derived again on open:
 * an edit that keeps the manifest well-formed and even reseals its digest (so that the digest cannot
 * be what catches it) is refused in one line naming the field and both values. The cases are those
 * a hostile tester used to move the images silently (issue 24), on a stepwise package with forecasts
 * and on a linked one.
 */
class ManifestConsistencyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Path stepwise;
    static Path linked;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void compile() throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        // TaylorSeer order 2, refresh every 3rd step: forecasts over three history values
        Schedule s = BaselineSchedules.taylorSeer(8, 24, "dit-ddim", 3, 2, 1);
        stepwise = tmp.resolve("stepwise");
        ScheduleCompiler.compile(m, s, Path.of("taylorseer.json"), m.card().sampler("ddim", 8, true), stepwise);
        linked = tmp.resolve("linked");
        ScheduleCompiler.compile(m, s, Path.of("taylorseer.json"), m.card().sampler("ddim", 8, true), linked,
                ScheduleCompiler.Options.linked(true));
    }

    /** A copy of {@code source} whose manifest {@code edit} changed, resealed. */
    static Path edited(Path source, String name, Consumer<ObjectNode> edit) throws Exception {
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

    static String refusal(Path folder, String... fragments) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ManifestConsistency.open(folder));
        String msg = e.getMessage();
        assertEquals(1, msg.lines().count(), msg);
        assertTrue(msg.startsWith(folder.resolve(PackageFiles.MANIFEST).toString()), "names the manifest: " + msg);
        for (String f : fragments) {
            assertTrue(msg.contains(f), "'" + f + "' in: " + msg);
        }
        assertTrue(msg.contains("recompile the package"), msg);
        return msg;
    }

    static ObjectNode step(ObjectNode root, int k) {
        return (ObjectNode) root.path("steps").get(k);
    }

    static ObjectNode term(ObjectNode root, int k, int t) {
        return (ObjectNode) step(root, k).path("next_input").get(t);
    }

    @Test
    void faithfulPackagesOpen() {
        assertDoesNotThrow(() -> ManifestConsistency.openVerified(stepwise));
        assertDoesNotThrow(() -> ManifestConsistency.openVerified(linked));
    }

    @Test
    void resealingAnUneditedManifestKeepsItValid() throws Exception {
        // the test's own reseal is faithful, so the refusals below are the edits' doing
        assertDoesNotThrow(() -> ManifestConsistency.open(edited(stepwise, "noop", r -> { })));
    }

    @Test
    void samplerTermsModelTimesAlphaAndSigmaAreDerivedFromTheCardAndSampler() throws Exception {
        for (Path source : new Path[]{stepwise, linked}) {
            String kind = source.getFileName().toString();
            Path coefficient = edited(source, kind + "-coefficient", r -> {
                ObjectNode t = term(r, 3, 0);
                t.put("coefficient", t.path("coefficient").asDouble() * 1.5);
            });
            refusal(coefficient, "steps[3].next_input[0].coefficient");
            refusal(edited(source, kind + "-from", r -> term(r, 2, 0).put("step", 1)), "steps[2].next_input[0].step");
            refusal(edited(source, kind + "-alpha", r -> step(r, 4).put("alpha", step(r, 4).path("alpha").asDouble() + 1e-9)),
                    "steps[4].alpha");
            refusal(edited(source, kind + "-sigma", r -> step(r, 0).put("sigma", 0.5)), "steps[0].sigma");
            refusal(edited(source, kind + "-time", r -> step(r, 5).put("model_time", 400.0)), "steps[5].model_time");
            refusal(edited(source, kind + "-timestep", r -> step(r, 5).put("timestep", 401)), "steps[5].timestep");
        }
    }

    @Test
    void clipNullLabelGuidanceAndInterfaceAreDerivedFromTheCard() throws Exception {
        refusal(edited(stepwise, "clip", r -> {
            ArrayNode clip = JSON.createArrayNode().add(-2.0).add(2.0);
            ((ObjectNode) r.path("sampler")).set("clip_x0", clip);
        }), "sampler.clip_x0", "[-2.0, 2.0]");
        refusal(edited(stepwise, "null-label", r -> ((ObjectNode) r.path("guidance")).put("null_label", 3)),
                "guidance.null_label is 3", "give 10");
        refusal(edited(linked, "default-scale", r -> ((ObjectNode) r.path("guidance")).put("default_scale", 4.0)),
                "guidance.default_scale is 4.0");
        refusal(edited(stepwise, "label-input", r -> ((ObjectNode) r.path("model").path("inputs").path("label")).put("name", "t")),
                "model.inputs.label.name");
    }

    @Test
    void graphsAndTheCachePlanAreDerivedFromTheSchedule() throws Exception {
        // step 4 forecasts from steps 0 and 3 (TaylorSeer); point it at the graph of another forecast step
        // with the same cache inputs in name: the graph's constant weights differ
        Path other = edited(stepwise, "graph", r -> step(r, 5).put("graph", step(r, 6).path("graph").asText()));
        refusal(other, "steps[5].graph");
        refusal(edited(stepwise, "weight", r -> {
            ObjectNode in = (ObjectNode) step(r, 5).path("cache_inputs").get(0);
            in.put("weight", in.path("weight").asDouble() + 0.25);
        }), "steps[5].cache_inputs");
        refusal(edited(stepwise, "from-step", r -> ((ObjectNode) step(r, 2).path("cache_inputs").get(0)).put("from_step", 1)),
                "steps[2].cache_inputs");
        refusal(edited(stepwise, "free-after", r -> ((ArrayNode) step(r, 7).path("free_after")).remove(3)),
                "steps[7].free_after");
        refusal(edited(stepwise, "mode", r -> step(r, 1).put("mode", "full")), "steps[1].mode");
        refusal(edited(linked, "linked-inputs", r -> ((ArrayNode) step(r, 4).path("cache_inputs")).remove(0)),
                "steps[4].cache_inputs");
        refusal(edited(stepwise, "totals", r -> ((ObjectNode) r.path("totals")).put("layer_evaluations", 1)),
                "totals.layer_evaluations");
    }

    @Test
    void sampleRefusesAnEditedPackageWithExit3AndWritesNothing() throws Exception {
        Path pkg = edited(stepwise, "cli", r -> {
            ObjectNode t = term(r, 1, 0);
            t.put("coefficient", t.path("coefficient").asDouble() * 1.5);
        });
        Path out = tmp.resolve("cli.png");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(err, true), "sample", pkg.toString(), "--labels", "1", "-o", out.toString());
        assertEquals(3, code, err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains("steps[1].next_input[0].coefficient"), err.toString());
        assertFalse(Files.exists(out));
        StringWriter err2 = new StringWriter();
        assertEquals(3, Main.run(new PrintWriter(err2, true), "verify", pkg.toString()), err2.toString());
    }
}
