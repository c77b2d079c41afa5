package dev.l2c.bench.jmh;

import dev.l2c.compiler.ScheduleCompiler;
import dev.l2c.modelcard.LoadedModel;
import dev.l2c.sampler.Ddim;
import dev.l2c.sampler.NoiseSchedule;
import dev.l2c.sampler.Sampler;
import dev.l2c.schedule.ReferenceSchedules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The embedded DiT compiled with the reference L2C-style schedule (DDIM-20), for the JMH benchmarks. */
final class DemoPackages {
    static final Path MODEL = Path.of("onnx-models/dit_fmnist.onnx");

    private DemoPackages() {
    }

    static Sampler ddim20(LoadedModel m) {
        return new Ddim(NoiseSchedule.linear(m.card().trainSteps(), m.card().betaStart(), m.card().betaEnd()), 20, true);
    }

    /** Compiles the reference schedule into a fresh temporary folder and returns the package folder. */
    static Path referencePackage(LoadedModel m) throws Exception {
        Path pkg = Files.createTempDirectory("l2c-jmh-").resolve("package");
        Sampler s = ddim20(m);
        ScheduleCompiler.compile(m, ReferenceSchedules.referenceAlternating(20, m.layers().size()), Path.of("reference"),
                s, pkg);
        return pkg;
    }

    static void delete(Path pkg) throws IOException {
        try (var walk = Files.walk(pkg.getParent())) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
