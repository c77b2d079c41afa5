package dev.l2c.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.l2c.metrics.FashionMnist;
import dev.l2c.testing.Skip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code l2c bench} end to end on the embedded DiT, kept small: one image, one measured round. */
class BenchCommandTest {
    private static final String MODEL = "onnx-models/dit_fmnist.onnx";

    @TempDir
    Path tmp;

    private record Outcome(int exit, String err) {
    }

    private Outcome bench(String... args) {
        List<String> all = new ArrayList<>(List.of("bench", MODEL, "--images", "1", "--repeats", "1", "--warmup", "0",
                "--out", tmp.resolve("out").toString()));
        all.addAll(List.of(args));
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        return new Outcome(cl.execute(all.toArray(String[]::new)), err.toString());
    }

    @Test
    void compiledAllFullScheduleMatchesThePlainLoopAndEveryOutputIsWritten() throws Exception {
        Outcome o = bench("--plain", "--nfe", "20",
                "--schedule", "compiled-full=schedules/dit_fmnist_ddim20_full.json",
                "--schedule", "reference=schedules/dit_fmnist_ddim20_reference.json");
        assertEquals(0, o.exit(), o.err());
        Path out = tmp.resolve("out");
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile()).path("results");
        assertEquals(3, results.size());
        JsonNode full = results.get(1);
        assertEquals("compiled-full", full.path("name").asText());
        // the same graph computed through a package: identical up to float rounding
        assertTrue(full.path("max_abs_diff").asDouble() < 1e-4, full.toString());
        JsonNode cached = results.get(2);
        assertTrue(cached.path("ideal_speedup").asDouble() > 1.4, cached.toString());
        assertTrue(cached.path("max_abs_diff").asDouble() > 0, "a cache schedule changes the samples: " + cached);
        assertEquals(1, cached.path("psnr_images").asInt());
        for (String file : List.of("results.md", "psnr_vs_latency.png", "grid_full.png", "grid_compiled-full.png",
                "grid_reference.png")) {
            assertTrue(Files.size(out.resolve(file)) > 0, file);
        }
        assertFalse(Files.exists(out.resolve("fd_vs_latency.png")), "no FD chart without --fd");
    }

    @Test
    void fdComesWithPairedIntervalsAgainstTheReferenceAndFewerStepsAtEqualCompute() throws Exception {
        Skip.unless(Files.exists(FashionMnist.testImages()), FashionMnist.testImages()
                + " is missing (Debian package dataset-fashion-mnist)");
        Outcome o = bench("--plain", "--nfe", "4", "--fd", "24", "--fd-resamples", "60", "--fd-widths-at", "12",
                "--schedule", "compiled-full=schedules/dit_fmnist_ddim20_full.json",
                "--schedule", "learned=schedules/dit_fmnist_ddim20_learned_r35.json");
        assertEquals(0, o.exit(), o.err());
        Path out = tmp.resolve("out");
        JsonNode root = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(60, root.path("fd_resamples").asInt());
        JsonNode results = root.path("results");
        for (JsonNode r : results) {
            assertTrue(r.path("fd_low").asDouble() <= r.path("fd").asDouble()
                    && r.path("fd").asDouble() <= r.path("fd_high").asDouble(), r.toString());
        }
        // the reference is the first configuration (plain, 4 steps): it has no comparison with itself
        assertTrue(results.get(0).path("fd_vs_reference").isNull());
        // the only fewer-steps configuration is the plain 4-step loop: the learned schedule is paired with it
        JsonNode learned = results.get(results.size() - 1);
        assertEquals("learned", learned.path("name").asText());
        JsonNode vsRef = learned.path("fd_vs_reference");
        assertEquals(results.get(0).path("name").asText(), vsRef.path("against").asText());
        assertEquals(learned.path("fd").asDouble() - results.get(0).path("fd").asDouble(), vsRef.path("difference").asDouble(),
                1e-9);
        assertTrue(vsRef.path("low").asDouble() <= vsRef.path("difference").asDouble()
                && vsRef.path("difference").asDouble() <= vsRef.path("high").asDouble(), vsRef.toString());
        JsonNode vsFewer = learned.path("fd_vs_fewer_steps");
        assertFalse(vsFewer.isNull(), learned.toString());
        String fewer = vsFewer.path("against").asText();
        JsonNode fewerRow = null;
        for (JsonNode r : results) {
            if (r.path("name").asText().equals(fewer)) {
                fewerRow = r;
            }
        }
        assertTrue(fewerRow != null && fewerRow.path("fewer_steps_curve").asBoolean(), fewer);
        assertEquals("full", fewer);
        JsonNode half = learned.path("fd_on_first_samples").path("12");
        assertTrue(half.path("fd_low").asDouble() <= half.path("fd").asDouble()
                && half.path("fd").asDouble() <= half.path("fd_high").asDouble(), learned.toString());
        assertEquals("full", half.path("fd_vs_fewer_steps").path("against").asText());
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("bootstrap intervals") && md.contains("| decided |") && md.contains("n = 12"), md);
        assertTrue(Files.size(out.resolve("fd_vs_removed.png")) > 0, "the FD chart with intervals");
        assertTrue(Files.size(out.resolve("fd_change_vs_removed.png")) > 0, "the paired-change chart");
    }

    @Test
    void aScheduleIsAlsoPairedWithTaylorSeerAtEqualCompute() throws Exception {
        Skip.unless(Files.exists(FashionMnist.testImages()), FashionMnist.testImages()
                + " is missing (Debian package dataset-fashion-mnist)");
        Path taylor = tmp.resolve("taylorseer.json");
        Path fora = tmp.resolve("fora.json");
        dev.l2c.schedule.ScheduleJson.write(dev.l2c.schedule.BaselineSchedules.taylorSeer(4, 24, "dit-ddim", 2, 1, 1), taylor);
        dev.l2c.schedule.ScheduleJson.write(dev.l2c.schedule.BaselineSchedules.fora(4, 24, "dit-ddim", 2), fora);
        Outcome o = bench("--plain", "--nfe", "4", "--fd", "16", "--fd-resamples", "40",
                "--schedule", "taylorseer-2=" + taylor, "--schedule", "fora-2=" + fora);
        assertEquals(0, o.exit(), o.err());
        Path out = tmp.resolve("out");
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile()).path("results");
        JsonNode foraRow = null;
        JsonNode taylorRow = null;
        for (JsonNode r : results) {
            if (r.path("name").asText().equals("fora-2")) {
                foraRow = r;
            } else if (r.path("name").asText().equals("taylorseer-2")) {
                taylorRow = r;
            }
        }
        assertEquals("taylorseer-2", foraRow.path("fd_vs_taylorseer").path("against").asText(), foraRow.toString());
        assertEquals(foraRow.path("fd").asDouble() - taylorRow.path("fd").asDouble(),
                foraRow.path("fd_vs_taylorseer").path("difference").asDouble(), 1e-9);
        assertTrue(taylorRow.path("fd_vs_taylorseer").isNull(), "TaylorSeer is not compared with itself");
        assertTrue(results.get(0).path("fd_vs_taylorseer").isNull(), "nor the reference");
        assertTrue(Files.readString(out.resolve("results.md")).contains("Against TaylorSeer at equal compute"));
    }

    @Test
    void fdOnlyNamingAnUnknownConfigurationIsRefused() {
        Outcome o = bench("--plain", "--nfe", "4", "--fd", "10", "--fd-only", "learned");
        assertEquals(2, o.exit(), o.err());
        String text = o.err().strip();
        assertFalse(text.contains("\n"), text);
        assertTrue(text.contains("'learned'") && text.contains("full"), text);
    }

    @Test
    void theSampleCacheResumesAnInterruptedRunAndServesAShorterOneWithTheSameNumbers() throws Exception {
        Skip.unless(Files.exists(FashionMnist.testImages()), FashionMnist.testImages()
                + " is missing (Debian package dataset-fashion-mnist)");
        Path cache = tmp.resolve("samples");
        String[] args = {"--plain", "--nfe", "4", "--fd", "12", "--fd-batch", "4", "--fd-resamples", "20",
                "--fd-widths-at", "8", "--sample-cache", cache.toString(),
                "--schedule", "learned=schedules/dit_fmnist_ddim20_learned_r35.json"};
        Outcome first = bench(args);
        assertEquals(0, first.exit(), first.err());
        JsonNode before = results();
        List<Path> files = cacheFiles(cache);
        assertEquals(6, files.size(), "3 batches for each of the 2 configurations: " + files);

        // a run stopped after some batches: one file never written, one cut short (a crash mid-write of a
        // copy made by hand; the cache itself writes atomically)
        Files.delete(files.get(1));
        Files.write(files.get(4), new byte[] {1, 2, 3});
        // edited batches (issue 24): zeroed in place, which used to move the FD silently; and NaN written
        // under the name of its own digest, so that only the finiteness check can catch it
        int values = dev.l2c.io.Npy.read(files.get(2)).asFloats().length;
        dev.l2c.io.Npy.writeFloats(files.get(2), new float[values], 4, values / 4);
        float[] nan = dev.l2c.io.Npy.read(files.get(3)).asFloats();
        nan[7] = Float.NaN;
        Files.delete(files.get(3));
        Path nanFile = files.get(3).resolveSibling("nan.npy");
        dev.l2c.io.Npy.writeFloats(nanFile, nan, 4, nan.length / 4);
        String name = files.get(3).getFileName().toString();
        Files.move(nanFile, files.get(3).resolveSibling(name.substring(0, name.length() - 68)
                + dev.l2c.io.Sha256.of(nanFile) + ".npy"));
        java.nio.file.attribute.FileTime untouched = Files.getLastModifiedTime(files.get(0));
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream reported = new java.io.ByteArrayOutputStream();
        Outcome resumed;
        try {
            System.setErr(new java.io.PrintStream(reported, true, java.nio.charset.StandardCharsets.UTF_8));
            resumed = bench(args);
        } finally {
            System.setErr(stderr);
        }
        assertEquals(0, resumed.exit(), resumed.err());
        String reports = reported.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(files, cacheFiles(cache), "the missing, damaged, zeroed and NaN batches are generated again");
        assertTrue(reports.contains("do not match the SHA-256 in its name"), reports);
        assertTrue(reports.contains("holds NaN"), reports);
        assertEquals(untouched, Files.getLastModifiedTime(files.get(0)), "a valid batch is read, not generated again");
        JsonNode after = results();
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i).path("fd").asDouble(), after.get(i).path("fd").asDouble(), 0.0,
                    "resumed samples are the same bits: " + after.get(i));
        }

        // 8 samples are the first two batches of the 12: served from the cache, with the FD that the
        // 12-sample run computed on its first 8
        Outcome shorter = bench("--plain", "--nfe", "4", "--fd", "8", "--fd-batch", "4", "--fd-resamples", "20",
                "--sample-cache", cache.toString(), "--schedule", "learned=schedules/dit_fmnist_ddim20_learned_r35.json");
        assertEquals(0, shorter.exit(), shorter.err());
        assertEquals(files, cacheFiles(cache));
        JsonNode eight = results();
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i).path("fd_on_first_samples").path("8").path("fd").asDouble(),
                    eight.get(i).path("fd").asDouble(), 1e-9, eight.get(i).toString());
        }
    }

    private JsonNode results() throws java.io.IOException {
        return new ObjectMapper().readTree(tmp.resolve("out").resolve("results.json").toFile()).path("results");
    }

    private static List<Path> cacheFiles(Path cache) throws java.io.IOException {
        try (var walk = Files.walk(cache)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
