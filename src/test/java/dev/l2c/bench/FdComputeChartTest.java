package dev.l2c.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class FdComputeChartTest {
    @TempDir
    Path tmp;

    @Test
    void configurationsJoinTheLineOfTheirMethodWhateverTheirBudget() {
        assertEquals("learned", FdComputeChart.method(point("learned-r35", false)));
        assertEquals("learned", FdComputeChart.method(point("learned-r5", false)));
        assertEquals("fora", FdComputeChart.method(point("fora-matched", false)));
        assertEquals("l2c-reference-mask", FdComputeChart.method(point("l2c-reference-mask", false)));
        // a budget-like word inside a name is kept: only the suffix is the budget
        assertEquals("r35-learned", FdComputeChart.method(point("r35-learned", false)));
        // the full loop, fewer-steps baselines and extra curve points are one line
        for (String name : List.of("full", "fewer-steps-r35", "steps-10")) {
            assertEquals("fewer steps", FdComputeChart.method(point(name, true)), name);
        }
    }

    @Test
    void writesAReadablePicture() throws Exception {
        Path file = tmp.resolve("fd.png");
        FdComputeChart.write(file, "test", List.of(
                new FdComputeChart.Point("full", 0, 100, 98, 102, true),
                new FdComputeChart.Point("fewer-steps-r35", 0.35, 110, 107, 113, true),
                new FdComputeChart.Point("learned-r35", 0.35, 104, 101, 107, false),
                new FdComputeChart.Point("no-fd", 0.2, Double.NaN, Double.NaN, Double.NaN, false)), 100);
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, "a PNG");
        assertEquals(900, image.getWidth());
        assertEquals(560, image.getHeight());
    }

    @Test
    void writesTheChangeChart() throws Exception {
        Path file = tmp.resolve("change.png");
        FdComputeChart.writeChange(file, "test", List.of(
                new FdComputeChart.Point("full", 0, 0, 0, 0, true),
                new FdComputeChart.Point("learned-r35", 0.35, 4.5, 3.9, 5.0, false)));
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, "a PNG");
        assertEquals(900, image.getWidth());
    }

    private static FdComputeChart.Point point(String name, boolean curve) {
        return new FdComputeChart.Point(name, 0.3, 1, 0, 2, curve);
    }
}
