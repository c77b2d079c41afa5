package dev.l2c.emit;

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
 * mask) and a learned schedule.
 */
class OnnxCheckerTest {

    @Test
    void everyCompiledGraphPassesTheFullCheck(@TempDir Path tmp) throws Exception {
        OnnxChecker.assumeAvailable();
        String[][] packages = {
                {"onnx-models/dit_fmnist.onnx", "schedules/dit_fmnist_ddim20_reference.json", "dit-reference"},
                {"onnx-models/dit_fmnist.onnx", "schedules/dit_fmnist_ddim20_learned_r35.json", "dit-learned"},
                {"onnx-models/uvit_fmnist.onnx", "schedules/uvit_fmnist_dpm2s20_reference.json", "uvit-reference"},
                {"onnx-models/uvit_fmnist.onnx", "schedules/uvit_fmnist_dpm2s20_learned_r35.json", "uvit-learned"},
        };
        List<Path> folders = new ArrayList<>();
        for (String[] p : packages) {
            Path out = tmp.resolve(p[2]);
            assertEquals(0, Main.run("compile", p[0], "--schedule", p[1], "-o", out.toString()), p[2]);
            folders.add(out);
        }
        Map<String, String> results = OnnxChecker.check(tmp, folders);
        assertTrue(results.size() >= 4 * 3, "graphs checked: " + results.keySet());
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
