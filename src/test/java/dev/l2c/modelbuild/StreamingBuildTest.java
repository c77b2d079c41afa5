package dev.l2c.modelbuild;

import dev.l2c.error.OutputException;
import dev.l2c.ir.ExternalTensorData;
import dev.l2c.ir.Model;
import dev.l2c.ir.Value;
import dev.l2c.ir.serde.OnnxReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Weights go straight to the external-data file in small chunks; the same seed gives the same model. */
class StreamingBuildTest {
    @TempDir
    Path tmp;

    @Test
    void aMidSizeModelIsStreamedThroughOneSmallBuffer() throws Exception {
        DitConfig mid = new DitConfig(32, 2, 4, 256, 4, 4, 4.0, 1000, true);
        BuiltModel built = ModelBuilder.write(mid, 0, "mid", tmp.resolve("mid"), false, false);
        long weightBytes = Files.size(built.weights());
        assertEquals(weightBytes, built.weightFileBytes());
        assertEquals(mid.parameterCount(), built.parameters());
        assertTrue(built.largestBufferBytes() <= 2L << 20,
                "held " + built.largestBufferBytes() + " bytes of weights at once");
        assertTrue(weightBytes > 8 * built.largestBufferBytes(),
                "the weights (" + weightBytes + " B) are many times what was ever held at once");
        assertTrue(Files.size(built.model()) < 512 * 1024, "the graph file holds structure, not weights");

        Model model = OnnxReader.read(built.model());
        long previousEnd = 0;
        for (Value v : model.graph().initializers()) {
            ExternalTensorData data = assertInstanceOf(ExternalTensorData.class, v.initializer().data(), v.name());
            assertEquals(0, data.offset() % 4096, v.name() + " is 4096-aligned");
            assertTrue(data.offset() >= previousEnd, "tensors do not overlap");
            previousEnd = data.offset() + data.byteSize();
        }
        assertTrue(previousEnd <= weightBytes);
    }

    @Test
    void theSameSeedGivesTheSameWeightsAndAnotherSeedOthers() throws Exception {
        byte[] a = Files.readAllBytes(ModelBuilder.write(DitConfig.TINY, 7, "a", tmp.resolve("a"), false, false).weights());
        byte[] b = Files.readAllBytes(ModelBuilder.write(DitConfig.TINY, 7, "b", tmp.resolve("b"), false, false).weights());
        byte[] c = Files.readAllBytes(ModelBuilder.write(DitConfig.TINY, 8, "c", tmp.resolve("c"), false, false).weights());
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void aTensorsValuesDependOnlyOnTheSeedAndItsName() throws Exception {
        UvitConfig shallow = UvitConfig.TINY;
        UvitConfig deeper = new UvitConfig(8, 2, 1, 32, 5, 2, 4.0, true, 10, true, true);
        Model s = OnnxReader.read(ModelBuilder.write(shallow, 3, "s", tmp.resolve("s"), false, false).model());
        Model d = OnnxReader.read(ModelBuilder.write(deeper, 3, "d", tmp.resolve("d"), false, false).model());
        for (String name : new String[]{"in_blocks.0.attn.qkv.weight.T", "mid_block.mlp.fc1.bias", "pos_embed"}) {
            assertArrayEquals(s.graph().requireValue(name).initializer().toFloats(),
                    d.graph().requireValue(name).initializer().toFloats(), name);
        }
    }

    @Test
    void randomWeightsHaveTheirIntendedScale() throws Exception {
        Model m = OnnxReader.read(ModelBuilder.write(DitConfig.FMNIST, 0, "m", tmp.resolve("m"), false, false).model());
        float[] fc1 = m.graph().requireValue("blocks.3.mlp.fc1.weight.T").initializer().toFloats();
        double bound = Math.sqrt(6.0 / (128 + 512));
        double sumSq = 0;
        for (float v : fc1) {
            assertTrue(Math.abs(v) <= bound);
            sumSq += v * v;
        }
        // Xavier uniform: variance bound²/3
        assertEquals(bound * bound / 3, sumSq / fc1.length, 0.03 * bound * bound / 3);
        float[] table = m.graph().requireValue("y_embedder.weight").initializer().toFloats();
        double tableSq = 0;
        for (float v : table) {
            tableSq += v * v;
        }
        assertEquals(0.02, Math.sqrt(tableSq / table.length), 0.002);
    }

    @Test
    void anExistingFolderIsKeptUnlessReplaced() throws Exception {
        Path target = tmp.resolve("model");
        ModelBuilder.write(DitConfig.TINY, 1, "one", target, false, false);
        assertThrows(OutputException.class, () -> ModelBuilder.write(DitConfig.TINY, 2, "two", target, false, false));
        assertTrue(Files.readString(target.resolve(ModelBuilder.CARD_FILE)).contains("\"one\""));
        ModelBuilder.write(DitConfig.TINY, 2, "two", target, true, false);
        assertTrue(Files.readString(target.resolve(ModelBuilder.CARD_FILE)).contains("\"two\""));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary folder is left behind");
        }
    }
}
