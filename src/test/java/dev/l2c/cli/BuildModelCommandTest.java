package dev.l2c.cli;

import dev.l2c.modelcard.LoadedModel;
import dev.l2c.modelbuild.ModelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code l2c build-model}: presets, overrides, and one-line errors for bad options. */
class BuildModelCommandTest {
    @TempDir
    Path tmp;

    record Result(int code, String err) {
    }

    static Result run(String... args) {
        var cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        return new Result(cl.execute(args), err.toString());
    }

    @Test
    void buildsAPresetWithOverridesThatOtherCommandsLoad() throws Exception {
        Path out = tmp.resolve("m");
        Result r = run("build-model", "uvit", "--preset", "tiny", "--depth", "5", "--no-qkv-bias", "--seed", "4",
                "--name", "tiny_uvit", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        LoadedModel m = LoadedModel.load(out.resolve(ModelBuilder.MODEL_FILE), null, null);
        assertEquals(10, m.layers().size());
        assertEquals("tiny_uvit", m.card().name());
        assertFalse(m.onnx().graph().values().stream().anyMatch(v -> v.name().endsWith("qkv.bias")));
        assertEquals(0, run("inspect", out.resolve(ModelBuilder.MODEL_FILE).toString()).code());
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheProblem() {
        Result preset = run("build-model", "dit", "--preset", "h2", "-o", tmp.resolve("a").toString());
        assertEquals(2, preset.code());
        assertTrue(preset.err().contains("tiny, fmnist or xl"), preset.err());
        Result heads = run("build-model", "dit", "--preset", "tiny", "--heads", "5", "-o", tmp.resolve("b").toString());
        assertEquals(2, heads.code());
        assertTrue(heads.err().contains("not divisible by 5 heads"), heads.err());
        Result family = run("build-model", "unet", "--preset", "tiny", "-o", tmp.resolve("c").toString());
        assertEquals(2, family.code());
        assertTrue(family.err().contains("dit or uvit"), family.err());
        Result option = run("build-model", "dit", "--preset", "tiny", "--time-mlp", "-o", tmp.resolve("d").toString());
        assertEquals(2, option.code());
        assertTrue(option.err().contains("--time-mlp does not apply to DiT"), option.err());
        assertFalse(Files.exists(tmp.resolve("a")) || Files.exists(tmp.resolve("b")));
    }

    @Test
    void refusesToOverwriteWithoutForce() {
        String out = tmp.resolve("m").toString();
        assertEquals(0, run("build-model", "dit", "--preset", "tiny", "-o", out).code());
        Result again = run("build-model", "dit", "--preset", "tiny", "-o", out);
        assertTrue(again.code() != 0 && again.err().contains("already exists"), again.err());
        assertEquals(0, run("build-model", "dit", "--preset", "tiny", "--force", "-o", out).code());
    }
}
