package dev.l2c.runtime;

import ai.onnxruntime.OrtSession;
import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.error.UsageException;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.schedule.ReferenceSchedules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each memory policy does to the sessions of a package: decided in MemoryPolicy.setup, applied by the runtime. */
class MemoryPolicyTest {
    static final OrtRuntime.Provider CPU = OrtRuntime.Provider.CPU;

    @Test
    void eachPolicyMeansOneSessionSetup() {
        long small = 10L << 20;
        assertEquals(new MemoryPolicy.SessionSetup(MemoryPolicy.SPEED, true, true, false), MemoryPolicy.SPEED.setup(6, CPU, small));
        assertEquals(new MemoryPolicy.SessionSetup(MemoryPolicy.BALANCED, false, true, true), MemoryPolicy.BALANCED.setup(6, CPU, small));
        assertEquals(new MemoryPolicy.SessionSetup(MemoryPolicy.LEAN, false, false, true), MemoryPolicy.LEAN.setup(6, CPU, small));
        // one graph shares nothing: ONNX Runtime's defaults whatever the policy
        for (MemoryPolicy p : MemoryPolicy.values()) {
            MemoryPolicy.SessionSetup one = p.setup(1, CPU, small);
            assertTrue(one.prepacking() && one.arena() && !one.mappedWeights(), p + ": " + one);
        }
        // weights are mapped for sharing on the CPU only (a CUDA session copies them to the device)
        assertFalse(MemoryPolicy.LEAN.setup(6, OrtRuntime.Provider.CUDA, small).mappedWeights());
    }

    @Test
    void autoTakesBalancedWhileTheArenasFitTheBudgetAndLeanBeyond() {
        long perGraph = MemoryPolicy.AUTO_ARENA_BUDGET_BYTES / 6;
        assertEquals(MemoryPolicy.BALANCED, MemoryPolicy.AUTO.setup(6, CPU, perGraph).policy());
        assertEquals(MemoryPolicy.LEAN, MemoryPolicy.AUTO.setup(7, CPU, perGraph).policy());
        assertEquals(MemoryPolicy.LEAN, MemoryPolicy.AUTO.setup(6, CPU, 0).policy(), "unknown activations: lean");
        assertEquals(MemoryPolicy.SPEED, MemoryPolicy.AUTO.setup(1, CPU, perGraph).policy());
    }

    @Test
    void theWordsParseOnceForEveryCommand() throws Exception {
        assertEquals(MemoryPolicy.BALANCED, MemoryPolicy.parse("Balanced"));
        assertTrue(assertThrows(UsageException.class, () -> MemoryPolicy.parse("turbo")).getMessage().contains("'turbo'"));
        assertTrue(assertThrows(UsageException.class, () -> MemoryPolicy.parseExplicit("auto", "--modes")).getMessage()
                .contains("--modes takes speed, balanced and lean"));
        OrtRuntime.Options o = OrtRuntime.Options.parse("CPU", 2, "lean", "off");
        assertEquals(new OrtRuntime.Options(CPU, 2, MemoryPolicy.LEAN, 0, null), o);
        assertThrows(UsageException.class, () -> OrtRuntime.Options.parse("tpu", 0, "auto", "off"));
    }

    @Test
    void sessionsCarryTheSetup() throws Exception {
        MemoryPolicy.SessionSetup lean = MemoryPolicy.LEAN.setup(6, CPU, 1);
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(OrtRuntime.Options.cpu(), lean)) {
            assertEquals("1", so.getConfigEntries().get("session.disable_prepacking"));
        }
        try (OrtSession.SessionOptions so = OrtRuntime.sessionOptions(OrtRuntime.Options.cpu(), MemoryPolicy.SPEED.setup(6, CPU, 1))) {
            assertNull(so.getConfigEntries().get("session.disable_prepacking"), "speed prepacks");
        }
    }

    @Test
    void aPackageMapsItsWeightsOnceUnderBalancedAndLeanButNotUnderSpeed(@TempDir Path tmp) throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("onnx-models/dit_fmnist.onnx"), null, null);
        Path pkg = tmp.resolve("pkg");
        ScheduleCompiler.compile(m, ReferenceSchedules.referenceAlternating(6, 24), Path.of("reference.json"),
                m.card().sampler("ddim", 6, true), pkg);
        CompiledPackage p = CompiledPackage.open(pkg);
        for (MemoryPolicy policy : new MemoryPolicy[]{MemoryPolicy.SPEED, MemoryPolicy.BALANCED, MemoryPolicy.LEAN, MemoryPolicy.AUTO}) {
            try (PackageExecutor e = new PackageExecutor(p, OrtRuntime.Options.cpu().withMemory(policy))) {
                boolean mapped = e.sharedWeightBytes() > 0;
                assertEquals(policy != MemoryPolicy.SPEED, mapped, policy + ": weights mapped once");
                if (policy == MemoryPolicy.AUTO) {
                    // the demo DiT's two graphs: arenas of about 50 MiB each fit the budget
                    assertEquals(MemoryPolicy.BALANCED, e.setup().policy());
                }
            }
        }
    }
}
