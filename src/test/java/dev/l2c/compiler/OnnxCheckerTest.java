package dev.l2c.compiler;

import dev.l2c.cli.Main;
import dev.l2c.testing.OnnxChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every graph the compiler writes is valid ONNX by ONNX's own checker, with the full check (strict
 * shape inference): packages compiled from both demo models, with a router-style (the reference L2C
 * mask) and a learned schedule, stepwise and linked (guided and not).
 */
class OnnxCheckerTest {

    @Test
    void everyCompiledGraphPassesTheFullCheck(@TempDir Path tmp) throws Exception {
        OnnxChecker.assumeAvailable();
        // forecast schedules: TaylorSeer's order-2 forecasts (three history inputs, Mul/Add in front of each branch)
        Path ditTaylor = tmp.resolve("dit-taylorseer.json");
        Path uvitTaylor = tmp.resolve("uvit-taylorseer.json");
        assertEquals(0, Main.run("schedule", "baseline", "taylorseer", "--nfe", "20", "--layers", "24", "--pattern", "dit-ddim",
                "--interval", "3", "-o", ditTaylor.toString()));
        assertEquals(0, Main.run("schedule", "baseline", "taylorseer", "--nfe", "20", "--layers", "26", "--pattern",
                "uvit-dpm2s", "--interval", "2", "-o", uvitTaylor.toString()));
        String[][] packages = {
                {"onnx-models/dit_fmnist.onnx", ditTaylor.toString(), "dit-taylorseer"},
                {"onnx-models/uvit_fmnist.onnx", uvitTaylor.toString(), "uvit-taylorseer"},
                {"onnx-models/dit_fmnist.onnx", "schedules/dit_fmnist_ddim20_reference.json", "dit-reference"},
                {"onnx-models/dit_fmnist.onnx", "schedules/dit_fmnist_ddim20_learned_r35.json", "dit-learned"},
                {"onnx-models/uvit_fmnist.onnx", "schedules/uvit_fmnist_dpm2s20_reference.json", "uvit-reference"},
                {"onnx-models/uvit_fmnist.onnx", "schedules/uvit_fmnist_dpm2s20_learned_r35.json", "uvit-learned"},
        };
        List<Path> folders = new ArrayList<>();
        for (String[] p : packages) {
            for (String kind : List.of("stepwise", "linked", "linked-unguided")) {
                Path out = tmp.resolve(p[2] + "-" + kind);
                List<String> args = new ArrayList<>(List.of("compile", p[0], "--schedule", p[1], "-o", out.toString()));
                args.add(kind.startsWith("linked") ? "--link" : "--stepwise");
                if (kind.endsWith("unguided")) {
                    args.add("--no-guidance");
                }
                assertEquals(0, Main.run(args.toArray(String[]::new)), out.getFileName().toString());
                folders.add(out);
            }
        }
        Map<String, String> results = OnnxChecker.check(tmp, folders);
        assertTrue(results.size() >= 6 * 3 + 6 * 2, "graphs checked: " + results.keySet());
        assertTrue(results.keySet().stream().filter(k -> k.endsWith("/linked_model.onnx")).count() == 12,
                "every linked model checked: " + results.keySet());
        List<String> failures = new ArrayList<>();
        results.forEach((graph, failure) -> {
            if (failure != null) {
                failures.add(graph + ": " + failure);
            }
        });
        System.out.printf("onnx.checker full_check: %d of %d graphs pass%n", results.size() - failures.size(), results.size());
        assertEquals(List.of(), failures);
    }
}
