package dev.l2c.schedule;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Router checkpoints for tests outside this package, written as torch.save lays them out. */
public final class RouterFixtures {
    private RouterFixtures() {
    }

    /**
     * A U-ViT-style router state dict of {@code routers} routers over {@code width} layers, each tensor at
     * element {@code offset} of its own storage, every logit {@code value}.
     */
    public static Path stateDict(Path file, int routers, int width, long offset, float value) throws IOException {
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (int i = 0; i < routers; i++) {
            float[] v = new float[width];
            java.util.Arrays.fill(v, value);
            storages.put(Integer.toString(i), TorchCheckpointFixture.floats(v));
        }
        return TorchCheckpointFixture.checkpoint(file, TorchCheckpointFixture.routerStateDict(routers, width, offset), storages);
    }
}
